// A fleet: one package to many modules at once, one thread per port, and the
// two inputs a fleet is described by on a command line (a ports file and the
// timeout settings).
//
// The library never prints: each module's events and conversation go to the
// observer the caller makes for it.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "upload/uploader.hpp"

namespace dfota::upload {

// What the caller wants to hear of one module (index into the ports).
// Called from that module's thread: each may be called concurrently with
// the other modules' observers.
struct ModuleObserver {
  std::function<void(const UploadEvent&)> on_event;
  at::ConversationLog log;
};

// Runs run_upload() for every port in parallel with `options` (its port set
// to each in turn, everything else shared, the package's bytes too when
// options.loaded holds them) and returns the outcomes in the order of
// `ports`. One module's failure does not stop the others. Returns when
// every module is done; each run's own timeouts bound it.
std::vector<UploadOutcome> run_fleet(const UploadOptions& options, const std::vector<std::string>& ports,
                                     const profiles::Profile* profile, const profiles::Registry& registry,
                                     const std::function<ModuleObserver(std::size_t index)>& observe = {},
                                     transport::Clock& clock = transport::steady_clock(),
                                     transport::PortOpener& opener = transport::system_ports());

// A ports file: one port per line; blank lines, surrounding spaces and '#'
// comments are skipped. An I/O error when it cannot be read.
Expected<std::vector<std::string>> read_ports_file(const std::filesystem::path& path);

// "KEY=SECONDS" (command, urc, port, version, total; 0 < SECONDS <= 86400)
// into `timeouts`. CoreErrc::invalid_input naming the expected form
// otherwise; `timeouts` is unchanged then.
Status apply_timeout_setting(const std::string& setting, UploadTimeouts& timeouts);

} // namespace dfota::upload
