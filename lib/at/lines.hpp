// AT line framing and classification as pure functions: bytes in, lines out,
// each line sorted into echo, final result, information or unsolicited result
// code (URC). No I/O here; at/channel.hpp puts this on a transport.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"

namespace dfota::at {

// Splits a byte stream into lines at CR, LF or CR LF; empty lines are
// dropped. Keeps an unfinished line until more bytes come.
class LineFramer {
public:
  // The longest line kept; longer ones are line noise (cut here, dropped by
  // the Channel).
  static constexpr std::size_t kMaxLine = 4096;

  // Appends the lines completed by `bytes` to `lines`.
  void feed(ByteSpan bytes, std::vector<std::string>& lines);
  // The unfinished line so far (for example a prompt that never ends).
  const std::string& pending() const { return pending_; }
  void clear() { pending_.clear(); }

private:
  std::string pending_;
};

enum class LineKind {
  echo,       // the command coming back (ATE1)
  ok,         // OK
  error,      // ERROR
  cme_error,  // +CME ERROR: <n>
  cms_error,  // +CMS ERROR: <n>
  connect,    // CONNECT [<text>]: data mode follows
  no_carrier, // NO CARRIER
  urc,        // unsolicited: +QIND:, RDY, +CPIN: outside its command, ...
  info,       // information text of the command in progress
  noise,      // unprintable bytes: line noise or a garbled line
};
const char* to_string(LineKind kind);

struct Line {
  LineKind kind = LineKind::info;
  std::string text;
  int code = -1; // +CME/+CMS ERROR number; -1 when it is text (AT+CMEE=2)
};

bool is_final(LineKind kind);

// The name of an AT command line: "AT+QFOTADL=..." -> "+QFOTADL", "ATI" ->
// "I", "ATE0" -> "E", "AT" -> "" (case folded to upper).
std::string command_name(std::string_view command_line);

// Classifies one line given the command waiting for its answer ("" when
// none). A "+NAME:" line is information when NAME is that command's name,
// a URC otherwise.
Line classify_line(std::string_view line, std::string_view pending_command);

// True for a line an AT port sends unsolicited whatever is pending.
bool is_urc_line(std::string_view line);

} // namespace dfota::at
