#include "delta/native/load_address.hpp"

#include <gtest/gtest.h>

#include <random>

namespace dfota::delta::native {
namespace {

void put32(Bytes& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i)
    b[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

constexpr std::uint32_t kBase = 0x08000000; // where Cortex-M flash is mapped
constexpr std::size_t kSize = 256 * 1024, kInsertAt = 64 * 1024, kInserted = 100;

// An image of random bytes with a pointer (kBase + offset of a "function")
// in every 16th word; `inserted` bytes go in at kInsertAt, moving what lies
// after, and the pointers to it, by that much.
Bytes image_with_pointers(std::size_t inserted) {
  std::mt19937 rng(3);
  Bytes image(kSize);
  for (auto& b : image)
    b = static_cast<std::uint8_t>(rng());
  const auto moved = [&](std::size_t offset) { return offset >= kInsertAt ? offset + inserted : offset; };
  for (std::size_t at = 0; at + 4 <= kSize; at += 64) {
    const std::size_t pointee = (rng() % (kSize / 4)) * 4;
    put32(image, at, kBase + static_cast<std::uint32_t>(moved(pointee)));
  }
  Bytes out(image.begin(), image.begin() + kInsertAt);
  out.resize(out.size() + inserted, 0x5A);
  out.insert(out.end(), image.begin() + kInsertAt, image.end());
  return out;
}

OffsetMap insertion_map(std::size_t inserted) {
  return OffsetMap({{0, kInsertAt, 0}, {kInsertAt, kSize - kInsertAt, kInsertAt + inserted}});
}

TEST(LoadAddress, IsTheBaseThatExplainsHowPointersMoved) {
  const Bytes source = image_with_pointers(0), target = image_with_pointers(kInserted);
  EXPECT_EQ(guess_load_address(source, target, insertion_map(kInserted), 4), kBase);
}

TEST(LoadAddress, IsNotGuessedWithoutPointersThatMoved) {
  const Bytes source = image_with_pointers(0);
  // Nothing moved: no pointer changed.
  EXPECT_FALSE(guess_load_address(source, source, OffsetMap({{0, kSize, 0}}), 4));
  // Random data changed at random: no base stands out.
  std::mt19937 rng(9);
  Bytes noise(kSize), other(kSize);
  for (std::size_t i = 0; i < kSize; ++i) {
    noise[i] = static_cast<std::uint8_t>(rng());
    other[i] = (i % 4 == 0 && rng() % 4 == 0) ? static_cast<std::uint8_t>(noise[i] + rng() % 16) : noise[i];
  }
  EXPECT_FALSE(guess_load_address(noise, other, OffsetMap({{0, kSize, 0}}), 4));
  EXPECT_FALSE(
      guess_load_address(noise, other, OffsetMap({{0, kSize / 2, 0}, {kSize / 2, kSize / 2, kSize / 2 + 8}}), 8));
  // No map, or a word size no image has.
  EXPECT_FALSE(guess_load_address(source, source, OffsetMap(), 4));
  EXPECT_FALSE(guess_load_address(source, image_with_pointers(kInserted), insertion_map(kInserted), 2));
}

TEST(LoadAddress, LoadingAtABaseMovesTheSegmentsAndAddsTheAbsoluteKind) {
  Layout layout;
  layout.kinds = kThumbBranch | kThumbLiteral;
  layout.alternative_kinds = kThumbBranch | kThumbLiteral | kArm32Branch;
  layout.source = AddressSpace({{0, 0, 4096, true}, {4096, 4096, 4096, false}});
  layout.target = AddressSpace({{0, 0, 8192, true}});
  load_at(layout, kBase, 4);
  EXPECT_EQ(layout.kinds, kThumbBranch | kThumbLiteral | kAbsolute32);
  EXPECT_EQ(layout.alternative_kinds & kAbsolute32, kAbsolute32);
  EXPECT_EQ(layout.source.to_vaddr(5000), kBase + 5000);
  EXPECT_EQ(layout.target.to_offset(kBase + 100), 100u);
  EXPECT_TRUE(layout.source.segments()[0].executable);
  EXPECT_FALSE(layout.source.segments()[1].executable);
  Layout wide;
  wide.kinds = kX86Relative;
  load_at(wide, 0x400000, 8);
  EXPECT_EQ(wide.kinds, kX86Relative | kAbsolute64);
}

} // namespace
} // namespace dfota::delta::native
