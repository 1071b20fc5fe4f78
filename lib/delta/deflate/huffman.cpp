#include "delta/deflate/huffman.hpp"

#include <algorithm>

namespace dfota::delta::deflate {

const std::array<Base, 29> kLengthBases = {{{3, 0},   {4, 0},   {5, 0},   {6, 0},   {7, 0},  {8, 0},  {9, 0},  {10, 0},
                                            {11, 1},  {13, 1},  {15, 1},  {17, 1},  {19, 2}, {23, 2}, {27, 2}, {31, 2},
                                            {35, 3},  {43, 3},  {51, 3},  {59, 3},  {67, 4}, {83, 4}, {99, 4}, {115, 4},
                                            {131, 5}, {163, 5}, {195, 5}, {227, 5}, {258, 0}}};
const std::array<Base, 30> kDistanceBases = {
    {{1, 0},     {2, 0},     {3, 0},     {4, 0},      {5, 1},      {7, 1},     {9, 2},     {13, 2},
     {17, 3},    {25, 3},    {33, 4},    {49, 4},     {65, 5},     {97, 5},    {129, 6},   {193, 6},
     {257, 7},   {385, 7},   {513, 8},   {769, 8},    {1025, 9},   {1537, 9},  {2049, 10}, {3073, 10},
     {4097, 11}, {6145, 11}, {8193, 12}, {12289, 12}, {16385, 13}, {24577, 13}}};

unsigned length_symbol(unsigned length) {
  unsigned s = 0;
  while (s + 1 < kLengthBases.size() && kLengthBases[s + 1].base <= length)
    ++s;
  return s;
}

unsigned distance_symbol(unsigned distance) {
  unsigned s = 0;
  while (s + 1 < kDistanceBases.size() && kDistanceBases[s + 1].base <= distance)
    ++s;
  return s;
}

bool Decoder::build(const CodeLengths& code) {
  count_.fill(0);
  unsigned longest = 0;
  for (unsigned s = 0; s < code.count; ++s) {
    ++count_[code.lengths[s]];
    longest = std::max<unsigned>(longest, code.lengths[s]);
  }
  if (count_[0] == code.count) return false; // no codes at all
  int left = 1;
  for (unsigned len = 1; len <= kMaxBits; ++len) {
    left = left * 2 - count_[len];
    if (left < 0) return false; // over-subscribed
  }
  if (left > 0 && longest != 1) return false; // incomplete, and not a single one-bit code
  std::array<std::uint16_t, kMaxBits + 2> offsets{};
  for (unsigned len = 1; len <= kMaxBits; ++len)
    offsets[len + 1] = static_cast<std::uint16_t>(offsets[len] + count_[len]);
  for (unsigned s = 0; s < code.count; ++s)
    if (code.lengths[s] != 0) symbol_[offsets[code.lengths[s]]++] = static_cast<std::uint16_t>(s);
  return true;
}

int Decoder::decode(BitReader& in) const {
  int code = 0, first = 0, index = 0;
  for (unsigned len = 1; len <= kMaxBits; ++len) {
    std::uint32_t bit;
    if (!in.bits(1, bit)) return -1;
    code |= static_cast<int>(bit);
    const int count = count_[len];
    if (code - count < first) return symbol_[index + (code - first)];
    index += count;
    first = (first + count) << 1;
    code <<= 1;
  }
  return -1;
}

Encoder::Encoder(const CodeLengths& code) {
  std::array<std::uint16_t, kMaxBits + 1> count{};
  for (unsigned s = 0; s < code.count; ++s)
    ++count[code.lengths[s]];
  count[0] = 0;
  std::array<std::uint16_t, kMaxBits + 2> next{};
  unsigned value = 0;
  for (unsigned len = 1; len <= kMaxBits; ++len) {
    value = (value + count[len - 1]) << 1;
    next[len] = static_cast<std::uint16_t>(value);
  }
  for (unsigned s = 0; s < code.count; ++s) {
    const unsigned len = code.lengths[s];
    if (len == 0) continue;
    unsigned c = next[len]++, reversed = 0;
    for (unsigned b = 0; b < len; ++b, c >>= 1)
      reversed = (reversed << 1) | (c & 1);
    code_[s] = static_cast<std::uint16_t>(reversed);
    length_[s] = static_cast<std::uint8_t>(len);
  }
}

CodeLengths fixed_literal_lengths() {
  CodeLengths code;
  code.count = kLiteralLengthCodes;
  for (unsigned s = 0; s < kLiteralLengthCodes; ++s)
    code.lengths[s] = s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8;
  return code;
}

CodeLengths fixed_distances() {
  CodeLengths code;
  code.count = kDistanceCodes;
  for (unsigned s = 0; s < kDistanceCodes; ++s)
    code.lengths[s] = 5;
  return code;
}

std::optional<DynamicCodes> read_dynamic_header(BitReader& in) {
  std::uint32_t hlit, hdist, hclen;
  if (!in.bits(5, hlit) || !in.bits(5, hdist) || !in.bits(4, hclen)) return std::nullopt;
  const unsigned literal_count = hlit + 257, distance_count = hdist + 1;
  if (literal_count > 286 || distance_count > 30) return std::nullopt;
  static constexpr std::array<std::uint8_t, 19> kOrder = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                                          11, 4,  12, 3, 13, 2, 14, 1, 15};
  CodeLengths length_code;
  length_code.count = 19;
  for (unsigned i = 0; i < hclen + 4; ++i) {
    std::uint32_t len;
    if (!in.bits(3, len)) return std::nullopt;
    length_code.lengths[kOrder[i]] = static_cast<std::uint8_t>(len);
  }
  Decoder lengths_decoder;
  if (!lengths_decoder.build(length_code)) return std::nullopt;
  std::array<std::uint8_t, 286 + 30> lengths{};
  const unsigned total = literal_count + distance_count;
  for (unsigned at = 0; at < total;) {
    const int symbol = lengths_decoder.decode(in);
    if (symbol < 0) return std::nullopt;
    if (symbol < 16) {
      lengths[at++] = static_cast<std::uint8_t>(symbol);
      continue;
    }
    std::uint32_t repeat;
    std::uint8_t value = 0;
    if (symbol == 16) {
      if (at == 0 || !in.bits(2, repeat)) return std::nullopt;
      value = lengths[at - 1];
      repeat += 3;
    } else if (symbol == 17) {
      if (!in.bits(3, repeat)) return std::nullopt;
      repeat += 3;
    } else {
      if (!in.bits(7, repeat)) return std::nullopt;
      repeat += 11;
    }
    if (at + repeat > total) return std::nullopt;
    for (std::uint32_t i = 0; i < repeat; ++i)
      lengths[at++] = value;
  }
  if (lengths[kEndOfBlock] == 0) return std::nullopt; // a block must be able to end
  DynamicCodes codes;
  codes.literal_lengths.count = literal_count;
  std::copy_n(lengths.begin(), literal_count, codes.literal_lengths.lengths.begin());
  codes.distances.count = distance_count;
  std::copy_n(lengths.begin() + literal_count, distance_count, codes.distances.lengths.begin());
  return codes;
}

} // namespace dfota::delta::deflate
