// The sim area's error category, in a file of its own so that a program
// can map errors to exit codes without linking the rest of the area.
#include "sim/errors.hpp"

#include <string>

#include "core/error.hpp"

namespace dfota::sim {

namespace {
const char* describe(SimErrc value) {
  switch (value) {
  case SimErrc::power_lost: return "power lost";
  case SimErrc::bad_option: return "bad simulator option";
  case SimErrc::replay_diverged: return "the host left the recording";
  case SimErrc::bad_recording: return "not a recording to replay";
  }
  return nullptr;
}
} // namespace

const std::error_category& sim_category() {
  static const EnumErrorCategory<SimErrc> category("sim", describe, "unknown simulator error");
  return category;
}

std::error_code make_error_code(SimErrc value) { return {static_cast<int>(value), sim_category()}; }

} // namespace dfota::sim
