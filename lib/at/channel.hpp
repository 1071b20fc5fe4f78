// The host's side of an AT port: sends command lines, collects their answers
// and keeps every URC that arrives meanwhile (also between a command and its
// answer) in order for the caller. Switches to raw data after CONNECT and
// back with +++ and its guard times.
//
// Not thread-safe; one Channel per port. The transport is borrowed and can be
// replaced after the port was reopened (USB re-enumeration).
#pragma once

#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "at/lines.hpp"
#include "transport/transport.hpp"

namespace dfota::at {

enum class AtErrc {
  command_failed = 1, // ERROR or +CME ERROR: the module refused
  bad_answer,         // an answer that does not have the expected shape
};
const std::error_category& at_category();
std::error_code make_error_code(AtErrc value);

struct Response {
  std::vector<std::string> info; // information lines, in order
  Line final;                    // OK, ERROR, +CME ERROR, CONNECT, NO CARRIER
  bool ok() const { return final.kind == LineKind::ok; }
};

// What went over an AT port, told the same way at both ends of the wire (the
// uploader's Channel, the simulated module, the replayer): a line to the
// module, a line from it (or a summary in parentheses), or an event of the
// side that keeps the log (the host's events go to UploadEvent instead).
enum class Direction { to_module, from_module, event };
using ConversationLog = std::function<void(Direction, std::string_view)>;
// How a host's logs mark a line (formats/session-log.md): ">" to the
// module, "<" from it, "-" an event.
inline const char* host_log_marker(Direction direction) {
  return direction == Direction::to_module ? ">" : direction == Direction::from_module ? "<" : "-";
}

class Channel {
public:
  Channel(transport::Transport& port, transport::Clock& clock, ConversationLog log = {});

  void set_transport(transport::Transport& port);
  transport::Transport& transport() { return *port_; }
  transport::Clock& clock() { return clock_; }

  // Sends `command` (without CR) and waits until `timeout` for its final
  // result. A final ERROR is a Response, not an error; only transport
  // failures (timeout, closed) are errors; a timeout names the command and
  // the time waited.
  //
  // After any wait for an answer timed out, the answer may still come and
  // would be taken for the next command's: the next command() first
  // resynchronises (see resynchronise()), within `timeout` plus kResyncTime.
  Expected<Response> command(std::string_view command, transport::Duration timeout);
  // The two halves of command(): send the line, then wait for the final
  // result of `pending` (used again after a data phase).
  // `shown` replaces the command in the conversation log (a URL without
  // its password).
  Status send_command(std::string_view command, std::string_view shown = {});
  Expected<Response> wait_final(std::string_view pending, transport::TimePoint deadline);

  // The next URC: a queued one first, else waits for one until `deadline`.
  Expected<std::string> next_urc(transport::TimePoint deadline);
  bool has_urc() const { return !urcs_.empty(); }

  // Raw data mode, after a CONNECT (or a FILESTART).
  Status write_data(ByteSpan data, transport::TimePoint deadline);
  // Raw bytes from the module (ACK characters); bytes that came in with the
  // CONNECT line are returned first.
  Expected<std::size_t> read_data(std::span<std::uint8_t> buffer, transport::TimePoint deadline);
  // Leaves data mode: `guard` of silence, "+++", `guard` of silence.
  Status escape_data_mode(transport::Duration guard = transport::Duration(1000));

  // Brings answers back in step with commands: waits until the module has
  // been silent for kQuietTime (URCs are kept, anything else is dropped as
  // out of step), sends AT+CMEE? (a probe nothing else sends), and accepts
  // only its own answer ("+CMEE: <n>", OK) with no further final result
  // within kQuietTime after it. Tries until `deadline`. On success the channel is in step; on failure
  // (timeout, closed) it stays marked and the next command() tries again.
  Status resynchronise(transport::TimePoint deadline);
  bool in_step() const { return in_step_; }
  static constexpr transport::Duration kQuietTime{300};
  static constexpr transport::Duration kResyncTime{5000};

  // Discards everything received and queued (the port's input too).
  void discard_input();
  // Lines that were unprintable or could not be placed.
  int noise_lines() const { return noise_lines_; }

private:
  // Reads more bytes into inbox_; false with the error on failure.
  Status fill(transport::TimePoint deadline);
  // Takes one complete line from inbox_ (CR/LF-terminated, non-empty).
  bool pop_line(std::string& line);
  void keep_urc(const std::string& line);
  // Reads until `quiet` passes without a byte (or `deadline`); URCs are
  // kept, other lines dropped. Returns how many final results were dropped.
  Expected<int> drain_until_quiet(transport::Duration quiet, transport::TimePoint deadline);

  transport::Transport* port_;
  transport::Clock& clock_;
  ConversationLog log_;
  std::string inbox_;
  std::deque<std::string> urcs_;
  int noise_lines_ = 0;
  bool in_step_ = true; // false after a wait for an answer timed out
};

} // namespace dfota::at

template <> struct std::is_error_code_enum<dfota::at::AtErrc> : std::true_type {};
