#include "delta/native/instruction_set.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace dfota::delta::native {
namespace {

// The encoding of a call of `set` from `site` to `target`, and its length.
std::pair<std::uint64_t, unsigned> call(InstructionSet set, std::uint32_t site, std::uint32_t target) {
  switch (set) {
  case InstructionSet::thumb2: {
    const std::uint32_t offset = target - (site + 4);
    const std::uint32_t s = (offset >> 24) & 1, i1 = (offset >> 23) & 1, i2 = (offset >> 22) & 1;
    const std::uint32_t j1 = (i1 ^ s) ^ 1, j2 = (i2 ^ s) ^ 1;
    const std::uint32_t first = 0xF000 | s << 10 | ((offset >> 12) & 0x3FF);
    const std::uint32_t second = 0xD000 | j1 << 13 | j2 << 11 | ((offset >> 1) & 0x7FF);
    return {first | second << 16, 4};
  }
  case InstructionSet::a32: return {0xEB000000u | (((target - (site + 8)) / 4) & 0xFFFFFF), 4};
  case InstructionSet::a64: return {0x94000000u | (((target - site) / 4) & 0x3FFFFFF), 4};
  case InstructionSet::x86_64: return {0xE8u | std::uint64_t{target - (site + 5)} << 8, 5};
  }
  return {0, 0};
}

// `size` bytes of random filler holding, every `spacing` bytes from `begin`
// to `end`, a call of `set` to one of 64 functions of the region.
Bytes code(InstructionSet set, std::size_t size, std::size_t begin, std::size_t end, std::size_t spacing = 32,
           std::uint32_t seed = 1) {
  std::mt19937 rng(seed);
  Bytes image(size);
  for (auto& b : image)
    b = static_cast<std::uint8_t>(rng());
  std::vector<std::uint32_t> functions;
  for (int i = 0; i < 64; ++i)
    functions.push_back(static_cast<std::uint32_t>(begin + (rng() % ((end - begin) / 4)) * 4));
  for (std::size_t at = begin; at + 8 <= end; at += spacing) {
    const auto [bytes, length] = call(set, static_cast<std::uint32_t>(at), functions[rng() % functions.size()]);
    for (unsigned i = 0; i < length; ++i)
      image[at + i] = static_cast<std::uint8_t>(bytes >> (8 * i));
  }
  return image;
}

TEST(InstructionSet, FindsTheInstructionSetOfCallsToSharedFunctions) {
  for (const InstructionSet set : kInstructionSets) {
    const Bytes image = code(set, 256 * 1024, 0, 256 * 1024);
    const auto guesses = guess_instruction_sets(image);
    ASSERT_FALSE(guesses.empty()) << static_cast<int>(set);
    EXPECT_EQ(guesses[0].set, set);
    // Every call reaches a shared function: nearly all of them are sites
    // (in Thumb-2, filler that looks like the first half of a call before
    // one hides it), and the filler adds next to none.
    const std::size_t calls = 256 * 1024 / 32;
    EXPECT_GE(guesses[0].sites.size(), calls * 95 / 100) << static_cast<int>(set);
    EXPECT_LE(guesses[0].sites.size(), calls + calls / 100) << static_cast<int>(set);
  }
}

TEST(InstructionSet, FindsNoCodeInData) {
  std::mt19937 rng(7);
  Bytes random(4 * 1024 * 1024);
  for (auto& b : random)
    b = static_cast<std::uint8_t>(rng());
  EXPECT_TRUE(guess_instruction_sets(random).empty());
  EXPECT_TRUE(guess_instruction_sets(Bytes(1024 * 1024, 0)).empty());
  EXPECT_TRUE(guess_instruction_sets(Bytes(1024 * 1024, 0xFF)).empty());
  Bytes text;
  const std::string line = "The quick brown fox jumps over the lazy dog, 0123456789.\n";
  while (text.size() < 1024 * 1024)
    text.insert(text.end(), line.begin(), line.end());
  EXPECT_TRUE(guess_instruction_sets(text).empty());
  // Calls too sparse for code (one per 8 KiB) are not enough either.
  EXPECT_TRUE(guess_instruction_sets(code(InstructionSet::thumb2, 1024 * 1024, 0, 1024 * 1024, 8192)).empty());
  // Nor is an image of a few calls.
  EXPECT_TRUE(guess_instruction_sets(code(InstructionSet::a32, 512, 0, 512, 16)).empty());
  EXPECT_TRUE(guess_instruction_sets({}).empty());
}

TEST(InstructionSet, SegmentsMarkWhereTheCodeLies) {
  // Data, code from 256 KiB to 768 KiB, data again.
  const Bytes image = code(InstructionSet::thumb2, 1024 * 1024 + 100, 256 * 1024, 768 * 1024);
  const auto guesses = guess_instruction_sets(image);
  ASSERT_EQ(guesses.size(), 1u);
  const std::vector<Segment> segments = code_segments(image.size(), guesses[0].sites);
  ASSERT_EQ(segments.size(), 3u);
  EXPECT_FALSE(segments[0].executable);
  EXPECT_TRUE(segments[1].executable);
  EXPECT_FALSE(segments[2].executable);
  EXPECT_EQ(segments[1].offset, 256u * 1024);
  EXPECT_EQ(segments[2].offset, 768u * 1024);
  // Loaded at their offsets, the whole image and nothing more.
  std::uint64_t end = 0;
  for (const Segment& s : segments) {
    EXPECT_EQ(s.vaddr, s.offset);
    EXPECT_EQ(s.offset, end);
    end += s.size;
  }
  EXPECT_EQ(end, image.size());
  EXPECT_TRUE(code_segments(0, {}).empty());
}

TEST(InstructionSet, SegmentsStayWithinTheLimitWhereCodeAndDataAlternate) {
  // Code and data alternate every window: the window grows until the runs fit.
  const std::size_t size = 2 * kMaxSegments * kCodeWindow;
  std::vector<std::uint64_t> sites;
  for (std::size_t at = 0; at < size; at += 2 * kCodeWindow)
    for (std::size_t i = 0; i < kCodeWindow; i += 64)
      sites.push_back(at + i);
  const std::vector<Segment> segments = code_segments(size, sites);
  EXPECT_LE(segments.size(), kMaxSegments);
  std::uint64_t end = 0;
  for (const Segment& s : segments) {
    EXPECT_EQ(s.offset, end);
    end += s.size;
  }
  EXPECT_EQ(end, size);
}

TEST(InstructionSet, RawLayoutsStateTheGuessedKindsAndWhereCodeLies) {
  const Bytes source = code(InstructionSet::x86_64, 512 * 1024, 0, 256 * 1024);
  const Layout layout = detect_layout(source, source);
  EXPECT_EQ(layout.kinds, kX86Relative | kX64RipRelative);
  EXPECT_TRUE(layout.code_by_segment);
  ASSERT_EQ(layout.source.segments().size(), 2u);
  EXPECT_TRUE(layout.source.segments()[0].executable);
  EXPECT_FALSE(layout.source.segments()[1].executable);
  // Data gets no kinds; nor does a pair of one ELF image and one raw image.
  EXPECT_EQ(detect_layout(Bytes(4096, 0), Bytes(4096, 0)).kinds, 0u);
}

// `image` with an x86-64 ELF header in front whose one executable PT_LOAD
// holds its first `loaded` bytes (no section header table).
Bytes with_elf_header(Bytes image, std::uint64_t loaded) {
  auto put = [&](std::size_t at, std::uint64_t value, unsigned size) {
    for (unsigned i = 0; i < size; ++i)
      image[at + i] = static_cast<std::uint8_t>(value >> (8 * i));
  };
  std::fill(image.begin(), image.begin() + 120, 0);
  put(0, 0x464C457F, 4); // \x7FELF
  put(4, 2, 1);          // 64-bit
  put(5, 1, 1);          // little-endian
  put(6, 1, 1);
  put(18, 62, 2); // x86-64
  put(32, 64, 8); // e_phoff
  put(54, 56, 2); // e_phentsize
  put(56, 1, 2);  // e_phnum
  put(64, 1, 4);  // PT_LOAD
  put(68, 5, 4);  // R+X
  put(80, 0x400000, 8);
  put(88, 0x400000, 8);
  put(96, loaded, 8);
  put(104, loaded, 8);
  return image;
}

TEST(InstructionSet, AnElfFileThatMakesLessThanHalfOfItsImageIsReadAsARawImage) {
  const Bytes code_image = code(InstructionSet::x86_64, 512 * 1024, 0, 512 * 1024);
  // The ELF file makes 64 KiB of 512 KiB: other parts follow it.
  const Layout parts = detect_layout(with_elf_header(code_image, 64 << 10), with_elf_header(code_image, 64 << 10));
  EXPECT_EQ(parts.raw_pointer_size, 8u);
  EXPECT_EQ(parts.kinds & kX86Relative, kX86Relative);
  // It makes 300 KiB of them: the ELF header describes the image.
  const Layout elf = detect_layout(with_elf_header(code_image, 300 << 10), with_elf_header(code_image, 300 << 10));
  EXPECT_EQ(elf.raw_pointer_size, 0u);
  ASSERT_EQ(elf.source.segments().size(), 1u);
  EXPECT_EQ(elf.source.segments()[0].vaddr, 0x400000u);
}

} // namespace
} // namespace dfota::delta::native
