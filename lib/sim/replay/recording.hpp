// A module's part of a recorded conversation: the session log that
// `dfota upload --log-file` wrote (formats/session-log.md), read back for one
// port as the steps a replaying module takes. The host's lines become
// commands to wait for, the module's lines answers to send, and the port
// events the module's disappearances and returns at its reboots.
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "transport/clock.hpp"

namespace dfota::sim {

struct ReplayStep {
  enum class Kind {
    expect_command, // wait for the host to send `text` (a command line)
    send_line,      // send `text` as a line ("\r\n<text>\r\n")
    send_bytes,     // send `text` as it is (noise without an end of line)
    receive_data,   // take `size` bytes of data mode, an 'A' after every 1024 when `ack`
    expect_escape,  // wait for the host's "+++"
    port_gone,      // the port vanishes (a USB module reboots)
    port_back,      // the port is there again
  };
  Kind kind = Kind::send_line;
  std::string text;
  std::uint64_t size = 0;
  bool ack = false;
  // Time since the step before, as recorded: a replay waits this long (at
  // its speed) before a step of the module's.
  transport::Duration after{0};
  int log_line = 0; // 1-based line of the log the step comes from
};

struct Recording {
  std::string port; // as the log names it
  std::vector<ReplayStep> steps;
};

// Reads `log` for `port`, or for the only port it names when `port` is
// empty. Fails with SimErrc::bad_recording when the log has no line of a
// session log, names several ports and none was chosen, or has no command
// for the port. Lines of other shapes (a line cut by a crash) are skipped.
Expected<Recording> read_recording(std::istream& log, std::string_view port);

// Whether the host's `sent` line is the recorded command `recorded`: the
// same after "AT" in either case, where the recording's "***" (a redacted
// password) stands for any text.
bool command_matches(std::string_view recorded, std::string_view sent);

} // namespace dfota::sim
