#include "mender/update_module.hpp"

#include <cstdlib>
#include <fstream>
#include <glob.h>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <variant>

#include "cli/exit_codes.hpp"
#include "core/files.hpp"
#include "core/text.hpp"

namespace dfota::mender {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// An error carrying one of dfota's exit codes, for the states to return.
struct Failure {
  int exit_code;
  std::string message;
};

Expected<json> read_json_object(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return make_error(CoreErrc::io_error, path.string() + ": cannot be read");
  json value = json::parse(in, nullptr, false);
  if (value.is_discarded() || !value.is_object())
    return make_error(CoreErrc::invalid_input, path.string() + ": not a JSON object");
  return value;
}

Status merge_settings(const json& object, const fs::path& origin, Settings& settings) {
  static const std::set<std::string> known{"port",       "port_pattern",     "profile",    "method",
                                           "package",    "rollback_package", "to_version", "rollback_to_version",
                                           "upload_args"};
  for (const auto& [key, value] : object.items()) {
    if (!known.count(key))
      return make_error(CoreErrc::invalid_input, origin.string() + ": unknown key \"" + printable(key) +
                                                     "\" (known: port, port_pattern, profile, method, package, "
                                                     "rollback_package, to_version, rollback_to_version, "
                                                     "upload_args)");
    if (key == "upload_args") {
      if (!value.is_array())
        return make_error(CoreErrc::invalid_input, origin.string() + ": upload_args must be a list of strings");
      settings.upload_args.clear();
      for (const auto& item : value) {
        if (!item.is_string())
          return make_error(CoreErrc::invalid_input, origin.string() + ": upload_args must be a list of strings");
        settings.upload_args.push_back(item.get<std::string>());
      }
      continue;
    }
    if (!value.is_string() || value.get<std::string>().empty())
      return make_error(CoreErrc::invalid_input, origin.string() + ": \"" + key + "\" must be a non-empty string");
    const std::string text = value.get<std::string>();
    std::string* field = key == "port"               ? &settings.port
                         : key == "port_pattern"     ? &settings.port_pattern
                         : key == "profile"          ? &settings.profile
                         : key == "method"           ? &settings.method
                         : key == "package"          ? &settings.package
                         : key == "rollback_package" ? &settings.rollback_package
                         : key == "to_version"       ? &settings.to_version
                                                     : &settings.rollback_to_version;
    *field = text;
  }
  // A port from the artifact replaces a pattern from the device, and the reverse.
  if (object.contains("port") && !object.contains("port_pattern")) settings.port_pattern.clear();
  if (object.contains("port_pattern") && !object.contains("port")) settings.port.clear();
  return {};
}

// The payload file named `name` in FILES/files, which must be a plain file name.
std::variant<fs::path, Failure> payload_file(const fs::path& files, const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
    return Failure{cli::kUsage, "\"" + printable(name) + "\" is not a payload file name"};
  const fs::path path = files / "files" / name;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    return Failure{cli::kPackageNotFound, "the artifact carries no payload file \"" + printable(name) + "\""};
  return path;
}

// The package to install: the one named, else the only payload file that is
// not the reverse package.
std::variant<fs::path, Failure> package_to_install(const fs::path& files, const Settings& settings) {
  if (!settings.package.empty()) return payload_file(files, settings.package);
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(files / "files", ec), end; !ec && it != end; it.increment(ec))
    if (it->path().filename() != settings.rollback_package) names.push_back(it->path().filename().string());
  if (names.size() == 1) return payload_file(files, names[0]);
  if (names.empty()) return Failure{cli::kPackageNotFound, "the artifact carries no package"};
  return Failure{cli::kUsage, "the artifact carries " + std::to_string(names.size()) +
                                  " files: name the package with the meta-data key \"package\""};
}

std::variant<std::string, Failure> resolve_port(const Settings& settings, const fs::path& by_path_dir) {
  if (!settings.port.empty()) return settings.port;
  if (settings.port_pattern.empty())
    return Failure{cli::kUsage, "no port: give \"port\" or \"port_pattern\" in the artifact's meta-data or in " +
                                    device_settings_path().string()};
  const std::string pattern =
      settings.port_pattern.front() == '/' ? settings.port_pattern : (by_path_dir / settings.port_pattern).string();
  glob_t found{};
  const int rc = ::glob(pattern.c_str(), 0, nullptr, &found);
  std::vector<std::string> ports(found.gl_pathv, found.gl_pathv + (rc == 0 ? found.gl_pathc : 0));
  ::globfree(&found);
  if (ports.empty()) return Failure{cli::kPortError, "no port matches " + printable(pattern)};
  if (ports.size() > 1)
    return Failure{cli::kUsage, std::to_string(ports.size()) + " ports match " + printable(pattern) + " (" +
                                    printable(ports[0]) + ", " + printable(ports[1]) +
                                    (ports.size() > 2 ? ", ..." : "") + "): the pattern must name one module"};
  return ports[0];
}

// Reads an upload's JSON lines once: each event goes to the deployment log,
// one line each; returns the summary line (null when it wrote none).
json log_events(const std::string& json_lines, std::ostream& log) {
  json summary;
  std::istringstream lines(json_lines);
  for (std::string line; std::getline(lines, line);) {
    json e = json::parse(line, nullptr, false);
    if (!e.is_object()) continue;
    const std::string kind = e.value("event", "");
    const std::string time = e.value("time", "");
    if (kind == "summary")
      summary = std::move(e);
    else if (kind == "step" || kind == "warning" || kind == "port")
      log << time << " " << (kind == "warning" ? "warning: " : "") << printable(e.value("text", "")) << "\n";
    else if (kind == "fota" || kind == "retry")
      log << time << " module: " << printable(e.value("stage", "")) << " " << e.value("value", 0) << "\n";
    else if (kind == "transfer" && e.value("bytes", 0ull) == e.value("total", 1ull))
      log << time << " sent " << e.value("bytes", 0ull) << " bytes\n";
  }
  return summary;
}

std::string text_of(const json& summary, const char* key) {
  return summary.is_object() && summary.contains(key) && summary[key].is_string() ? summary[key].get<std::string>()
                                                                                  : "";
}

struct UploadResult {
  int exit_code = 0;
  json summary;
};

// `dfota upload PACKAGE --port PORT --json ...`, its summary kept as FILES/tmp/<name>.
UploadResult upload(const fs::path& files, const Settings& settings, const fs::path& package, const std::string& port,
                    const std::string& name, const Environment& environment, std::ostream& log) {
  std::vector<std::string> args{"upload", package.string(), "--port", port, "--json"};
  if (!settings.profile.empty()) args.insert(args.end(), {"--profile", settings.profile});
  if (!settings.method.empty()) args.insert(args.end(), {"--method", settings.method});
  args.insert(args.end(), settings.upload_args.begin(), settings.upload_args.end());
  log << "dfota upload " << printable(package.filename().string()) << " --port " << printable(port) << "\n";
  UploadResult result;
  std::string json_lines;
  result.exit_code = environment.upload(args, json_lines, log);
  result.summary = log_events(json_lines, log);
  std::error_code ec;
  fs::create_directories(files / "tmp", ec);
  if (!result.summary.is_null()) (void)write_text_file(files / "tmp" / name, result.summary.dump(2) + "\n");
  return result;
}

int fail(std::ostream& log, const Failure& failure) {
  log << "dfota: error: " << failure.message << "\n";
  return failure.exit_code;
}

void log_outcome(std::ostream& log, const char* what, const UploadResult& r) {
  if (r.exit_code == cli::kOk) {
    log << "dfota: " << what << ": the module runs " << printable(text_of(r.summary, "module_version_after"))
        << " (was " << printable(text_of(r.summary, "module_version_before")) << ")\n";
    return;
  }
  log << "dfota: " << what << " failed with exit code " << r.exit_code;
  if (r.summary.is_object()) {
    log << ": " << printable(text_of(r.summary, "error"));
    if (r.summary.contains("lwm2m_result")) log << " (LwM2M result " << r.summary["lwm2m_result"] << ")";
  }
  log << "\n";
}

int install(const fs::path& files, const Environment& environment, std::ostream& log) {
  auto settings = load_settings(files, environment.device_settings);
  if (!settings) return fail(log, {cli::kUsage, settings.error().message()});
  auto package = package_to_install(files, *settings);
  if (auto* failure = std::get_if<Failure>(&package)) return fail(log, *failure);
  auto port = resolve_port(*settings, environment.by_path_dir);
  if (auto* failure = std::get_if<Failure>(&port)) return fail(log, *failure);
  auto result = upload(files, *settings, std::get<fs::path>(package), std::get<std::string>(port),
                       "install-summary.json", environment, log);
  log_outcome(log, "install", result);
  if (result.exit_code != cli::kOk) return result.exit_code;
  const std::string after = text_of(result.summary, "module_version_after");
  if (!settings->to_version.empty() && after != settings->to_version)
    return fail(log, {cli::kWrongVersion, "the module runs " + printable(after) + ", not " +
                                              printable(settings->to_version) + " (to_version)"});
  return cli::kOk;
}

int roll_back(const fs::path& files, const Environment& environment, std::ostream& log) {
  // What the install did decides, before anything else is read: an artifact
  // whose settings were refused never reached the module.
  auto installed = read_json_object(files / "tmp" / "install-summary.json");
  if (!installed) {
    log << "dfota: nothing to roll back: the install never reached the module\n";
    return cli::kOk;
  }
  const std::string before = text_of(*installed, "module_version_before");
  if (!installed->value("ok", false) && installed->value("lwm2m_state", 0) == 0) {
    log << "dfota: nothing to roll back: the package never ran on the module, which runs " << printable(before) << "\n";
    return cli::kOk;
  }
  auto settings = load_settings(files, environment.device_settings);
  if (!settings) return fail(log, {cli::kUsage, settings.error().message()});
  if (settings->rollback_package.empty())
    return fail(log, {cli::kUsage, "the package ran on the module and the artifact carries no reverse package "
                                   "(rollback_package): cannot roll back"});
  auto package = payload_file(files, settings->rollback_package);
  if (auto* failure = std::get_if<Failure>(&package)) return fail(log, *failure);
  auto port = resolve_port(*settings, environment.by_path_dir);
  if (auto* failure = std::get_if<Failure>(&port)) return fail(log, *failure);
  auto result = upload(files, *settings, std::get<fs::path>(package), std::get<std::string>(port),
                       "rollback-summary.json", environment, log);
  // A failed upgrade may have left the module on its old revision, which the
  // reverse package's pre-flight then refuses: nothing to undo.
  if (result.exit_code == cli::kValidationFailed && !before.empty() &&
      text_of(result.summary, "module_version_before") == before) {
    log << "dfota: nothing to roll back: the module still runs " << printable(before) << "\n";
    return cli::kOk;
  }
  log_outcome(log, "rollback", result);
  if (result.exit_code != cli::kOk) return result.exit_code;
  const std::string expected = settings->rollback_to_version.empty() ? before : settings->rollback_to_version;
  const std::string after = text_of(result.summary, "module_version_after");
  if (!expected.empty() && after != expected)
    return fail(log, {cli::kWrongVersion,
                      "after the rollback the module runs " + printable(after) + ", not " + printable(expected)});
  return cli::kOk;
}

} // namespace

fs::path device_settings_path() {
  if (const char* path = std::getenv("DFOTA_MENDER_SETTINGS"); path && *path) return path;
  return "/etc/dfota/mender-update-module.json";
}

Expected<Settings> load_settings(const fs::path& files, const fs::path& device_settings) {
  Settings settings;
  std::error_code ec;
  if (fs::exists(device_settings, ec)) {
    auto device = read_json_object(device_settings);
    if (!device) return device.error();
    if (auto ok = merge_settings(*device, device_settings, settings); !ok) return ok.error();
  }
  const fs::path meta = files / "header" / "meta-data";
  if (fs::exists(meta, ec) && fs::file_size(meta, ec) > 0) {
    auto artifact = read_json_object(meta);
    if (!artifact) return artifact.error();
    if (auto ok = merge_settings(*artifact, "the artifact's meta-data", settings); !ok) return ok.error();
  }
  return settings;
}

int handle_state(const std::string& state, const fs::path& files, const Environment& environment, std::ostream& out,
                 std::ostream& log) {
  if (state == "NeedsArtifactReboot") {
    out << "No\n"; // the cellular module reboots itself; the host does not
    return cli::kOk;
  }
  if (state == "SupportsRollback") {
    // Always: a failed install that never reached the module rolls back by
    // doing nothing, so the device stays consistent; a module that ran the
    // package needs the artifact's reverse package (ArtifactRollback).
    out << "Yes\n";
    return cli::kOk;
  }
  if (state == "ArtifactInstall") return install(files, environment, log);
  if (state == "ArtifactRollback") return roll_back(files, environment, log);
  if (state == "ArtifactFailure") {
    log << "dfota: the deployment failed; the upload summaries are in " << (files / "tmp").string() << "\n";
    return cli::kOk;
  }
  // Download (Mender stores the payload in FILES/files), ArtifactCommit (the
  // install already confirmed the revision), ArtifactVerifyReboot, Cleanup,
  // and states of later protocol versions: nothing to do.
  return cli::kOk;
}

} // namespace dfota::mender
