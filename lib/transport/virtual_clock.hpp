// Time for in-process tests of a host and a simulated module together: it
// moves only when every thread taking part waits, and then straight to the
// earliest time one of them waits for. Both sides run as fast as the CPU
// lets them, and a module's 90 s reboot costs nothing, while the order of
// events stays what real time would give.
//
// Thread-safe. A thread takes part while it holds a Participant; waits of
// threads that do not take part never move the time. A thread started to
// take part must count before its starter waits: hold the clock (Hold)
// until its Participant exists, or the starter alone moves the time. State that waiters
// look at (an in-memory port's bytes) is guarded by the clock's own lock:
// change it in change() or in a wait_until() step, so that waiters look
// again before the time moves.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <set>

#include "transport/clock.hpp"

namespace dfota::transport {

class VirtualClock final : public Clock {
public:
  VirtualClock();

  TimePoint now() const override;
  void sleep_until(TimePoint when) override;

  // Calls `step` under the clock's lock until it returns true (then true)
  // or until `deadline` has passed (then false). `step` may change shared
  // state; when it returns true every waiter looks again.
  bool wait_until(TimePoint deadline, const std::function<bool()>& step);
  // Runs `change` under the clock's lock, then every waiter looks again.
  void change(const std::function<void()>& change);
  // Runs `look` under the clock's lock; it must change nothing.
  void look(const std::function<void()>& look) const;

  // The calling thread takes part while this lives. Not movable.
  class Participant {
  public:
    explicit Participant(VirtualClock& clock);
    ~Participant();
    Participant(const Participant&) = delete;
    Participant& operator=(const Participant&) = delete;

  private:
    VirtualClock& clock_;
  };

  // Time stands still while this lives, as if a participant were busy:
  // until a thread takes over (a test's host thread starting). Any thread
  // may end it.
  class Hold {
  public:
    explicit Hold(VirtualClock& clock);
    ~Hold();
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;

  private:
    VirtualClock& clock_;
  };

private:
  // Under the lock: every waiter looks again (before the time may move).
  void wake_all_locked();
  // Under the lock: when every participant waits, time moves to the
  // earliest wake-up.
  void advance_if_all_wait_locked();

  mutable std::mutex mutex_;
  std::condition_variable woken_;
  TimePoint now_;
  int participants_ = 0;             // threads taking part, and holds
  int waiting_ = 0;                  // participants that looked since the last wake-up
  std::uint64_t generation_ = 0;     // bumped at every wake-up
  std::multiset<TimePoint> wakeups_; // what each waiter waits until
};

} // namespace dfota::transport
