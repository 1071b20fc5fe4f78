#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <stdexcept>

#include "delta/native/control.hpp"

namespace dfota::delta::native {
namespace {

std::vector<ControlEntry> copies_of(const std::vector<std::uint32_t>& lengths) {
  std::vector<ControlEntry> entries;
  for (std::uint32_t length : lengths)
    entries.push_back({0, length, 1});
  return entries;
}

struct Call {
  std::size_t first, last;
  int part;
};

std::vector<Call> calls_of(const std::vector<PlacedEntry>& placed) {
  std::mutex mutex;
  std::vector<Call> calls;
  split_in_two(placed, [&](std::size_t first, std::size_t last, int part) {
    std::lock_guard lock(mutex);
    calls.push_back({first, last, part});
  });
  std::sort(calls.begin(), calls.end(), [](const Call& a, const Call& b) { return a.part < b.part; });
  return calls;
}

TEST(PlacedEntries, GiveEachEntryItsPositions) {
  const std::vector<ControlEntry> entries{{5, 10, 2}, {-3, 4, 0}, {0, 0, 7}};
  const std::vector<PlacedEntry> placed = placed_entries(entries);
  ASSERT_EQ(placed.size(), 3u);
  EXPECT_EQ(placed[0].source_start, 5u);
  EXPECT_EQ(placed[0].target_start, 0u);
  EXPECT_EQ(placed[1].source_start, 12u);
  EXPECT_EQ(placed[1].target_start, 12u);
  EXPECT_EQ(placed[2].source_start, 16u);
  EXPECT_EQ(placed[2].target_start, 16u);
}

TEST(SplitInTwo, SmallProgramsAreOneCallOnTheCallersThread) {
  const std::vector<ControlEntry> entries = copies_of({1000, 2000, 3000});
  const std::vector<Call> calls = calls_of(placed_entries(entries));
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].first, 0u);
  EXPECT_EQ(calls[0].last, 3u);
  EXPECT_EQ(calls[0].part, 0);
}

TEST(SplitInTwo, LargeProgramsAreCutWhereHalfTheCopiesAreDone) {
  // 400 KiB of copies: the first half ends after the entry that reaches
  // 200 KiB.
  const std::vector<ControlEntry> entries = copies_of({50u << 10, 100u << 10, 60u << 10, 90u << 10, 100u << 10});
  const std::vector<Call> calls = calls_of(placed_entries(entries));
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].part, 0);
  EXPECT_EQ(calls[0].first, 0u);
  EXPECT_EQ(calls[0].last, 3u);
  EXPECT_EQ(calls[1].part, 1);
  EXPECT_EQ(calls[1].first, 3u);
  EXPECT_EQ(calls[1].last, 5u);
}

TEST(SplitInTwo, AFailingPartIsReportedOnceBothHaveFinished) {
  const std::vector<ControlEntry> entries = copies_of({200u << 10, 200u << 10});
  const std::vector<PlacedEntry> placed = placed_entries(entries);
  for (const int failing : {0, 1}) {
    std::atomic<int> finished{0};
    EXPECT_THROW(split_in_two(placed,
                              [&](std::size_t, std::size_t, int part) {
                                finished.fetch_add(1);
                                if (part == failing) throw std::runtime_error("part failed");
                              }),
                 std::runtime_error);
    EXPECT_EQ(finished.load(), 2) << "failing part " << failing;
  }
}

} // namespace
} // namespace dfota::delta::native
