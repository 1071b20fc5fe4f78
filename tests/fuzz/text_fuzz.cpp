// libFuzzer targets for the text a module or a user hands us: AT lines and
// command lines, URLs, module profiles, session logs to replay.
#include <sstream>
#include <string>
#include <string_view>

#include "at/command_line.hpp"
#include "at/lines.hpp"
#include "at/responses.hpp"
#include "fuzz/fuzz_target.hpp"
#include "profiles/profile.hpp"
#include "profiles/revision.hpp"
#include "profiles/url.hpp"
#include "report/session_log.hpp"
#include "sim/replay/recording.hpp"
#include "validate/validator.hpp"

namespace dfota::fuzz {

namespace {

const profiles::Profile& any_profile() {
  static const profiles::Profile profile = [] {
    profiles::Profile p;
    p.id = "fuzz";
    return p;
  }();
  return profile;
}

} // namespace

int fuzz_at_lines(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // The first line is the pending command, the rest are what "the module" says.
  std::string_view rest = text;
  const auto first_end = rest.find('\n');
  const std::string_view pending = rest.substr(0, first_end);
  rest = first_end == std::string_view::npos ? std::string_view() : rest.substr(first_end + 1);
  std::vector<std::string> lines;
  while (!rest.empty() && lines.size() < 256) {
    const auto end = rest.find_first_of("\r\n");
    lines.emplace_back(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  }
  (void)at::command_name(pending);
  (void)at::parse_command_line(pending);
  for (const auto& line : lines) {
    (void)at::classify_line(line, pending);
    (void)at::is_urc_line(line);
    (void)at::looks_like_fota_urc(line);
    if (auto event = at::parse_fota_urc(line)) (void)at::format_fota_urc(profiles::UrcSpelling{}, *event);
    (void)at::parse_upload_report(line, "+QFUPL");
    (void)at::parse_upload_report(line, "+QFOTADL");
    (void)at::parse_free_space(line);
    (void)at::parse_file_entry(line);
    (void)at::parse_revision_line(line);
    (void)at::is_placeholder_revision(line);
    (void)at::quote_argument(line);
    (void)at::parse_command_line(line);
    (void)profiles::parse_revision(line);
  }
  (void)at::parse_identity(lines);
  return 0;
}

int fuzz_url(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)profiles::redact_url(text);
  auto url = profiles::parse_url(text);
  if (url) (void)profiles::url_rule_problems(*url, text.size(), any_profile());
  return 0;
}

int fuzz_profile(const std::uint8_t* data, std::size_t size) {
  (void)profiles::parse_profile(ByteSpan(data, size), "fuzz.json");
  (void)profiles::parse_error_catalogue(ByteSpan(data, size), "fuzz.json");
  return 0;
}

int fuzz_recording(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::istringstream log(text);
  if (auto recording = sim::read_recording(log, "")) {
    for (const auto& step : recording->steps) {
      (void)sim::command_matches(step.text, step.text);
      (void)sim::command_matches(step.text, "AT+QGMR");
    }
  }
  std::istringstream chosen(text);
  (void)sim::read_recording(chosen, "/dev/ttyUSB2");
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    if (auto parsed = report::parse_session_log_line(line)) (void)report::log_text_bytes(parsed->text);
  return 0;
}

} // namespace dfota::fuzz
