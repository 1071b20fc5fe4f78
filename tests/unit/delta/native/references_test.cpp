#include <gtest/gtest.h>

#include <random>

#include "delta/native/references.hpp"

namespace dfota::delta::native {
namespace {

// moved(a) as formats/native-delta.md defines it, step by step.
std::optional<std::uint64_t> moved_by_definition(const AddressSpace& source, const OffsetMap& map,
                                                 const AddressSpace& target, std::uint64_t address) {
  auto offset = source.to_offset(address);
  if (!offset) return std::nullopt;
  auto target_offset = map.map(*offset);
  if (!target_offset) return std::nullopt;
  return target.to_vaddr(*target_offset);
}

// Every address where anything may change (the ends of segments and of map
// entries, in both images, each with its neighbours), and some at random.
std::vector<std::uint64_t> probes(const AddressSpace& source, const OffsetMap& map, const AddressSpace& target,
                                  std::mt19937_64& random) {
  std::vector<std::uint64_t> points{0, 1, UINT64_MAX, UINT64_MAX - 1};
  auto around = [&](std::uint64_t p) {
    for (std::uint64_t d = 0; d < 3; ++d) {
      points.push_back(p + d);
      points.push_back(p - d);
    }
  };
  for (const Segment& s : source.segments()) {
    around(s.vaddr);
    around(s.vaddr + s.size);
  }
  // Addresses whose offsets fall on the map's ends, and whose target offsets
  // fall on the target segments' ends.
  std::vector<std::uint64_t> source_offsets;
  for (const MapEntry& e : map.entries()) {
    source_offsets.push_back(e.source_start);
    source_offsets.push_back(e.source_start + e.length);
    for (const Segment& t : target.segments()) {
      for (const std::uint64_t edge : {t.offset, t.offset + t.size}) {
        if (edge >= e.target_start && edge - e.target_start <= e.length)
          source_offsets.push_back(e.source_start + (edge - e.target_start));
      }
    }
  }
  for (const std::uint64_t offset : source_offsets) {
    if (source.empty()) around(offset);
    for (const Segment& s : source.segments()) {
      if (offset >= s.offset && offset - s.offset <= s.size) around(s.vaddr + (offset - s.offset));
    }
  }
  for (int i = 0; i < 2000; ++i)
    points.push_back(random() % 0x30000);
  return points;
}

// Segments that may overlap in addresses or in file offsets, or be absent;
// one time in five, several load the same large file range.
std::vector<Segment> random_segments(std::mt19937_64& random) {
  std::vector<Segment> segments;
  if (random() % 5 == 0) {
    const std::uint64_t offset = random() % 0x1000, size = 0x4000 + random() % 0x4000;
    for (std::uint64_t i = 0; i < 2 + random() % 3; ++i)
      segments.push_back({0x10000 * (i + 1) + random() % 0x100, offset, size});
    return segments;
  }
  const unsigned count = static_cast<unsigned>(random() % 5);
  for (unsigned i = 0; i < count; ++i) {
    Segment s;
    s.offset = random() % 0x8000;
    s.size = 1 + random() % 0x4000;
    s.vaddr = random() % 4 == 0 ? s.offset : 0x10000 + random() % 0x10000;
    segments.push_back(s);
  }
  return segments;
}

OffsetMap random_map(std::mt19937_64& random) {
  std::vector<MapEntry> entries;
  std::uint64_t at = random() % 64;
  while (at < 0xC000) {
    const std::uint64_t length = 16 + random() % 0x800;
    entries.push_back({at, length, random() % 0xC000});
    at += length + random() % 0x400;
  }
  return OffsetMap(std::move(entries));
}

// Both ways of looking up are met: the composed table, and the three steps
// where source segments load the same file bytes at several addresses.
TEST(MovedAddresses, AgreesWithTheDefinitionOnRandomLayouts) {
  std::mt19937_64 random(20261201);
  int composed = 0, stepwise = 0;
  for (int round = 0; round < 300; ++round) {
    const AddressSpace source(random_segments(random)), target(random_segments(random));
    const OffsetMap map = random_map(random);
    const MovedAddresses moved(source, map, target);
    ++(moved.composed() ? composed : stepwise);
    for (const std::uint64_t address : probes(source, map, target, random)) {
      ASSERT_EQ(moved(address), moved_by_definition(source, map, target, address))
          << "round " << round << ", address " << address;
    }
    if (!moved.composed()) continue;
    // Sorted, disjoint and non-empty, so that the lookup's search is sound;
    // no larger than promised.
    EXPECT_LE(moved.ranges().size(), map.entries().size() + kMaxComposedExtra);
    std::uint64_t end = 0;
    for (const MapEntry& e : moved.ranges()) {
      ASSERT_GT(e.length, 0u);
      ASSERT_GE(e.source_start, end);
      end = e.source_start + e.length;
    }
  }
  EXPECT_GT(composed, 50);
  EXPECT_GT(stepwise, 10);
}

TEST(MovedAddresses, SegmentsLoadingTheSameBytesTwiceAreLookedUpStepByStep) {
  // 64 segments loading one file range at 64 addresses would make a table of
  // 64 ranges per offset map entry.
  std::vector<Segment> segments;
  for (std::uint64_t i = 0; i < kMaxSegments; ++i)
    segments.push_back({0x100000 * (i + 1), 0, 0x10000});
  std::vector<MapEntry> entries;
  for (std::uint64_t at = 0; at < 0x10000; at += 32)
    entries.push_back({at, 16, at + 8});
  const AddressSpace source(segments), target;
  const OffsetMap map(entries);
  const MovedAddresses moved(source, map, target);
  EXPECT_FALSE(moved.composed());
  EXPECT_EQ(moved(0x100000 * 5 + 0x20), 0x28u);
  EXPECT_EQ(moved(0x100000 * 5 + 0x30), std::nullopt);
}

TEST(MovedAddresses, TheFirstSegmentHoldingAnAddressOrOffsetDecides) {
  // Source: two segments loading overlapping addresses from different
  // offsets; target: two segments sharing file offsets at different
  // addresses.
  const AddressSpace source({{0x1000, 0, 0x100}, {0x1080, 0x200, 0x100}});
  const AddressSpace target({{0x8000, 0x40, 0x40}, {0x9000, 0, 0x100}});
  const OffsetMap map({{0, 0x100, 0}, {0x200, 0x100, 0x400}});
  const MovedAddresses moved(source, map, target);
  EXPECT_EQ(moved(0x1000), 0x9000u);      // offset 0 -> 0, loaded by the second target segment only
  EXPECT_EQ(moved(0x1040), 0x8000u);      // offset 0x40 -> 0x40: the first target segment decides
  EXPECT_EQ(moved(0x10A0), 0x90A0u);      // held by both source segments: the first decides (offset 0xA0)
  EXPECT_EQ(moved(0x1100), std::nullopt); // offset 0x280 -> 0x480, which no target segment loads
  EXPECT_EQ(moved(0x1180), std::nullopt); // past both source segments' addresses
}

TEST(MovedAddresses, ImagesWithoutSegmentsMapOffsets) {
  const OffsetMap map({{0x10, 0x20, 0x100}});
  const MovedAddresses moved(AddressSpace{}, map, AddressSpace{});
  EXPECT_EQ(moved(0x0F), std::nullopt);
  EXPECT_EQ(moved(0x10), 0x100u);
  EXPECT_EQ(moved(0x2F), 0x11Fu);
  EXPECT_EQ(moved(0x30), std::nullopt);
  EXPECT_EQ(MovedAddresses{}(0x10), std::nullopt);
}

} // namespace
} // namespace dfota::delta::native
