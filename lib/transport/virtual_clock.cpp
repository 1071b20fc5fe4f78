#include "transport/virtual_clock.hpp"

#include <algorithm>
#include <vector>

namespace dfota::transport {

namespace {
// The clocks the calling thread takes part in: waits of other threads
// neither count nor move the time.
thread_local std::vector<const VirtualClock*> participating_in;

bool takes_part(const VirtualClock* clock) {
  return std::find(participating_in.begin(), participating_in.end(), clock) != participating_in.end();
}
} // namespace

VirtualClock::VirtualClock() : now_(std::chrono::steady_clock::now()) {}

TimePoint VirtualClock::now() const {
  std::lock_guard lock(mutex_);
  return now_;
}

void VirtualClock::sleep_until(TimePoint when) { wait_until(when, nullptr); }

bool VirtualClock::wait_until(TimePoint deadline, const std::function<bool()>& step) {
  std::unique_lock lock(mutex_);
  const bool counts = takes_part(this);
  for (;;) {
    if (step && step()) {
      wake_all_locked();
      return true;
    }
    if (now_ >= deadline) {
      // Its wake-up is gone: the others, all waiting, may move on to theirs.
      advance_if_all_wait_locked();
      return false;
    }
    const auto wakeup = wakeups_.insert(deadline);
    const std::uint64_t generation = generation_;
    if (counts) {
      ++waiting_;
      advance_if_all_wait_locked();
    }
    woken_.wait(lock, [&] { return generation_ != generation; });
    wakeups_.erase(wakeup);
  }
}

void VirtualClock::change(const std::function<void()>& change) {
  std::lock_guard lock(mutex_);
  change();
  wake_all_locked();
}

void VirtualClock::look(const std::function<void()>& look) const {
  std::lock_guard lock(mutex_);
  look();
}

void VirtualClock::wake_all_locked() {
  ++generation_;
  waiting_ = 0;
  woken_.notify_all();
}

void VirtualClock::advance_if_all_wait_locked() {
  if (participants_ == 0 || waiting_ < participants_ || wakeups_.empty()) return;
  // A wake-up not after now is a waiter already woken that has not run yet:
  // it will look again by itself.
  if (*wakeups_.begin() <= now_) return;
  now_ = *wakeups_.begin();
  wake_all_locked();
}

VirtualClock::Participant::Participant(VirtualClock& clock) : clock_(clock) {
  std::lock_guard lock(clock_.mutex_);
  participating_in.push_back(&clock_);
  ++clock_.participants_;
  clock_.wake_all_locked();
}

VirtualClock::Participant::~Participant() {
  std::lock_guard lock(clock_.mutex_);
  participating_in.erase(std::find(participating_in.begin(), participating_in.end(), &clock_));
  --clock_.participants_;
  clock_.wake_all_locked();
}

VirtualClock::Hold::Hold(VirtualClock& clock) : clock_(clock) {
  std::lock_guard lock(clock_.mutex_);
  ++clock_.participants_;
}

VirtualClock::Hold::~Hold() {
  std::lock_guard lock(clock_.mutex_);
  --clock_.participants_;
  clock_.wake_all_locked();
}

} // namespace dfota::transport
