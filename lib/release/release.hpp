// A whole release at once: the package from every field version to the new
// one (and back, on request), built in parallel, each verified by applying
// it and predicted against the module families it is for, with an index.
//
// A failing pair is recorded in its PackageResult and never stops the
// others. A package whose build or verification failed is not left in the
// output directory; a package a module is predicted to refuse is kept and
// marked "refused".
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "package/builder.hpp"
#include "profiles/profile.hpp"
#include "validate/validator.hpp"

namespace dfota::release {

struct Request {
  std::filesystem::path target;               // the new version's firmware directory
  std::vector<std::filesystem::path> sources; // the field versions' firmware directories
  std::filesystem::path output_dir;           // created when missing; packages of the same name are replaced
  unsigned jobs = 0;                          // packages built at once; 0: one per hardware thread
  bool reverse = false;                       // also the packages from the new version back to each field version
  package::BuildOptions build;                // engine, signing key
  // The families each package is predicted against; empty: every family
  // whose models name the project (EC25... -> ec2x).
  std::vector<const profiles::Profile*> profiles;
};

struct Validation {
  std::string profile;
  bool ok = false;
  std::vector<validate::Finding> findings;
};

enum class Status { ok, refused, failed };
const char* to_string(Status status);

struct PackageResult {
  bool reverse = false;
  std::filesystem::path from_dir, to_dir;
  std::string project, from_version, to_version;
  std::string file; // name inside the output directory
  std::uint64_t size = 0;
  std::string sha256, md5, module_checksum; // module_checksum: 4 hex digits as +QFUPL reports it
  std::string engines;                      // "native 2, full 1" (changed partitions)
  std::map<std::string, int> engine_counts; // the same as data: payloads per engine
  std::string signed_by;
  double build_seconds = 0, verify_seconds = 0;
  std::vector<Validation> validations;
  Status status = Status::failed;
  std::optional<Error> error; // failed: why
};

struct Result {
  std::string project, target_version;
  std::vector<PackageResult> packages; // in request order: each source forward, then its reverse
  bool ok() const;
};

// Builds everything. Fails as a whole only when the request cannot start
// (target unreadable, output directory not creatable); every other failure
// is per package. `on_done` is called as each package finishes (from worker
// threads, one call at a time).
Expected<Result> build_release(const Request& request, const profiles::Registry& registry,
                               std::function<void(const PackageResult&)> on_done = {});

// index.json: the release and every package with sizes, hashes, the module
// versions it is for and each family's verdict.
nlohmann::ordered_json index_json(const Result& result);

// "EC25EFAR06A06M4G_01.003.01.003" and "...004" -> "EC25EFAR06A06M4G_01.003.01.003_to_...004.zip";
// characters outside [A-Za-z0-9._-] become '_'.
std::string package_file_name(const std::string& from_version, const std::string& to_version);

} // namespace dfota::release
