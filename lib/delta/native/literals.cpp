#include "delta/native/literals.hpp"

#include <algorithm>

namespace dfota::delta::native {

LiteralTransform literal_transform_for(KindSet kinds) {
  if (kinds & kX64RipRelative) return LiteralTransform::x86_64_references;
  if (kinds & kX86Relative) return LiteralTransform::x86_calls;
  if (kinds & kArm32Branch) return LiteralTransform::a32_calls;
  return LiteralTransform::none;
}

std::size_t LiteralCoder::code(std::uint8_t* bytes, std::size_t count) {
  count = static_cast<std::size_t>(std::min<std::uint64_t>(count, length_ - done_));
  const bool ends_run = count == length_ - done_;
  std::size_t final_bytes = count;
  switch (transform_) {
  case LiteralTransform::x86_calls: final_bytes = x86_calls(bytes, count, ends_run); break;
  case LiteralTransform::a32_calls: final_bytes = a32_calls(bytes, count, ends_run); break;
  case LiteralTransform::x86_64_references: final_bytes = x86_64_references(bytes, count, ends_run); break;
  case LiteralTransform::none: break;
  }
  done_ += final_bytes;
  return final_bytes;
}

std::size_t LiteralCoder::x86_calls(std::uint8_t* bytes, std::size_t count, bool ends_run) {
  // A left-to-right walk: an E8 with 4 more bytes in the run is a call and
  // the walk goes on after it. The E8 itself is never rewritten, so encoder
  // and decoder walk alike.
  std::size_t i = 0;
  while (i < count) {
    const std::uint64_t at = done_ + i;
    if (bytes[i] != 0xE8 || length_ - at < 5) {
      ++i;
      continue;
    }
    if (count - i < 5) break; // cut by the end of `bytes`, not of the run
    const auto end_of_call = static_cast<std::uint32_t>(target_start_ + at + 5);
    const std::uint32_t field = load_le32(bytes + i + 1);
    store_le32(bytes + i + 1, direction_ == encode ? field + end_of_call : field - end_of_call);
    i += 5;
  }
  return ends_run ? count : i;
}

std::size_t LiteralCoder::a32_calls(std::uint8_t* bytes, std::size_t count, bool ends_run) {
  // The words at 4-aligned target positions that lie whole in the run.
  std::size_t i = static_cast<std::size_t>((4 - ((target_start_ + done_) & 3)) & 3);
  for (; i + 4 <= count; i += 4) {
    const std::uint32_t word = load_le32(bytes + i);
    if ((word >> 24) != 0xEB) continue;
    const auto position = static_cast<std::uint32_t>((target_start_ + done_ + i) >> 2);
    const std::uint32_t offset = direction_ == encode ? word + position : word - position;
    store_le32(bytes + i, 0xEB000000u | (offset & 0x00FFFFFFu));
  }
  return ends_run ? count : std::min(i, count);
}

namespace {

// The second byte of a REX-prefixed instruction whose ModRM may name a
// RIP-relative operand: mov (8B, 89), lea (8D), add, sub, and, or, xor,
// cmp, test and movsxd.
bool rex_rip_opcode(std::uint8_t op) {
  switch (op) {
  case 0x03:
  case 0x0B:
  case 0x23:
  case 0x2B:
  case 0x33:
  case 0x39:
  case 0x3B:
  case 0x63:
  case 0x85:
  case 0x89:
  case 0x8B:
  case 0x8D: return true;
  default: return false;
  }
}

// The byte after 0F of the SSE moves and arithmetic, movzx and movsx whose
// ModRM may name a RIP-relative operand.
bool escaped_rip_opcode(std::uint8_t op) {
  switch (op) {
  case 0x10:
  case 0x11:
  case 0x12:
  case 0x16:
  case 0x28:
  case 0x29:
  case 0x2E:
  case 0x2F:
  case 0x54:
  case 0x57:
  case 0x58:
  case 0x59:
  case 0x5C:
  case 0x5E:
  case 0x6F:
  case 0x7E:
  case 0x7F:
  case 0xB6:
  case 0xB7:
  case 0xBE:
  case 0xBF:
  case 0xD6: return true;
  default: return false;
  }
}

// ModRM mod 00, r/m 101: a RIP-relative disp32 follows.
constexpr bool rip_relative(std::uint8_t modrm) { return (modrm & 0xC7) == 0x05; }

// The longest instruction the x86-64 walk rewrites.
constexpr std::size_t kLongestX86Reference = 7;

} // namespace

std::size_t LiteralCoder::x86_64_references(std::uint8_t* bytes, std::size_t count, bool ends_run) {
  // A left-to-right walk, like x86_calls(): where an instruction below
  // starts and lies whole in the run, its 32-bit field becomes the field
  // plus the instruction's end and the walk goes on after it. Opcode and
  // ModRM bytes are never rewritten, so encoder and decoder walk alike; an
  // instruction is told from the next min(7, rest of the run) bytes, and
  // the walk stops where fewer are held (cut by the end of `bytes`).
  std::size_t i = 0;
  while (i < count) {
    const std::uint64_t left = length_ - (done_ + i);
    const std::size_t look = static_cast<std::size_t>(std::min<std::uint64_t>(left, kLongestX86Reference));
    if (!ends_run && count - i < look) break;
    const std::uint8_t* at = bytes + i;
    std::size_t field = 0, size = 0;
    if (at[0] == 0xE8) {
      field = 1, size = 5;
    } else if (at[0] == 0xFF && look >= 2 && (at[1] == 0x15 || at[1] == 0x25)) {
      field = 2, size = 6;
    } else if (look >= 3 &&
               (((at[0] & 0xF0) == 0x40 && rex_rip_opcode(at[1])) || (at[0] == 0x0F && escaped_rip_opcode(at[1]))) &&
               rip_relative(at[2])) {
      field = 3, size = 7;
    }
    if (size == 0 || size > look) {
      ++i;
      continue;
    }
    const auto end = static_cast<std::uint32_t>(target_start_ + done_ + i + size);
    const std::uint32_t value = load_le32(at + field);
    store_le32(bytes + i + field, direction_ == encode ? value + end : value - end);
    i += size;
  }
  return ends_run ? count : i;
}

} // namespace dfota::delta::native
