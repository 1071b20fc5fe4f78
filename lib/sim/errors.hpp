// The sim area's errors: the simulator's and the replayer's.
#pragma once

#include <system_error>

namespace dfota::sim {

enum class SimErrc {
  power_lost = 1,  // the power-loss fault fired; start a new simulator to resume
  bad_option,      // the options do not describe a module
  replay_diverged, // --replay: the host did not send what the recording has
  bad_recording,   // --replay: the log is not a recording this can play
};
const std::error_category& sim_category();
std::error_code make_error_code(SimErrc value);

} // namespace dfota::sim

template <> struct std::is_error_code_enum<dfota::sim::SimErrc> : std::true_type {};
