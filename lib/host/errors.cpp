// The host area's error category, in a file of its own so that a program
// can map errors to exit codes without linking the rest of the area.
#include "host/modem_manager.hpp"

namespace dfota::host {

namespace {
const char* describe(HostErrc value) {
  switch (value) {
  case HostErrc::bus_unavailable: return "ModemManager is not on the system bus";
  case HostErrc::not_managed: return "ModemManager manages no modem with that port";
  case HostErrc::refused: return "ModemManager refused the request";
  case HostErrc::bad_reply: return "ModemManager's answer is malformed";
  }
  return nullptr;
}
} // namespace

const std::error_category& host_category() {
  static const EnumErrorCategory<HostErrc> category("host", describe, "unknown host error");
  return category;
}

std::error_code make_error_code(HostErrc value) { return {static_cast<int>(value), host_category()}; }

} // namespace dfota::host
