// The transport area's error category, in a file of its own so that a program
// can map errors to exit codes without linking the rest of the area.
#include "transport/transport.hpp"

#include <string>

namespace dfota::transport {

namespace {
const char* describe(TransportErrc value) {
  switch (value) {
  case TransportErrc::timeout: return "timed out";
  case TransportErrc::closed: return "port closed";
  case TransportErrc::open_failed: return "cannot open port";
  case TransportErrc::bad_setting: return "unsupported port setting";
  }
  return nullptr;
}
} // namespace

const std::error_category& transport_category() {
  static const EnumErrorCategory<TransportErrc> category("transport", describe, "unknown transport error");
  return category;
}

std::error_code make_error_code(TransportErrc value) { return {static_cast<int>(value), transport_category()}; }

} // namespace dfota::transport
