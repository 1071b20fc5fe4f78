// Bit-level reading and writing in deflate's order (RFC 1951 3.1.1): bits
// are taken from each byte starting at its least significant one, and
// Huffman codes are sent from their most significant bit.
#pragma once

#include <cstdint>

#include "core/bytes.hpp"

namespace dfota::delta::deflate {

// Reads bits from a span the caller keeps alive. Reading past the end fails
// softly: bits() returns false and the reader stays exhausted.
class BitReader {
public:
  explicit BitReader(ByteSpan data) : data_(data) {}
  // Takes `count` (0..32) bits into `value`; false when fewer remain.
  bool bits(unsigned count, std::uint32_t& value) {
    while (held_ < count) {
      if (next_ >= data_.size()) return false;
      buffer_ |= static_cast<std::uint64_t>(data_[next_++]) << held_;
      held_ += 8;
    }
    value = static_cast<std::uint32_t>(buffer_ & ((std::uint64_t{1} << count) - 1));
    buffer_ >>= count;
    held_ -= count;
    return true;
  }
  // Bits read so far.
  std::uint64_t position() const { return next_ * 8 - held_; }
  // Bits up to the next byte boundary (0..7).
  unsigned to_boundary() const { return held_ % 8; }
  // The byte boundary reached after to_boundary() bits: whole bytes read.
  std::uint64_t byte_position() const { return (position() + 7) / 8; }

private:
  ByteSpan data_;
  std::size_t next_ = 0;
  std::uint64_t buffer_ = 0;
  unsigned held_ = 0;
};

// Appends bits to a byte vector it owns; take() hands over the whole bytes
// written so far (a partial byte stays).
class BitWriter {
public:
  void bits(std::uint32_t value, unsigned count) {
    buffer_ |= static_cast<std::uint64_t>(value) << held_;
    held_ += count;
    while (held_ >= 8) {
      out_.push_back(static_cast<std::uint8_t>(buffer_));
      buffer_ >>= 8;
      held_ -= 8;
    }
  }
  // Bits up to the next byte boundary (0..7).
  unsigned to_boundary() const { return (8 - held_ % 8) % 8; }
  Bytes& bytes() { return out_; }
  const Bytes& bytes() const { return out_; }

private:
  Bytes out_;
  std::uint64_t buffer_ = 0;
  unsigned held_ = 0;
};

} // namespace dfota::delta::deflate
