// Deflate's canonical Huffman codes (RFC 1951 3.2.2, 3.2.5-3.2.7): decoding
// tables and encoding codes made from code lengths, the fixed codes, and the
// header of a dynamic block.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "delta/deflate/bits.hpp"

namespace dfota::delta::deflate {

inline constexpr unsigned kMaxBits = 15;
inline constexpr unsigned kLiteralLengthCodes = 288; // 286 and 287 are never valid
inline constexpr unsigned kDistanceCodes = 32;       // 30 and 31 are never valid
inline constexpr unsigned kEndOfBlock = 256;

// A code as lengths per symbol. A valid code is complete, or (as zlib's
// inflate accepts) a single code of one bit.
struct CodeLengths {
  std::array<std::uint8_t, kLiteralLengthCodes> lengths{};
  unsigned count = 0;
};

// Decodes symbols of one code, a bit at a time.
class Decoder {
public:
  // False when the lengths make no valid code.
  bool build(const CodeLengths& code);
  // The next symbol, or -1 at the end of the input or on a code not in use.
  int decode(BitReader& in) const;

private:
  std::array<std::uint16_t, kMaxBits + 1> count_{};
  std::array<std::uint16_t, kLiteralLengthCodes> symbol_{};
};

// Sends symbols of one code: each symbol's code reversed to deflate's bit
// order, with its length.
class Encoder {
public:
  explicit Encoder(const CodeLengths& code);
  // Symbols of length 0 have no code; sending one is the caller's error
  // (it sends nothing).
  void send(BitWriter& out, unsigned symbol) const { out.bits(code_[symbol], length_[symbol]); }
  bool has(unsigned symbol) const { return symbol < length_.size() && length_[symbol] != 0; }

private:
  std::array<std::uint16_t, kLiteralLengthCodes> code_{};
  std::array<std::uint8_t, kLiteralLengthCodes> length_{};
};

// The literal/length and distance codes of a fixed block.
CodeLengths fixed_literal_lengths();
CodeLengths fixed_distances();

// A dynamic block's two codes, read from its header (the bits after BTYPE).
struct DynamicCodes {
  CodeLengths literal_lengths;
  CodeLengths distances;
};
// Reads a dynamic header; nullopt when it is cut short or invalid.
std::optional<DynamicCodes> read_dynamic_header(BitReader& in);

// Length symbols 257..285 and distance symbols 0..29: base and extra bits.
struct Base {
  std::uint16_t base;
  std::uint8_t extra;
};
extern const std::array<Base, 29> kLengthBases;
extern const std::array<Base, 30> kDistanceBases;
// The symbol (index into the tables above) that sends `length` (3..258) and
// `distance` (1..32768), the way every encoder does: the largest base not
// above the value.
unsigned length_symbol(unsigned length);
unsigned distance_symbol(unsigned distance);

} // namespace dfota::delta::deflate
