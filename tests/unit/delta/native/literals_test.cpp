#include <gtest/gtest.h>

#include <random>

#include "delta/native/literals.hpp"
#include "support/test_support.hpp"

namespace dfota::delta::native {
namespace {

void put32(Bytes& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i)
    b[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}
std::uint32_t get32(const Bytes& b, std::size_t at) {
  return b[at] | b[at + 1] << 8 | b[at + 2] << 16 | static_cast<std::uint32_t>(b[at + 3]) << 24;
}

// Undoes `transform` on `encoded` (a run at target_start), fed in pieces of
// the given sizes (cycled), keeping the bytes a call leaves not final at the
// front of the next piece, as an applier does.
Bytes decode_in_pieces(LiteralTransform transform, const Bytes& encoded, std::uint64_t target_start,
                       const std::vector<std::size_t>& sizes) {
  LiteralCoder coder(transform, LiteralCoder::decode, target_start, encoded.size());
  Bytes out, buffer;
  std::size_t at = 0, turn = 0;
  while (at < encoded.size()) {
    const std::size_t n = std::min(sizes[turn++ % sizes.size()], encoded.size() - at);
    buffer.insert(buffer.end(), encoded.begin() + static_cast<std::ptrdiff_t>(at),
                  encoded.begin() + static_cast<std::ptrdiff_t>(at + n));
    at += n;
    const std::size_t final_bytes = coder.code(buffer.data(), buffer.size());
    EXPECT_LE(buffer.size() - final_bytes, 6u);
    if (at == encoded.size()) {
      EXPECT_EQ(final_bytes, buffer.size());
    }
    out.insert(out.end(), buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(final_bytes));
    buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(final_bytes));
  }
  return out;
}

TEST(LiteralTransform, X86CallsBecomeTheirCalleesPosition) {
  // Calls at run offsets 3 and 20 of a run at target 1000, both to 5000;
  // an E8 in the last 4 bytes has no room for a call.
  Bytes run(30, 0x90);
  for (std::size_t at : {3u, 20u}) {
    run[at] = 0xE8;
    put32(run, at + 1, static_cast<std::uint32_t>(5000 - (1000 + at + 5)));
  }
  run[27] = 0xE8;
  const Bytes original = run;
  encode_literal_run(LiteralTransform::x86_calls, run.data(), run.size(), 1000);
  EXPECT_EQ(get32(run, 4), 5000u);
  EXPECT_EQ(get32(run, 21), 5000u);
  EXPECT_EQ(run[27], 0xE8);
  EXPECT_EQ(Bytes(run.begin() + 25, run.end()), Bytes(original.begin() + 25, original.end()));
  EXPECT_EQ(decode_in_pieces(LiteralTransform::x86_calls, run, 1000, {30}), original);
}

TEST(LiteralTransform, X86_64ReferencesBecomeTheirTargetsPosition) {
  // A run at target 1000 with every instruction form the walk rewrites, all
  // reaching 8000, then a REX mov with a register operand (ModRM C0: no
  // field), a RIP-relative lea cut by the run's end and an E8 inside a
  // rewritten field, which the walk skips.
  Bytes run(60, 0x90);
  struct Form {
    std::size_t at, field, size;
  };
  const std::vector<std::pair<Bytes, Form>> forms{
      {{0xE8}, {0, 1, 5}},              // call rel32
      {{0xFF, 0x15}, {5, 2, 6}},        // call [rip + disp32]
      {{0xFF, 0x25}, {11, 2, 6}},       // jmp [rip + disp32]
      {{0x48, 0x8D, 0x05}, {17, 3, 7}}, // lea rax, [rip + disp32]
      {{0x4C, 0x8B, 0x3D}, {24, 3, 7}}, // mov r15, [rip + disp32]
      {{0x0F, 0x10, 0x05}, {31, 3, 7}}, // movups xmm0, [rip + disp32] (after a 66/F2/F3 prefix too)
  };
  for (const auto& [opcode, form] : forms) {
    std::copy(opcode.begin(), opcode.end(), run.begin() + static_cast<std::ptrdiff_t>(form.at));
    put32(run, form.at + form.field, static_cast<std::uint32_t>(8000 - (1000 + form.at + form.size)));
  }
  run[38] = 0x48, run[39] = 0x8B, run[40] = 0xC0; // mov rax, rax: no field
  put32(run, 41, 0x12345678);
  run[45] = 0x48, run[46] = 0x8D, run[47] = 0x05; // lea with its field ...
  put32(run, 48, 0xE8E8E8E8);                     // ... holding E8s
  run[55] = 0x48, run[56] = 0x8D, run[57] = 0x05; // cut by the run's end
  const Bytes original = run;
  encode_literal_run(LiteralTransform::x86_64_references, run.data(), run.size(), 1000);
  for (const auto& [opcode, form] : forms) {
    EXPECT_EQ(get32(run, form.at + form.field), 8000u) << "at " << form.at;
    EXPECT_EQ(Bytes(run.begin() + static_cast<std::ptrdiff_t>(form.at),
                    run.begin() + static_cast<std::ptrdiff_t>(form.at + opcode.size())),
              opcode);
  }
  EXPECT_EQ(get32(run, 41), 0x12345678u);
  EXPECT_EQ(get32(run, 48), 0xE8E8E8E8u + 1052);
  EXPECT_EQ(Bytes(run.begin() + 52, run.end()), Bytes(original.begin() + 52, original.end()));
  for (const std::vector<std::size_t>& sizes :
       std::vector<std::vector<std::size_t>>{{60}, {1}, {2, 5}, {6, 1, 7}, {3}}) {
    EXPECT_EQ(decode_in_pieces(LiteralTransform::x86_64_references, run, 1000, sizes), original);
  }
}

TEST(LiteralTransform, A32CallsBecomeTheirCalleesWord) {
  // A run at target 1002: its words start at run offsets 2, 6, ...; a BL
  // (condition AL) at offset 6, a conditional BL (BLNE) at 10, an unaligned
  // 0xEB word at 15 and a BL cut by the run's end.
  Bytes run(24, 0);
  put32(run, 6, 0xEB000010);
  put32(run, 10, 0x1B000010);
  put32(run, 15, 0xEB000010);
  run[23] = 0xEB;
  const Bytes original = run;
  encode_literal_run(LiteralTransform::a32_calls, run.data(), run.size(), 1002);
  EXPECT_EQ(get32(run, 6), 0xEB000010u + 1008 / 4);
  EXPECT_EQ(get32(run, 10), 0x1B000010u);
  EXPECT_EQ(get32(run, 15), 0xEB000010u);
  EXPECT_EQ(run[23], 0xEB);
  // A backward call far before the target's start wraps within 24 bits.
  Bytes back(4);
  put32(back, 0, 0xEBFFFFF0);
  encode_literal_run(LiteralTransform::a32_calls, back.data(), back.size(), 0x40);
  EXPECT_EQ(get32(back, 0), 0xEB000000u);
  EXPECT_EQ(decode_in_pieces(LiteralTransform::a32_calls, run, 1002, {24}), original);
}

TEST(LiteralTransform, NoneLeavesTheBytes) {
  Bytes run = test::random_bytes(100, 5);
  const Bytes original = run;
  encode_literal_run(LiteralTransform::none, run.data(), run.size(), 7);
  EXPECT_EQ(run, original);
  EXPECT_EQ(decode_in_pieces(LiteralTransform::none, run, 7, {1, 3}), original);
}

// Property: decoding undoes encoding whatever the run's start, its bytes
// and how the decoder's pieces cut it; a run dense with lead bytes makes
// calls straddle every cut (x86-64: opcode and ModRM bytes of every form).
TEST(LiteralTransform, DecodingUndoesEncodingHoweverTheRunIsCut) {
  std::mt19937 rng(17);
  for (int round = 0; round < 300; ++round) {
    const std::size_t length = rng() % 300;
    Bytes run = test::random_bytes(length, static_cast<std::uint32_t>(round));
    static constexpr std::uint8_t kX86_64Bytes[] = {0xE8, 0xFF, 0x15, 0x25, 0x48, 0x8D, 0x8B, 0x05, 0x0F, 0x10};
    for (std::uint8_t& b : run) {
      if (rng() % 3 != 0) continue;
      if (round % 3 == 2)
        b = kX86_64Bytes[rng() % sizeof kX86_64Bytes];
      else
        b = (round % 3 == 1) ? 0xE8 : 0xEB;
    }
    const std::uint64_t target_start = rng() % 4096 + (round % 5 == 0 ? 0xFFFFFF00u : 0);
    std::vector<std::size_t> sizes;
    for (int i = 0; i < 4; ++i)
      sizes.push_back(1 + rng() % 9);
    for (LiteralTransform t :
         {LiteralTransform::x86_calls, LiteralTransform::a32_calls, LiteralTransform::x86_64_references}) {
      Bytes encoded = run;
      encode_literal_run(t, encoded.data(), encoded.size(), target_start);
      EXPECT_EQ(decode_in_pieces(t, encoded, target_start, sizes), run) << "round " << round;
      EXPECT_EQ(decode_in_pieces(t, encoded, target_start, {length + 1}), run) << "round " << round;
    }
  }
}

TEST(LiteralTransform, FollowsTheDetectedMachine) {
  EXPECT_EQ(literal_transform_for(kX86Relative | kX64RipRelative), LiteralTransform::x86_64_references);
  EXPECT_EQ(literal_transform_for(kX86Relative | kAbsolute32), LiteralTransform::x86_calls); // 32-bit x86
  EXPECT_EQ(literal_transform_for(kArm32Branch | kThumbBranch), LiteralTransform::a32_calls);
  EXPECT_EQ(literal_transform_for(kArm64Branch | kAbsolute64), LiteralTransform::none);
  EXPECT_EQ(literal_transform_for(0), LiteralTransform::none);
}

} // namespace
} // namespace dfota::delta::native
