// The Mender Update Module `dfota` (Update Module protocol v3): Mender's
// client calls it once per state of a deployment with the state's name and
// the payload's tree,
//   /usr/share/mender/modules/v3/dfota STATE FILES
// and the installed script there runs `dfota mender-update-module STATE FILES`.
//
// An artifact of type `dfota` carries a package (ours or a vendor's) and,
// optionally, the reverse package; its meta-data (and the device's own
// settings file) say where the module is and what it must run afterwards.
// ArtifactInstall runs `dfota upload`; the cellular module reboots, not the
// host, so NeedsArtifactReboot is "No". SupportsRollback is always "Yes":
// ArtifactRollback does nothing when the package never ran on the module
// (the device stays consistent), and uploads the reverse package when it did
// (failing when the artifact carries none). What each state did is kept in
// FILES/tmp for the next state.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace dfota::mender {

// The settings of one deployment: the device's settings file first, then the
// artifact's meta-data, key by key.
struct Settings {
  std::string port;                     // the AT port; or found from port_pattern
  std::string port_pattern;             // a glob in /dev/serial/by-path (or absolute)
  std::string profile;                  // --profile (empty: told from ATI)
  std::string method;                   // --method (empty: auto)
  std::string package;                  // the payload file to install (empty: the only one)
  std::string rollback_package;         // the reverse package among the payload files
  std::string to_version;               // the revision the module must run afterwards
  std::string rollback_to_version;      // the revision after a rollback (default: the one before)
  std::vector<std::string> upload_args; // further `dfota upload` options (--apn, --serve, --timeout ...)
};

// Reads the device's settings (`device_settings`, absent is fine) and then
// FILES/header/meta-data. Errors name the file and the key.
Expected<Settings> load_settings(const std::filesystem::path& files, const std::filesystem::path& device_settings);

// Where the device's settings live: $DFOTA_MENDER_SETTINGS, else
// /etc/dfota/mender-update-module.json.
std::filesystem::path device_settings_path();

// Runs `dfota upload ARGS` and returns its exit code, with its standard
// output (JSON lines) in `json_lines`; its standard error goes to `log`.
using UploadRunner =
    std::function<int(const std::vector<std::string>& args, std::string& json_lines, std::ostream& log)>;

struct Environment {
  std::filesystem::path device_settings = device_settings_path();
  std::filesystem::path by_path_dir = "/dev/serial/by-path";
  UploadRunner upload;
};

// Handles one state. Query states (SupportsRollback, NeedsArtifactReboot)
// answer on `out`; everything for people goes to `log`, which Mender keeps
// as the deployment's log. Returns the exit code Mender reads: 0 success;
// otherwise dfota's exit code (README), which Mender takes as a failure.
// An unknown state is ignored (exit 0), as the protocol asks.
int handle_state(const std::string& state, const std::filesystem::path& files, const Environment& environment,
                 std::ostream& out, std::ostream& log);

} // namespace dfota::mender
