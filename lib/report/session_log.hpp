// A log file of a session with modules, for support cases: every AT line
// each way and every event, one per line, each with a UTC timestamp and the
// port it belongs to. URL passwords are replaced by "***" before anything is
// written.
//
// Thread-safe: a fleet's workers share one log. Each line is flushed when
// written, so the file is complete up to the moment a process dies.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace dfota::report {

class SessionLog {
public:
  // Creates or truncates `path`; an I/O error when it cannot be written.
  static Expected<std::unique_ptr<SessionLog>> open(const std::filesystem::path& path);

  // "2026-11-21T10:00:00.123Z [port] > AT+QGMR"; `port` may be empty,
  // `marker` is ">" (to the module), "<" (from it) or "-" (an event).
  void write(std::string_view port, std::string_view marker, std::string_view text);

private:
  explicit SessionLog(std::ofstream file) : file_(std::move(file)) {}
  std::mutex mutex_;
  std::ofstream file_;
};

// Now as UTC with milliseconds ("2026-12-03T08:40:00.123Z"): the time of
// every log line and of upload's JSON events.
std::string utc_timestamp_now();

// The line as written to a log: URL passwords as "***", control bytes and
// the backslash as \xNN so one AT line stays one log line and reads back
// as it was (log_text_bytes).
std::string log_safe(std::string_view text);
// The inverse of log_safe's escaping: \xNN back to its byte (a password
// stays "***").
std::string log_text_bytes(std::string_view text);

// One line of a session log read back (formats/session-log.md): the inverse
// of SessionLog::write.
struct SessionLogLine {
  std::int64_t time_ms = 0; // UTC, milliseconds since 1970
  std::string port;         // empty when the line names none
  char marker = '-';        // '>', '<', '-' or '*'
  std::string text;         // as written (escaped)
};
// Nothing for a line of another shape.
std::optional<SessionLogLine> parse_session_log_line(std::string_view line);

} // namespace dfota::report
