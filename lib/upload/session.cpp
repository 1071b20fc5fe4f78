#include "upload/session.hpp"

#include "core/text.hpp"
#include "profiles/revision.hpp"

namespace dfota::upload {

using transport::Duration;

Error Session::fail(UploadErrc code, const std::string& message, int module_code, const std::string& scope) {
  report.error_code = module_code;
  report.error_scope = scope;
  if (module_code != 0 && profile) {
    report.error_meaning = registry.meaning(module_code, profile->id, scope == "validate" ? "" : scope);
    if (report.error_meaning.empty()) report.error_meaning = registry.meaning(module_code, profile->id);
  }
  std::string text = message;
  if (module_code != 0 && !report.error_meaning.empty() && text.find(report.error_meaning) == std::string::npos)
    text += " (" + std::to_string(module_code) + ": " + report.error_meaning + ")";
  report.error_message = text;
  return make_error(code, text);
}

std::string Session::named_timeout(Duration timeout, const char* key) {
  const std::string seconds = seconds_text(timeout);
  return seconds + " s (--timeout " + key + "=" + seconds + ")";
}

Expected<at::Response> Session::command(const std::string& text, Duration timeout) {
  if (timeout == Duration(0)) timeout = options.timeouts.command;
  return channel->command(text, timeout);
}

Duration Session::qfotadl_timeout() const {
  const Duration command = options.timeouts.command;
  if (!profile || !profile->qfotadl_answer) return command;
  return std::max(command, std::chrono::duration_cast<Duration>(*profile->qfotadl_answer));
}

bool Session::same_version(const std::string& reported, const std::string& expected) const {
  if (reported == expected) return true;
  // A revision named without its sub-version (a vendor package's metadata,
  // --to-version as people often write it) is run by any sub-version of it.
  if (profiles::parse_revision(expected).sub_version.empty() && !expected.empty() &&
      profiles::parse_revision(reported).base == expected)
    return true;
  // AT+CGMR prints the revision without the sub-version.
  return !qgmr_works && profiles::parse_revision(expected).base == reported;
}

bool Session::reached_target(const std::string& reported) const {
  if (report.target_stated) return same_version(reported, report.target_version);
  return !reported.empty() && !same_version(reported, report.module_version_before);
}

std::string Session::upload_name() const {
  if (!options.upload_name.empty()) return options.upload_name;
  return options.package.filename().string();
}

} // namespace dfota::upload
