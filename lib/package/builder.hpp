// Building a package from two firmware directories.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "package/manifest.hpp"
#include "signing/keys.hpp"

namespace dfota::package {

struct BuildOptions {
  // "auto" keeps the smallest payload per partition or file (always allowing
  // "full"); any other name forces that engine for every delta.
  std::string engine = "auto";
  std::string project;      // overrides the target's firmware.json
  std::string from_version; // overrides the source's firmware.json
  std::string to_version;   // overrides the target's firmware.json
  std::string family;       // optional module family id recorded in the manifest
  // When set, the package carries manifest.sig by this key (the same bytes
  // as building unsigned and then `sign_package`).
  std::optional<signing::PrivateKey> sign_key;
  // Called before each partition is encoded (name, index, count); may be empty.
  std::function<void(const std::string&, std::size_t, std::size_t)> on_partition;
  // Told the share of the current partition encoded, in [0, 1], each time
  // its whole percent rises (a large image takes seconds); may be empty.
  // Called from the encoding threads, one call at a time.
  std::function<void(double fraction)> on_partition_progress;
};

struct BuildResult {
  Manifest manifest;
  std::uint64_t package_size = 0;
  std::string signed_by; // the signing key's fingerprint, when signed
};

// Fails with PackageErrc::output_exists when `output` would lie inside the
// firmware directory `from` (--from) or `to` (--to): the package would become
// part of that firmware. build_package() checks this itself; a caller that
// writes more than one package checks every output first.
Status check_package_output(const std::filesystem::path& output, const std::filesystem::path& from,
                            const std::filesystem::path& to);

// Builds the package that turns `from` into `to` and writes it to `output`
// (replaced atomically: on failure nothing is left at `output`). The same
// inputs and options always give the same bytes.
Expected<BuildResult> build_package(const std::filesystem::path& from, const std::filesystem::path& to,
                                    const std::filesystem::path& output, const BuildOptions& options);

} // namespace dfota::package
