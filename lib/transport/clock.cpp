#include "transport/clock.hpp"

#include <algorithm>
#include <limits>
#include <thread>

namespace dfota::transport {

TimePoint SteadyClock::now() const { return std::chrono::steady_clock::now(); }

void SteadyClock::sleep_until(TimePoint when) { std::this_thread::sleep_until(when); }

Clock& steady_clock() {
  static SteadyClock clock;
  return clock;
}

int milliseconds_until(const Clock& clock, TimePoint deadline) {
  const auto left = std::chrono::ceil<Duration>(deadline - clock.now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, std::numeric_limits<int>::max()));
}

} // namespace dfota::transport
