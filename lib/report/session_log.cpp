#include "report/session_log.hpp"

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
    if (c < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02X", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
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
