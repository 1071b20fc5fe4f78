// The firmware area's error category, in a file of its own so that a program
// can map errors to exit codes without linking the rest of the area.
#include "firmware/firmware.hpp"

#include <string>

namespace dfota::firmware {

namespace {
const char* describe(FirmwareErrc value) {
  switch (value) {
  case FirmwareErrc::not_a_firmware: return "not a firmware directory";
  case FirmwareErrc::bad_firmware_json: return "bad firmware.json";
  case FirmwareErrc::unsupported_entry: return "unsupported entry";
  }
  return nullptr;
}
} // namespace

const std::error_category& firmware_category() {
  static const EnumErrorCategory<FirmwareErrc> category("firmware", describe, "unknown firmware error");
  return category;
}

std::error_code make_error_code(FirmwareErrc value) { return {static_cast<int>(value), firmware_category()}; }

} // namespace dfota::firmware
