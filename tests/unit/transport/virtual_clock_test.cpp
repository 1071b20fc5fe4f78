// Virtual time: it moves only when every thread taking part waits, straight
// to the earliest wake-up, and never while one of them is busy or held.
#include "transport/virtual_clock.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace dfota::transport {
namespace {

using namespace std::chrono_literals;

TEST(VirtualClock, ALongSleepCostsNoRealTime) {
  VirtualClock clock;
  const TimePoint start = clock.now();
  const auto real_start = std::chrono::steady_clock::now();
  {
    VirtualClock::Participant taking_part(clock);
    clock.sleep_for(Duration(90'000));
  }
  EXPECT_EQ(clock.now() - start, 90s);
  EXPECT_LT(std::chrono::steady_clock::now() - real_start, 5s);
}

TEST(VirtualClock, TwoThreadsMeetInTheOrderRealTimeWouldGive) {
  VirtualClock clock;
  const TimePoint start = clock.now();
  bool sent = false; // under the clock's lock
  TimePoint sent_at{}, seen_at{};
  // The sender counts from before this thread waits: a hold until it takes part.
  auto until_sender = std::make_unique<VirtualClock::Hold>(clock);
  std::thread sender([&] {
    VirtualClock::Participant taking_part(clock);
    until_sender.reset();
    clock.sleep_for(Duration(2000));
    clock.change([&] { sent = true; });
    sent_at = clock.now();
  });
  {
    VirtualClock::Participant taking_part(clock);
    // Waits up to 10 s for what the sender sends after 2 s.
    const bool seen = clock.wait_until(start + 10s, [&] { return sent; });
    seen_at = clock.now();
    EXPECT_TRUE(seen);
  }
  sender.join();
  EXPECT_EQ(sent_at - start, 2s);
  EXPECT_EQ(seen_at - start, 2s);
}

TEST(VirtualClock, ADeadlineThatPassesGivesFalseAtThatTime) {
  VirtualClock clock;
  const TimePoint start = clock.now();
  VirtualClock::Participant taking_part(clock);
  EXPECT_FALSE(clock.wait_until(start + 1500ms, [] { return false; }));
  EXPECT_EQ(clock.now() - start, 1500ms);
}

TEST(VirtualClock, TimeStandsStillWhileAParticipantIsBusy) {
  VirtualClock clock;
  const TimePoint start = clock.now();
  std::atomic<bool> waiter_done{false};
  auto busy = std::make_unique<VirtualClock::Participant>(clock); // this thread, busy
  std::thread waiter([&] {
    VirtualClock::Participant taking_part(clock);
    clock.sleep_for(Duration(1000));
    waiter_done = true;
  });
  std::this_thread::sleep_for(100ms); // real time passes; virtual time must not
  EXPECT_FALSE(waiter_done);
  EXPECT_EQ(clock.now(), start);
  busy.reset(); // this thread no longer takes part: the waiter alone moves time
  waiter.join();
  EXPECT_TRUE(waiter_done);
  EXPECT_EQ(clock.now() - start, 1s);
}

TEST(VirtualClock, AHoldKeepsTimeStillUntilItEnds) {
  VirtualClock clock;
  const TimePoint start = clock.now();
  auto hold = std::make_unique<VirtualClock::Hold>(clock);
  std::atomic<bool> waiter_done{false};
  std::thread waiter([&] {
    VirtualClock::Participant taking_part(clock);
    clock.sleep_for(Duration(500));
    waiter_done = true;
  });
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(waiter_done);
  EXPECT_EQ(clock.now(), start);
  hold.reset(); // from this thread, though the hold keeps no thread
  waiter.join();
  EXPECT_EQ(clock.now() - start, 500ms);
}

TEST(VirtualClock, WaitsOfThreadsThatTakeNoPartDoNotMoveTime) {
  VirtualClock clock;
  const TimePoint start = clock.now();
  VirtualClock::Participant taking_part(clock); // this thread, busy
  std::atomic<bool> outsider_done{false};
  std::thread outsider([&] {
    clock.sleep_for(Duration(200));
    outsider_done = true;
  });
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(outsider_done);
  clock.sleep_for(Duration(300)); // now every participant waits: time moves, waking both
  outsider.join();
  EXPECT_TRUE(outsider_done);
  EXPECT_EQ(clock.now() - start, 300ms);
}

} // namespace
} // namespace dfota::transport
