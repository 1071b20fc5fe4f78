#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "delta/native/matcher.hpp"
#include "support/test_support.hpp"

namespace dfota::delta::native {
namespace {

Bytes slice(const Bytes& bytes, std::size_t from, std::size_t to) {
  return Bytes(bytes.begin() + static_cast<std::ptrdiff_t>(from), bytes.begin() + static_cast<std::ptrdiff_t>(to));
}
void append(Bytes& out, const Bytes& more) { out.insert(out.end(), more.begin(), more.end()); }

// Blocks in target order, not overlapping, inside both images.
void expect_well_formed(const std::vector<CopyBlock>& blocks, const Bytes& source, const Bytes& target) {
  std::uint64_t end = 0;
  for (const CopyBlock& b : blocks) {
    EXPECT_GE(b.target_start, end);
    EXPECT_LE(b.target_start + b.length, target.size());
    EXPECT_LE(b.source_start + b.length, source.size());
    end = b.target_start + b.length;
  }
}

TEST(FindAnchors, TakesEachNewAlignmentOnceAtItsFirstByte) {
  // source[1000, 9000), 300 bytes found nowhere, source[20000, 30000).
  const Bytes source = test::random_bytes(64 << 10, 1);
  Bytes target = slice(source, 1000, 9000);
  append(target, test::random_bytes(300, 2));
  append(target, slice(source, 20000, 30000));
  auto anchors = find_anchors(source, target);
  ASSERT_TRUE(anchors) << anchors.error().message();
  ASSERT_EQ(anchors->parts.size(), 2u); // the second one empty below 1 MiB
  EXPECT_EQ(anchors->parts[0].begin, 0u);
  EXPECT_EQ(anchors->parts[0].end, target.size());
  EXPECT_TRUE(anchors->parts[1].anchors.empty());
  const auto& found = anchors->parts[0].anchors;
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].target_start, 0u);
  EXPECT_EQ(found[0].source_start, 1000u);
  EXPECT_EQ(found[1].target_start, 8300u);
  EXPECT_EQ(found[1].source_start, 20000u);

  const auto blocks = grow_blocks(source, target, *anchors, kEvenGrowth);
  expect_well_formed(blocks, source, target);
  ASSERT_EQ(blocks.size(), 3u); // the part's start (no copy), then the two copies
  EXPECT_EQ(blocks[1].target_start, 0u);
  EXPECT_EQ(blocks[1].source_start, 1000u);
  EXPECT_EQ(blocks[1].length, 8000u);
  EXPECT_EQ(blocks[2].target_start, 8300u);
  EXPECT_EQ(blocks[2].length, 10000u);
}

TEST(GrowBlocks, EachRuleGrowsACopyAsFarAsItsWeightsPay) {
  // source[0, 2300) with 2 of every 5 bytes of its last 300 changed (60 %
  // agree, the last byte agreeing), then 1000 bytes found nowhere, then
  // source[5000, 7000).
  const Bytes source = test::random_bytes(8 << 10, 3);
  Bytes target = slice(source, 0, 2300);
  for (std::size_t i = 2000; i < 2300; ++i)
    if ((i - 2000) % 5 < 2) target[i] ^= 0x5A;
  append(target, test::random_bytes(1000, 4));
  append(target, slice(source, 5000, 7000));
  auto anchors = find_anchors(source, target);
  ASSERT_TRUE(anchors) << anchors.error().message();

  const struct {
    const char* name;
    Growth growth;
    std::uint64_t first_length;
  } rules[] = {{"loose", kLooseGrowth, 2300}, {"even", kEvenGrowth, 2300}, {"strict", kStrictGrowth, 2000}};
  for (const auto& rule : rules) {
    const auto blocks = grow_blocks(source, target, *anchors, rule.growth);
    expect_well_formed(blocks, source, target);
    ASSERT_FALSE(blocks.empty()) << rule.name;
    EXPECT_EQ(blocks.front().target_start, 0u) << rule.name;
    EXPECT_EQ(blocks.front().length, rule.first_length) << rule.name;
    EXPECT_EQ(blocks.back().target_start, 3300u) << rule.name;
    EXPECT_EQ(blocks.back().source_start, 5000u) << rule.name;
    EXPECT_EQ(blocks.back().length, 2000u) << rule.name;
  }
}

TEST(FindAnchors, ScansALargeTargetInTwoPartsThatMeet) {
  // 1.5 MiB with a byte changed every 4 KiB, and 64 KiB moved to the end.
  const Bytes source = test::random_bytes(3 << 19, 5);
  Bytes target = source;
  for (std::size_t i = 0; i < target.size(); i += 4096)
    target[i] ^= 1;
  std::rotate(target.begin(), target.begin() + (64 << 10), target.end());
  auto anchors = find_anchors(source, target);
  ASSERT_TRUE(anchors) << anchors.error().message();
  ASSERT_EQ(anchors->parts.size(), 2u);
  EXPECT_EQ(anchors->parts[0].begin, 0u);
  EXPECT_EQ(anchors->parts[0].end, target.size() / 2);
  EXPECT_EQ(anchors->parts[1].begin, target.size() / 2);
  EXPECT_EQ(anchors->parts[1].end, target.size());
  for (const ScannedPart& part : anchors->parts) {
    std::uint64_t last = part.begin;
    for (const Anchor& a : part.anchors) {
      EXPECT_GE(a.target_start, last);
      EXPECT_LT(a.target_start, part.end);
      EXPECT_EQ(source[a.source_start], target[a.target_start]);
      last = a.target_start;
    }
  }
  for (const Growth growth : {kLooseGrowth, kEvenGrowth, kStrictGrowth}) {
    const auto blocks = grow_blocks(source, target, *anchors, growth);
    expect_well_formed(blocks, source, target);
    std::uint64_t copied = 0;
    for (const CopyBlock& b : blocks)
      copied += b.length;
    EXPECT_GE(copied, target.size() - 64); // a single changed byte does not end a copy
  }
}

// The length of the common prefix of a[i, end) and b[j, end).
std::uint64_t common_prefix(const Bytes& a, std::size_t i, const Bytes& b, std::size_t j) {
  std::uint64_t n = 0;
  while (i + n < a.size() && j + n < b.size() && a[i + n] == b[j + n])
    ++n;
  return n;
}

TEST(FindAnchors, EachAnchorIsALongestMatchOfItsTargetPosition) {
  // Few distinct bytes, so that every pair and triple of them begins many
  // suffixes; sources end in each way a suffix too short for its pair can
  // sort (one byte, two bytes, a byte that begins no longer suffix).
  std::mt19937 random(11);
  std::size_t anchors_seen = 0;
  for (const Bytes& tail : {Bytes{}, Bytes{0}, Bytes{0, 0}, Bytes{2, 0}, Bytes{7}, Bytes{1, 7}}) {
    Bytes source(3000);
    for (auto& b : source)
      b = static_cast<std::uint8_t>(random() % 3);
    append(source, tail);
    Bytes target;
    while (target.size() < 4000) {
      const std::size_t from = random() % (source.size() - 1);
      const std::size_t length = std::min<std::size_t>(20 + random() % 60, source.size() - from);
      append(target, slice(source, from, from + length));
      target.push_back(static_cast<std::uint8_t>(random() % 8));
    }
    append(target, tail);
    auto anchors = find_anchors(source, target);
    ASSERT_TRUE(anchors) << anchors.error().message();
    for (const Anchor& anchor : anchors->parts[0].anchors) {
      std::uint64_t longest = 0;
      for (std::size_t j = 0; j < source.size(); ++j)
        longest = std::max(longest, common_prefix(target, anchor.target_start, source, j));
      EXPECT_EQ(common_prefix(target, anchor.target_start, source, anchor.source_start), longest)
          << "target position " << anchor.target_start;
      ++anchors_seen;
    }
  }
  EXPECT_GT(anchors_seen, 100u);
}

TEST(FindAnchors, HandlesEmptyAndTinyImages) {
  const Bytes empty, one{7}, some = test::random_bytes(100, 6);
  for (const Bytes* source : {&empty, &one, &some}) {
    for (const Bytes* target : {&empty, &one, &some}) {
      auto anchors = find_anchors(*source, *target);
      ASSERT_TRUE(anchors) << anchors.error().message();
      for (const Growth growth : {kLooseGrowth, kEvenGrowth, kStrictGrowth})
        expect_well_formed(grow_blocks(*source, *target, *anchors, growth), *source, *target);
    }
  }
}

} // namespace
} // namespace dfota::delta::native
