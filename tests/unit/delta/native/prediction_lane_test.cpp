#include <gtest/gtest.h>

#include <chrono>
#include <random>

#include "delta/native/control.hpp"
#include "delta/native/prediction_lane.hpp"

namespace dfota::delta::native {
namespace {

TEST(LaneGroups, DealsRunsOfWholeEntriesOfAtLeastAGroupInTurn) {
  LaneGroups groups;
  const std::uint32_t small = kCallerGroupCopy / 4;
  // Four small entries make the caller's first group, one long entry the
  // lane's; entries without a copy belong to the group they fall in.
  for (int i = 0; i < 4; ++i)
    EXPECT_FALSE(groups.next_is_ahead({0, small, 10}));
  EXPECT_TRUE(groups.next_is_ahead({0, 3 * kLaneGroupCopy, 0}));
  EXPECT_FALSE(groups.next_is_ahead({0, 0, 100}));
  EXPECT_FALSE(groups.next_is_ahead({0, static_cast<std::uint32_t>(kCallerGroupCopy - 1), 0}));
  EXPECT_FALSE(groups.next_is_ahead({0, 1, 0}));
  // The lane's groups are the larger: kLaneGroupCopy.
  for (std::uint64_t dealt = 0; dealt + small < kLaneGroupCopy; dealt += small)
    EXPECT_TRUE(groups.next_is_ahead({0, small, 0}));
  EXPECT_TRUE(groups.next_is_ahead({0, small, 0}));
  EXPECT_FALSE(groups.next_is_ahead({0, small, 0}));
}

// A megabyte of random A32 words (every 8th a BL, every 8th a pointer into
// the image) and a program of copies from all over it.
struct Program {
  Bytes source;
  Layout layout;
  std::vector<ControlEntry> entries;
};
Program random_program(std::uint32_t seed) {
  std::mt19937 rng(seed);
  Program p;
  p.source.resize(1u << 20);
  for (std::size_t at = 0; at < p.source.size(); at += 4) {
    std::uint32_t word = rng();
    if (at % 32 == 0) word = 0xEB000000u | (word & 0xFFFFFF);
    if (at % 32 == 16) word = 0x10000 + (word % p.source.size());
    for (int i = 0; i < 4; ++i)
      p.source[at + i] = static_cast<std::uint8_t>(word >> (8 * i));
  }
  p.layout.kinds = kArm32Branch | kAbsolute32;
  p.layout.source = AddressSpace({{0x10000, 0, p.source.size()}});
  p.layout.target = AddressSpace({{0x10000, 0, 4 * p.source.size()}});
  std::uint64_t source_position = 0;
  for (int i = 0; i < 1200; ++i) {
    const std::uint64_t start = rng() % (p.source.size() - 1);
    const std::uint64_t longest = std::min<std::uint64_t>(p.source.size() - start, i % 50 == 0 ? 200000 : 9000);
    const auto copy = static_cast<std::uint32_t>(1 + rng() % longest);
    p.entries.push_back({static_cast<std::int64_t>(start) - static_cast<std::int64_t>(source_position), copy,
                         static_cast<std::uint32_t>(rng() % 100)});
    source_position = start + copy;
  }
  return p;
}

TEST(PredictionLane, StreamsThePredictionsOfItsGroupsInProgramOrder) {
  for (std::uint32_t seed : {1u, 2u, 3u}) {
    const Program p = random_program(seed);
    const MovedAddresses moved = moved_addresses_for(p.layout, p.entries);
    // What the lane must give: its entries' predictions, one after another.
    Bytes expected;
    LaneGroups groups;
    ASSERT_TRUE(for_each_placed(p.entries, [&](const PlacedEntry& placed) -> Status {
      if (!groups.next_is_ahead(placed.entry)) return {};
      const std::size_t at = expected.size();
      expected.resize(at + placed.entry.copy);
      BlockPrediction(p.layout, moved, p.source, placed.source_start, placed.target_start, placed.entry.copy)
          .fill(expected.data() + at, placed.entry.copy);
      return {};
    }));
    ASSERT_GT(expected.size(), 4 * kLaneBytes) << "the ring must wrap";

    PredictionLane lane(p.layout, moved, p.source, p.entries);
    ASSERT_TRUE(lane.start());
    Bytes taken;
    std::mt19937 rng(seed);
    while (taken.size() < expected.size()) {
      // Sizes from one byte to more than the ring holds.
      const std::size_t wanted =
          std::min<std::size_t>(1 + rng() % (seed * kLaneBytes / 2), expected.size() - taken.size());
      const auto [bytes, n] = lane.take(wanted);
      ASSERT_GE(n, 1u);
      ASSERT_LE(n, wanted);
      taken.insert(taken.end(), bytes, bytes + n);
      bytes[0] ^= 0xFF; // the caller may change what it took
      lane.release(n);
    }
    EXPECT_TRUE(taken == expected) << "seed " << seed;
  }
}

TEST(PredictionLane, ACallerThatStopsTakingLetsTheLaneGo) {
  const Program p = random_program(7);
  const MovedAddresses moved = moved_addresses_for(p.layout, p.entries);
  const auto started = std::chrono::steady_clock::now();
  for (int taken_first : {0, 1}) {
    PredictionLane lane(p.layout, moved, p.source, p.entries);
    ASSERT_TRUE(lane.start());
    if (taken_first) {
      const auto [bytes, n] = lane.take(100);
      (void)bytes;
      lane.release(n);
    }
    // The ring fills and the lane waits for room; the destructor must stop it.
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20));
}

} // namespace
} // namespace dfota::delta::native
