#include "report/session_log.hpp"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "profiles/url.hpp"

namespace dfota::report {

std::string utc_timestamp_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char buffer[40];
  const std::size_t n = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(buffer + n, sizeof buffer - n, ".%03dZ", static_cast<int>(millis));
  return buffer;
}

std::string log_safe(std::string_view text) {
  // Every word with an '@' in it (words end at a space, quote or comma) may
  // be a URL with credentials, whatever its shape: each loses its password.
  std::string redacted;
  std::string_view rest = text;
  while (!rest.empty()) {
    const auto end = rest.find_first_of(" \"',");
    const std::string_view word = rest.substr(0, end);
    if (word.find('@') != std::string_view::npos)
      redacted += profiles::redact_url(std::string(word));
    else
      redacted += word;
    if (end == std::string_view::npos) break;
    redacted += rest[end];
    rest.remove_prefix(end + 1);
  }
  std::string out;
  for (unsigned char c : redacted) {
    if (c < 0x20 || c == 0x7f || c == '\\') {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02X", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string log_text_bytes(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size() && text[i + 1] == 'x' &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 3]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(text.substr(i + 2, 2)), nullptr, 16)));
      i += 3;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::optional<SessionLogLine> parse_session_log_line(std::string_view line) {
  // 2026-11-21T10:00:00.123Z [port] > text
  if (line.size() < 26 || line[4] != '-' || line[10] != 'T' || line[19] != '.' || line[23] != 'Z' || line[24] != ' ')
    return std::nullopt;
  std::tm utc{};
  int millis = 0;
  if (std::sscanf(std::string(line.substr(0, 24)).c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &utc.tm_year, &utc.tm_mon,
                  &utc.tm_mday, &utc.tm_hour, &utc.tm_min, &utc.tm_sec, &millis) != 7)
    return std::nullopt;
  utc.tm_year -= 1900;
  utc.tm_mon -= 1;
  SessionLogLine parsed;
  parsed.time_ms = static_cast<std::int64_t>(::timegm(&utc)) * 1000 + millis;
  std::string_view rest = line.substr(25);
  if (!rest.empty() && rest.front() == '[') {
    // Port names hold no "] " (they are paths); the first one ends the name.
    const auto end = rest.find("] ");
    if (end == std::string_view::npos) return std::nullopt;
    parsed.port = std::string(rest.substr(1, end - 1));
    rest.remove_prefix(end + 2);
  }
  if (rest.size() < 2 || rest[1] != ' ' || std::string_view("<>-*").find(rest[0]) == std::string_view::npos)
    return std::nullopt;
  parsed.marker = rest[0];
  parsed.text = std::string(rest.substr(2));
  return parsed;
}

Expected<std::unique_ptr<SessionLog>> SessionLog::open(const std::filesystem::path& path) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) return make_error(CoreErrc::io_error, "cannot write the log file " + path.string());
  return std::unique_ptr<SessionLog>(new SessionLog(std::move(file)));
}

void SessionLog::write(std::string_view port, std::string_view marker, std::string_view text) {
  std::string line = utc_timestamp_now();
  if (!port.empty()) {
    line += " [";
    line += port;
    line += ']';
  }
  line += ' ';
  line += marker;
  line += ' ';
  line += log_safe(text);
  line += '\n';
  std::lock_guard lock(mutex_);
  file_ << line << std::flush;
}

} // namespace dfota::report
