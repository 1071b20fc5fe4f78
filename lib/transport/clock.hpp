// Time for everything that waits: transports, the AT channel, the simulator.
// Code takes a Clock& so that tests can replace real time with a ManualClock
// and check timeouts and guard times without sleeping.
#pragma once

#include <atomic>
#include <chrono>

namespace dfota::transport {

using Duration = std::chrono::milliseconds;
using TimePoint = std::chrono::steady_clock::time_point;

class Clock {
public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
  // Returns at `when` (at once when it has passed).
  virtual void sleep_until(TimePoint when) = 0;
  void sleep_for(Duration duration) { sleep_until(now() + duration); }
  TimePoint deadline_in(Duration duration) const { return now() + duration; }
};

// The process's monotonic clock.
class SteadyClock final : public Clock {
public:
  TimePoint now() const override;
  void sleep_until(TimePoint when) override;
};
Clock& steady_clock();

// A clock that moves only when told to (or when something sleeps on it).
// Thread-safe: the threads of a fleet may share one; a sleep moves it to
// the latest time any thread sleeps until.
class ManualClock final : public Clock {
public:
  TimePoint now() const override { return TimePoint(TimePoint::duration(ticks_.load())); }
  void sleep_until(TimePoint when) override {
    const auto target = when.time_since_epoch().count();
    auto current = ticks_.load();
    while (target > current && !ticks_.compare_exchange_weak(current, target)) {
    }
  }
  void advance(Duration duration) { ticks_ += std::chrono::duration_cast<TimePoint::duration>(duration).count(); }

private:
  std::atomic<TimePoint::duration::rep> ticks_{0}; // since the epoch of steady_clock
};

// Milliseconds left until `deadline` (0 when it has passed), for poll().
int milliseconds_until(const Clock& clock, TimePoint deadline);

} // namespace dfota::transport
