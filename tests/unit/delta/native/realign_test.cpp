#include "delta/native/realign.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <random>

namespace dfota::delta::native {
namespace {

void put64(Bytes& b, std::size_t at, std::uint64_t v) {
  for (int i = 0; i < 8; ++i)
    b[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

// A RELA-like table at offset 0: 24-byte entries of (address, 8, address)
// for the addresses 0x10000 + 16·i of a region that moves by `shift`
// in the target, with `inserted` entries added after entry `at`.
Bytes table(std::size_t entries, std::uint64_t shift, std::size_t at, std::size_t inserted) {
  Bytes out;
  auto entry = [&](std::uint64_t address) {
    const std::size_t p = out.size();
    out.resize(p + 24);
    put64(out, p, address);
    put64(out, p + 8, 8);
    put64(out, p + 16, address);
  };
  for (std::size_t i = 0; i < entries; ++i) {
    entry(0x10000 + 16 * i + shift);
    if (i == at) {
      for (std::size_t k = 0; k < inserted; ++k)
        entry(0x10000 + 16 * i + 8 + shift);
    }
  }
  return out;
}

// Bytes of the target's copies that differ from their prediction.
std::uint64_t changed(const std::vector<ControlEntry>& entries, const Layout& layout, const MovedAddresses& moved,
                      ByteSpan source, ByteSpan target) {
  std::uint64_t count = 0;
  (void)for_each_placed(entries, [&](const PlacedEntry& placed) -> Status {
    Bytes predicted(placed.entry.copy);
    BlockPrediction(layout, moved, source, placed.source_start, placed.target_start, placed.entry.copy)
        .fill(predicted.data(), predicted.size());
    for (std::size_t i = 0; i < predicted.size(); ++i)
      count += predicted[i] != target[placed.target_start + i];
    return {};
  });
  return count;
}

TEST(Realign, FollowsATableThatGrewEntryByEntry) {
  // Source: the table, then 0x20000 bytes of "code" at 0x10000. Target: the
  // table with 2 entries more after entry 100 and 1 after entry 300, code
  // moved 0x40 later.
  constexpr std::size_t kEntries = 600;
  Bytes source = table(kEntries, 0, kEntries, 0);
  Bytes target = table(kEntries, 0x40, 100, 2);
  {
    Bytes more = table(kEntries, 0x40, 300, 1);
    // Entries after 300 gain one more insertion: splice the two.
    target.resize(24 * (kEntries + 3));
    std::copy(more.begin() + 24 * 301, more.end(), target.begin() + 24 * 303);
    for (std::size_t i = 301; i < kEntries; ++i) { // addresses as in the first table
      put64(target, 24 * (i + 3), 0x10000 + 16 * i + 0x40);
      put64(target, 24 * (i + 3) + 16, 0x10000 + 16 * i + 0x40);
    }
  }
  source.resize(0x10000 + 0x20000, 0x5A);
  const std::size_t table_size = 24 * (kEntries + 3);
  Bytes code(source.begin() + 0x10000, source.end());
  target.resize(0x10040, 0);
  target.insert(target.end(), code.begin(), code.end());

  Layout layout;
  layout.kinds = kAbsolute64;
  // One copy of the whole table on its first diagonal, then the code.
  const std::vector<ControlEntry> entries = {
      {0, static_cast<std::uint32_t>(table_size), static_cast<std::uint32_t>(0x10040 - table_size)},
      {static_cast<std::int64_t>(0x10000 - table_size), 0x20000, 0}};
  const MovedAddresses moved = moved_addresses_for(layout, entries);
  const auto realigned = realign(entries, layout, moved, source, target);
  ASSERT_TRUE(realigned);
  ASSERT_GT(realigned->size(), entries.size());

  // The same target, in order; far fewer bytes differ.
  std::uint64_t covered = 0;
  for (const ControlEntry& e : *realigned)
    covered += std::uint64_t{e.copy} + e.literal;
  EXPECT_EQ(covered, target.size());
  const std::uint64_t before = changed(entries, layout, moved, source, target);
  const std::uint64_t after = changed(*realigned, layout, moved_addresses_for(layout, *realigned), source, target);
  EXPECT_LT(after * 4, before) << "before " << before << ", after " << after;
}

TEST(Realign, MovesACopyThatIsOffItsDiagonalFromTheFirstWindow) {
  // The target drops the table's first entry; the matcher's copy starts at
  // the source's start, 24 bytes off everywhere.
  constexpr std::size_t kEntries = 100;
  const Bytes source = table(kEntries, 0, kEntries, 0);
  const Bytes target(source.begin() + 24, source.end());
  Layout layout;
  layout.kinds = kAbsolute64;
  const std::vector<ControlEntry> entries = {{0, static_cast<std::uint32_t>(target.size()), 0}};
  const MovedAddresses moved = moved_addresses_for(layout, entries);
  ASSERT_GT(changed(entries, layout, moved, source, target), 100u);
  const auto realigned = realign(entries, layout, moved, source, target);
  ASSERT_TRUE(realigned);
  ASSERT_EQ(realigned->size(), 1u);
  EXPECT_EQ((*realigned)[0].seek, 24);
  EXPECT_EQ((*realigned)[0].copy, target.size());
  EXPECT_EQ(changed(*realigned, layout, moved_addresses_for(layout, *realigned), source, target), 0u);
}

// Source: 8192 bytes of "code", then a table of 256 pointers into it.
// Target: 16 bytes inserted before the code, the table's pointers moved
// with it; or, with `fresh_table`, a table of new random bytes.
struct CodeAndTable {
  Bytes source, target;
};
CodeAndTable code_and_table(bool fresh_table) {
  CodeAndTable images;
  std::mt19937 rng(7);
  Bytes code(8192);
  for (auto& b : code)
    b = static_cast<std::uint8_t>(rng());
  images.source = code;
  images.source.resize(8192 + 256 * 8);
  images.target = Bytes(16, 0xAB);
  images.target.insert(images.target.end(), code.begin(), code.end());
  images.target.resize(16 + 8192 + 256 * 8);
  for (std::size_t i = 0; i < 256; ++i) {
    put64(images.source, 8192 + 8 * i, 4096 + 16 * i);
    put64(images.target, 16 + 8192 + 8 * i, fresh_table ? rng() : 4096 + 16 * i + 16);
  }
  return images;
}

// The layout of code_and_table(): 64-bit pointers, no segments.
Layout pointer_layout() {
  Layout layout;
  layout.kinds = kAbsolute64;
  return layout;
}

// extend_copies() on the program a raw matcher leaves for code_and_table():
// 16 literal bytes, the code copied, then `table` bytes sent as a literal.
std::optional<std::vector<ControlEntry>> extend_past_code(ByteSpan source, ByteSpan target, std::uint32_t table) {
  const std::vector<ControlEntry> entries = {{0, 0, 16}, {0, 8192, table}};
  return extend_copies(entries, pointer_layout(), moved_addresses_for(pointer_layout(), entries), source, target);
}

TEST(ExtendCopies, ContinuesACopyWhereItsDiagonalPredictsWhatFollows) {
  const auto [source, target] = code_and_table(false);
  const Layout layout = pointer_layout();
  const auto extended = extend_past_code(source, target, 2048);
  ASSERT_TRUE(extended);
  ASSERT_EQ(extended->size(), 2u);
  EXPECT_EQ((*extended)[1].seek, 0);
  EXPECT_EQ((*extended)[1].copy, 8192u + 2048u);
  EXPECT_EQ((*extended)[1].literal, 0u);
  EXPECT_EQ(changed(*extended, layout, moved_addresses_for(layout, *extended), source, target), 0u);

  // Short copies from elsewhere and a literal after them give way too.
  const std::vector<ControlEntry> scattered = {{0, 0, 16}, {0, 8192, 0}, {-4000, 600, 0}, {1000, 600, 848}};
  const auto rejoined = extend_copies(scattered, layout, moved_addresses_for(layout, scattered), source, target);
  ASSERT_TRUE(rejoined);
  std::uint64_t covered = 0;
  for (const ControlEntry& e : *rejoined)
    covered += std::uint64_t{e.copy} + e.literal;
  EXPECT_EQ(covered, target.size());
  EXPECT_EQ((*rejoined)[1].copy, 8192u + 2048u);
}

TEST(ExtendCopies, FollowsATableOnPastAnInsertedEntry) {
  auto [source, target] = code_and_table(false);
  // A 4-byte field after the table's 100th pointer: the rest lies 4 bytes
  // later, where the copy's diagonal no longer predicts it.
  const std::size_t inserted = 16 + 8192 + 8 * 100;
  const Bytes field = {0xEF, 0xBE, 0xAD, 0xDE};
  target.insert(target.begin() + static_cast<std::ptrdiff_t>(inserted), field.begin(), field.end());
  const Layout layout = pointer_layout();
  const auto extended = extend_past_code(source, target, 2052);
  ASSERT_TRUE(extended);
  std::uint64_t literal = 0;
  for (const ControlEntry& e : *extended)
    literal += e.literal;
  EXPECT_EQ(literal, 16u) << "the table is copied, in pieces";
  EXPECT_LE(changed(*extended, layout, moved_addresses_for(layout, *extended), source, target), 8u);
  ASSERT_GE(extended->size(), 3u);
  EXPECT_EQ((*extended)[2].seek, -4) << "the second piece starts 4 bytes back in the source";
}

TEST(ExtendCopies, LeavesWhatTheDiagonalDoesNotPredict) {
  const auto [source, target] = code_and_table(true);
  EXPECT_FALSE(extend_past_code(source, target, 2048));
  const std::vector<ControlEntry> entries = {{0, 0, 16}, {0, 8192, 2048}};
  EXPECT_FALSE(extend_copies(entries, Layout{}, moved_addresses_for(Layout{}, entries), source, target))
      << "no prediction";
}

TEST(Realign, KeepsEveryCopyInsideTheSource) {
  // The target is the source 4 bytes on, then 4 new bytes: diagonal +4
  // predicts every window but the last, which it would read past the
  // source's end; there the copy goes back to its own diagonal.
  std::mt19937 rng(5);
  Bytes source(4096);
  for (auto& b : source)
    b = static_cast<std::uint8_t>(rng());
  Bytes target(source.begin() + 4, source.end());
  target.insert(target.end(), {1, 2, 3, 4});
  const std::vector<ControlEntry> entries = {{0, static_cast<std::uint32_t>(target.size()), 0}};
  const Layout layout = pointer_layout();
  const auto realigned = realign(entries, layout, moved_addresses_for(layout, entries), source, target);
  ASSERT_TRUE(realigned);
  std::uint64_t covered = 0;
  (void)for_each_placed(*realigned, [&](const PlacedEntry& placed) -> Status {
    EXPECT_LE(placed.source_start + placed.entry.copy, source.size()) << "copy at target " << placed.target_start;
    covered += std::uint64_t{placed.entry.copy} + placed.entry.literal;
    return {};
  });
  EXPECT_EQ(covered, target.size());
  ASSERT_GE(realigned->size(), 2u);
  EXPECT_EQ((*realigned)[0].seek, 4);
}

TEST(Realign, LeavesAProgramWithoutPredictionAlone) {
  const Bytes source(4096, 1), target(4096, 2);
  const std::vector<ControlEntry> entries = {{0, 4096, 0}};
  EXPECT_FALSE(realign(entries, Layout{}, MovedAddresses{}, source, target));
}

} // namespace
} // namespace dfota::delta::native

namespace dfota::delta::native {
namespace {

// 40 blocks of code_and_table()'s kind, each with its own code; the
// program a raw matcher leaves: per block 16 literal bytes, the code
// copied, the table sent as a literal. With `misplaced`, the code copy of
// every block in the second half reads from one block earlier in the source
// (its raw bytes agree nowhere), so that the copy before it may reach into
// it.
struct Tiled {
  Bytes source, target;
  std::vector<ControlEntry> entries;
};
Tiled tiled(bool misplaced) {
  constexpr std::size_t kBlocks = 40, kCode = 8192, kTable = 256 * 8;
  Tiled t;
  std::mt19937 rng(11);
  std::uint64_t source_position = 0;
  for (std::size_t b = 0; b < kBlocks; ++b) {
    Bytes code(kCode);
    for (auto& byte : code)
      byte = static_cast<std::uint8_t>(rng());
    const std::size_t source_code = t.source.size(), target_code = t.target.size() + 16;
    t.source.insert(t.source.end(), code.begin(), code.end());
    t.source.resize(t.source.size() + kTable);
    t.target.insert(t.target.end(), 16, 0xAB);
    t.target.insert(t.target.end(), code.begin(), code.end());
    t.target.resize(t.target.size() + kTable);
    for (std::size_t i = 0; i < 256; ++i) {
      put64(t.source, source_code + kCode + 8 * i, source_code + 16 * i);
      put64(t.target, target_code + kCode + 8 * i, target_code + 16 * i);
    }
    const bool off = misplaced && b >= kBlocks / 2;
    const std::uint64_t from = off ? source_code - (kCode + kTable) : source_code;
    t.entries.push_back({0, 0, 16});
    t.entries.push_back({static_cast<std::int64_t>(from) - static_cast<std::int64_t>(source_position),
                         static_cast<std::uint32_t>(kCode), static_cast<std::uint32_t>(kTable)});
    source_position = from + kCode;
  }
  return t;
}

TEST(ExtendCopies, MakesOnTwoThreadsWhatItMakesOnOne) {
  for (const bool misplaced : {false, true}) {
    const Tiled t = tiled(misplaced);
    ASSERT_GE(t.target.size(), kMinSplitCopy);
    const Layout layout = pointer_layout();
    const MovedAddresses moved = moved_addresses_for(layout, t.entries);
    const auto one = extend_copies(t.entries, layout, moved, t.source, t.target, true);
    const auto two = extend_copies(t.entries, layout, moved, t.source, t.target);
    ASSERT_TRUE(one) << misplaced;
    ASSERT_TRUE(two) << misplaced;
    ASSERT_EQ(one->size(), two->size()) << misplaced;
    for (std::size_t i = 0; i < one->size(); ++i) {
      EXPECT_EQ((*one)[i].seek, (*two)[i].seek) << misplaced << " entry " << i;
      EXPECT_EQ((*one)[i].copy, (*two)[i].copy) << misplaced << " entry " << i;
      EXPECT_EQ((*one)[i].literal, (*two)[i].literal) << misplaced << " entry " << i;
    }
  }
}

} // namespace
} // namespace dfota::delta::native
