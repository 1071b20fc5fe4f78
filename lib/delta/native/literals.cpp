#include "delta/native/literals.hpp"

#include <algorithm>

namespace dfota::delta::native {

LiteralTransform literal_transform_for(KindSet kinds) {
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

} // namespace dfota::delta::native
