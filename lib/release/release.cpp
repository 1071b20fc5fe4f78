#include "release/release.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <thread>

#include "core/cores.hpp"
#include "core/files.hpp"
#include "firmware/firmware.hpp"
#include "package/applier.hpp"

namespace dfota::release {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// The families whose models name the project ("EC25EFA" -> ec2x by "EC25").
std::vector<const profiles::Profile*> families_of(const std::string& project, const profiles::Registry& registry) {
  std::vector<const profiles::Profile*> found;
  for (const auto& profile : registry.profiles())
    if (!profile.model_prefix_of(project).empty()) found.push_back(&profile);
  return found;
}

// How many payloads each engine made (changed partitions and files).
std::map<std::string, int> engine_counts(const package::Manifest& manifest) {
  std::map<std::string, int> counts;
  for (const auto& partition : manifest.partitions) {
    if (partition.payload) ++counts[partition.payload->engine];
    for (const auto& file : partition.files)
      if (file.payload) ++counts[file.payload->engine];
  }
  return counts;
}

// "native 2, full 1": the same for people, the most used first.
std::string engine_summary(const std::map<std::string, int>& counts) {
  std::vector<std::pair<std::string, int>> sorted(counts.begin(), counts.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string text;
  for (const auto& [engine, count] : sorted)
    text += (text.empty() ? "" : ", ") + engine + " " + std::to_string(count);
  return text.empty() ? "none" : text;
}

// One package to build; `from` and `to` are the firmware directories as
// opened once by build_release (an error is reported by the job).
struct Job {
  fs::path from_dir, to_dir;
  const Expected<firmware::Firmware>* from = nullptr;
  const Expected<firmware::Firmware>* to = nullptr;
  bool reverse = false;
};

// Builds, verifies and validates one package; every failure lands in the result.
PackageResult run_job(const Job& job, const Request& request, const profiles::Registry& registry) {
  PackageResult result;
  result.reverse = job.reverse;
  result.from_dir = job.from_dir;
  result.to_dir = job.to_dir;
  const auto& from = *job.from;
  const auto& to = *job.to;
  if (!from || !to) {
    result.error = !from ? from.error() : to.error(); // the message names the directory
    return result;
  }
  result.project = to->info.project;
  result.from_version = from->info.version;
  result.to_version = to->info.version;
  result.file = package_file_name(result.from_version, result.to_version);
  const fs::path output = request.output_dir / result.file;

  const auto build_started = Clock::now();
  auto built = package::build_package(job.from_dir, job.to_dir, output, request.build);
  result.build_seconds = seconds_since(build_started);
  if (!built) {
    result.error = built.error();
    return result;
  }
  result.signed_by = built->signed_by;
  result.engine_counts = engine_counts(built->manifest);
  result.engines = engine_summary(result.engine_counts);

  // Verified by applying it to the source, as a module would: every result
  // is checked against the target's hashes. A package that fails is removed.
  const auto verify_started = Clock::now();
  auto scratch = TempDir::create(system_temp_directory(), "dfota-release-");
  if (!scratch) {
    result.error = scratch.error();
    std::error_code ignored;
    fs::remove(output, ignored);
    return result;
  }
  auto applied = package::apply_package(output, job.from_dir, scratch->path() / "applied");
  result.verify_seconds = seconds_since(verify_started);
  if (!applied) {
    result.error = applied.error().with_context("verifying " + result.file);
    std::error_code ignored;
    fs::remove(output, ignored);
    return result;
  }
  auto digests = firmware::digest_file(output);
  if (!digests) {
    result.error = digests.error();
    return result;
  }
  result.size = digests->size;
  result.sha256 = digests->sha256;
  result.md5 = digests->md5;
  result.module_checksum = checksum_hex(digests->module_checksum);
  // Examined once (digests above, payloads read once), checked for every family.
  const auto facts = std::make_shared<const validate::PackageFacts>(validate::examine_package(output, {}, *digests));

  const auto profiles = request.profiles.empty() ? families_of(result.project, registry) : request.profiles;
  result.status = Status::ok;
  for (const profiles::Profile* profile : profiles) {
    validate::Request check;
    check.package = output;
    check.facts = facts;
    check.module_version = result.from_version;
    check.source = job.from_dir;
    check.upload_name = result.file;
    Validation validation;
    validation.profile = profile->id;
    validation.findings = validate::validate_package(check, *profile, registry);
    validation.ok = validate::passed(validation.findings);
    if (!validation.ok) result.status = Status::refused;
    result.validations.push_back(std::move(validation));
  }
  return result;
}

} // namespace

const char* to_string(Status status) {
  switch (status) {
  case Status::ok: return "ok";
  case Status::refused: return "refused";
  case Status::failed: return "failed";
  }
  return "failed";
}

bool Result::ok() const {
  return std::all_of(packages.begin(), packages.end(), [](const PackageResult& p) { return p.status == Status::ok; });
}

std::string package_file_name(const std::string& from_version, const std::string& to_version) {
  std::string name = from_version + "_to_" + to_version;
  for (char& c : name) {
    const bool plain =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!plain) c = '_';
  }
  if (!name.empty() && name.front() == '.') name.front() = '_';
  return name + ".zip";
}

Expected<Result> build_release(const Request& request, const profiles::Registry& registry,
                               std::function<void(const PackageResult&)> on_done) {
  auto target = firmware::open_firmware(request.target);
  if (!target) return target.error().with_context(request.target.string());
  if (request.sources.empty()) return make_error(CoreErrc::invalid_input, "no field version given (--from)");
  // Checked before the output directory is made, so that nothing is
  // written inside a firmware version.
  std::vector<fs::path> firmware_dirs{request.target};
  firmware_dirs.insert(firmware_dirs.end(), request.sources.begin(), request.sources.end());
  for (const fs::path& dir : firmware_dirs) {
    if (is_within(request.output_dir, dir)) {
      return make_error(package::PackageErrc::output_exists,
                        request.output_dir.string() + ": the packages would be written inside " + dir.string() +
                            ", a firmware version, and become part of it; write them elsewhere");
    }
  }
  std::error_code ec;
  fs::create_directories(request.output_dir, ec);
  if (ec || !fs::is_directory(request.output_dir))
    return make_error(CoreErrc::io_error, "cannot create the output directory " + request.output_dir.string());

  // Each field version is opened once; `sources` does not grow after this.
  std::vector<Expected<firmware::Firmware>> sources;
  sources.reserve(request.sources.size());
  for (const auto& source : request.sources)
    sources.push_back(firmware::open_firmware(source));
  std::vector<Job> jobs;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    jobs.push_back({request.sources[i], request.target, &sources[i], &target, false});
    if (request.reverse) jobs.push_back({request.target, request.sources[i], &target, &sources[i], true});
  }
  // Two field versions with one version string would write one file twice.
  std::map<std::string, std::size_t> names;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (!*jobs[i].from || !*jobs[i].to) continue; // reported by its job
    const std::string name = package_file_name((*jobs[i].from)->info.version, (*jobs[i].to)->info.version);
    if (auto [at, inserted] = names.emplace(name, i); !inserted) {
      return make_error(CoreErrc::invalid_input, jobs[at->second].from_dir.string() + " and " +
                                                     jobs[i].from_dir.string() + " give the same package " + name +
                                                     " (same version)");
    }
  }

  Result result;
  result.project = target->info.project;
  result.target_version = target->info.version;
  result.packages.resize(jobs.size());
  unsigned workers = request.jobs ? request.jobs : usable_cores();
  workers = std::min<unsigned>(workers, static_cast<unsigned>(jobs.size()));
  std::atomic<std::size_t> next{0};
  std::mutex report_mutex;
  std::vector<std::thread> threads;
  for (unsigned w = 0; w < workers; ++w) {
    threads.emplace_back([&] {
      for (std::size_t i = next++; i < jobs.size(); i = next++) {
        PackageResult done = run_job(jobs[i], request, registry);
        std::lock_guard lock(report_mutex);
        result.packages[i] = std::move(done);
        if (on_done) on_done(result.packages[i]);
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  return result;
}

nlohmann::ordered_json index_json(const Result& result) {
  nlohmann::ordered_json index;
  index["schema"] = "dfota.release-index/1"; // formats/json/release-index.schema.json
  index["format"] = "dfota-release-index";
  index["version"] = 1;
  index["project"] = result.project;
  index["target_version"] = result.target_version;
  index["ok"] = result.ok();
  index["packages"] = nlohmann::ordered_json::array();
  for (const auto& p : result.packages) {
    nlohmann::ordered_json j;
    j["file"] = p.status == Status::failed ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(p.file);
    j["direction"] = p.reverse ? "reverse" : "forward";
    j["status"] = to_string(p.status);
    j["project"] = p.project;
    j["from_version"] = p.from_version;
    j["to_version"] = p.to_version;
    j["from_dir"] = p.from_dir.string();
    j["to_dir"] = p.to_dir.string();
    // A failed package has no size or hashes: those fields are null.
    const bool made = p.status != Status::failed;
    const auto or_null = [made](auto value) { return made ? nlohmann::ordered_json(value) : nlohmann::ordered_json(); };
    j["size"] = or_null(p.size);
    j["sha256"] = or_null(p.sha256);
    j["md5"] = or_null(p.md5);
    j["checksum"] = or_null(p.module_checksum);
    j["engines"] = made ? nlohmann::ordered_json(p.engine_counts) : nlohmann::ordered_json(); // {"native": 2, ...}
    j["signed_by"] = p.signed_by.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(p.signed_by);
    j["build_seconds"] = std::round(p.build_seconds * 1000) / 1000;
    j["verify_seconds"] = std::round(p.verify_seconds * 1000) / 1000;
    // The modules this package is for: those running from_version, per family.
    j["for_modules"] = nlohmann::ordered_json::array();
    for (const auto& v : p.validations) {
      nlohmann::ordered_json family;
      family["profile"] = v.profile;
      family["module_version"] = p.from_version;
      family["ok"] = v.ok;
      family["refusals"] = nlohmann::ordered_json::array();
      for (const auto& f : v.findings) {
        if (f.verdict != validate::Verdict::fail) continue;
        family["refusals"].push_back(
            {{"rule", f.rule},
             {"code", f.code ? nlohmann::ordered_json(f.code) : nlohmann::ordered_json(nullptr)},
             {"message", f.message}});
      }
      j["for_modules"].push_back(std::move(family));
    }
    j["error"] = p.error ? nlohmann::ordered_json(p.error->message()) : nlohmann::ordered_json(nullptr);
    index["packages"].push_back(std::move(j));
  }
  return index;
}

} // namespace dfota::release
