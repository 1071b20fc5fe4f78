// LEB128 varints and zigzag signed values, as the native payload stores them
// (formats/native-delta.md).
#pragma once

#include <cstdint>

#include "core/bytes.hpp"
#include "delta/engine.hpp"

namespace dfota::delta::native {

inline void put_varint(Bytes& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(value));
}

// How many bytes put_varint() writes for `value`.
inline unsigned varint_length(std::uint64_t value) {
  unsigned length = 1;
  for (; value >= 0x80; value >>= 7)
    ++length;
  return length;
}

inline std::uint64_t zigzag(std::int64_t value) {
  return (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63);
}
inline std::int64_t unzigzag(std::uint64_t value) {
  return static_cast<std::int64_t>(value >> 1) ^ -static_cast<std::int64_t>(value & 1);
}

// Reads one varint, taking its bytes from next_byte() -> Expected<uint8_t>.
// One that does not fit in 64 bits is DeltaErrc::corrupt_payload.
template <class NextByte> Expected<std::uint64_t> read_varint(NextByte&& next_byte) {
  std::uint64_t value = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    auto b = next_byte();
    if (!b) return b.error();
    if (shift == 63 && (*b & 0x7E) != 0) break;
    value |= static_cast<std::uint64_t>(*b & 0x7F) << shift;
    if ((*b & 0x80) == 0) return value;
  }
  return make_error(DeltaErrc::corrupt_payload, "native payload has a number beyond 64 bits");
}

} // namespace dfota::delta::native
