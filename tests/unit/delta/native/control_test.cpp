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

TEST(ControlLimit, GrowsWithTheTargetFrom16MiB) {
  EXPECT_EQ(max_control_entries(0), kMaxControlEntries);
  EXPECT_EQ(max_control_entries(16u << 20), kMaxControlEntries);
  EXPECT_EQ(max_control_entries((16u << 20) + 128), kMaxControlEntries + 1);
  EXPECT_EQ(max_control_entries(std::uint64_t{64} << 20), std::uint64_t{64} << 20 >> 7);
}

// `count` blocks of `length` bytes every `stride` target bytes, each from
// source position 0.
std::vector<CopyBlock> blocks_every(std::size_t count, std::uint64_t length, std::uint64_t stride) {
  std::vector<CopyBlock> blocks;
  for (std::size_t i = 0; i < count; ++i)
    blocks.push_back({i * stride, 0, length});
  return blocks;
}

TEST(ToControl, KeepsMoreThan131072CopiesOfALargeTarget) {
  // 200,000 copies of 64 bytes: a 32 MiB target allows 262,144 entries.
  constexpr std::size_t kCopies = 200000;
  const auto large = to_control(blocks_every(kCopies, 64, 168), std::uint64_t{32} << 20);
  EXPECT_EQ(large.size(), kCopies);
  // 100 bytes apart they make a 20,000,000-byte target, which allows
  // 156,250: the shortest copies (all of them) become literals.
  const std::uint64_t small_target = kCopies * 100;
  const auto small = to_control(blocks_every(kCopies, 64, 100), small_target);
  EXPECT_LE(small.size(), max_control_entries(small_target));
  std::uint64_t copied = 0;
  for (const ControlEntry& e : small)
    copied += e.copy;
  EXPECT_EQ(copied, 0u);
}

TEST(PutControl, WritesChangesOfDiagonalThenCopiesThenLiterals) {
  // Copy 10 at diagonal 5 and a literal of 2, a literal-only entry of 4,
  // then copy 3 at diagonal 5 again (a change of 0) and copy 2 at diagonal
  // -4 (a change of -9).
  const std::vector<ControlEntry> entries = {{5, 10, 2}, {0, 0, 4}, {6, 3, 0}, {-9, 2, 0}};
  const std::vector<PlacedEntry> placed = placed_entries(entries);
  ASSERT_EQ(placed[3].target_start, 19u);
  ASSERT_EQ(placed[3].source_start, 15u);
  Bytes out;
  put_control(out, placed);
  const Bytes expected = {10, 0, 0, 17, 10, 0, 3, 2, 2, 4, 0, 0};
  EXPECT_EQ(out, expected);
}

} // namespace
} // namespace dfota::delta::native
