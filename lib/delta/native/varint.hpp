// LEB128 varints and zigzag signed values, as the native payload stores them
// (formats/native-delta.md).
#pragma once

#include <cstdint>
#include <optional>

#include "core/bytes.hpp"

namespace dfota::delta::native {

inline void put_varint(Bytes& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(value));
}

inline std::uint64_t zigzag(std::int64_t value) {
  return (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63);
}
inline std::int64_t unzigzag(std::uint64_t value) {
  return static_cast<std::int64_t>(value >> 1) ^ -static_cast<std::int64_t>(value & 1);
}

// Reads varints from a span. A varint longer than 10 bytes, or one that runs
// past the end, yields nullopt and leaves the cursor unusable.
class SpanCursor {
public:
  explicit SpanCursor(ByteSpan data) : data_(data) {}
  std::optional<std::uint8_t> byte() {
    if (position_ >= data_.size()) return std::nullopt;
    return data_[position_++];
  }
  std::optional<std::uint64_t> varint() {
    std::uint64_t value = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
      auto b = byte();
      if (!b) return std::nullopt;
      if (shift == 63 && (*b & 0x7E) != 0) return std::nullopt; // beyond 64 bits
      value |= static_cast<std::uint64_t>(*b & 0x7F) << shift;
      if ((*b & 0x80) == 0) return value;
    }
    return std::nullopt;
  }
  std::optional<ByteSpan> take(std::size_t count) {
    if (count > data_.size() - position_) return std::nullopt;
    ByteSpan out = data_.subspan(position_, count);
    position_ += count;
    return out;
  }
  std::size_t position() const { return position_; }
  bool at_end() const { return position_ == data_.size(); }

private:
  ByteSpan data_;
  std::size_t position_ = 0;
};

} // namespace dfota::delta::native
