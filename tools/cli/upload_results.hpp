// What `dfota upload` writes about a run once it is over, one module or a
// fleet: the JSON event and summary lines (formats/json/upload-event and
// upload-summary), the JUnit document, the log lines and the closing table.
// Pure functions of the outcomes: the command gathers, these format.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "profiles/profile.hpp"
#include "upload/uploader.hpp"

namespace dfota::cli {

// One module of the run: its outcome, its /dev/serial/by-path name ("" when
// it has none) and its events as event_line() wrote them.
struct ModuleRun {
  const upload::UploadOutcome& outcome;
  const std::string& by_path;
  const std::vector<std::string>& events;
};

// One line for an event, as the log file and the JUnit output keep it.
std::string event_line(const upload::UploadEvent& event);
// The event as a dfota.upload-event/1 document.
nlohmann::ordered_json event_json(const std::string& port, const upload::UploadEvent& event);
// The module's outcome as a dfota.upload-summary/1 document.
nlohmann::ordered_json summary_json(const ModuleRun& run, const profiles::Registry& registry);
// One suite for the upload of `package` by `method`, one case per module.
std::string junit_document(const std::filesystem::path& package, const std::string& method,
                           const std::vector<ModuleRun>& runs, const profiles::Registry& registry);
// The closing words: for one module its result line (success on `out`, the
// error on `err`); for a fleet a table on `out`.
void print_summary(const std::vector<ModuleRun>& runs, std::ostream& out, std::ostream& err);

} // namespace dfota::cli
