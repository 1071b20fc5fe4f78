#include "delta/deflate/recorder.hpp"

#include "delta/deflate/huffman.hpp"
#include "delta/deflate/match_finder.hpp"
#include "delta/native/varint.hpp"

#include <algorithm>
#include <future>
#include <system_error>
#include <vector>

#include "core/cores.hpp"

namespace dfota::delta::deflate {

namespace {

using native::put_varint;
using native::varint_length;

constexpr unsigned kMaxDistance = 32768;

// Copies bits [from, from + count) of what `at` reads next into `out`.
void copy_bits(BitReader at, std::uint64_t count, BitWriter& out) {
  while (count > 0) {
    const unsigned n = count > 16 ? 16 : static_cast<unsigned>(count);
    std::uint32_t v = 0;
    at.bits(n, v);
    out.bits(v, n);
    count -= n;
  }
}

struct Token {
  std::uint32_t literals_before;
  std::uint16_t length, distance;
};

// A block as decoded: its record's first part (type, and a stored block's
// fill bits and length or a dynamic block's header), where its content
// lies in the stream and its matches.
struct DecodedBlock {
  Bytes head;
  bool stored = false;
  std::uint64_t start = 0, end = 0;
  std::vector<Token> tokens;
};

// Decodes one Huffman-coded block's symbols into `content`, noting each
// match in `tokens`. False on any fault of the stream.
bool record_symbols(BitReader& in, const Decoder& literal_lengths, const Decoder* distances, Bytes& content,
                    std::uint64_t max_content, std::vector<Token>& tokens) {
  std::uint64_t literals = 0;
  for (;;) {
    const int symbol = literal_lengths.decode(in);
    if (symbol < 0) return false;
    if (symbol < 256) {
      if (content.size() >= max_content) return false;
      content.push_back(static_cast<std::uint8_t>(symbol));
      ++literals;
      continue;
    }
    if (symbol == static_cast<int>(kEndOfBlock)) return true;
    const unsigned length_index = static_cast<unsigned>(symbol) - 257;
    if (length_index >= kLengthBases.size() || distances == nullptr) return false;
    std::uint32_t extra = 0;
    if (!in.bits(kLengthBases[length_index].extra, extra)) return false;
    const unsigned length = kLengthBases[length_index].base + extra;
    const int distance_index = distances->decode(in);
    if (distance_index < 0 || distance_index >= static_cast<int>(kDistanceBases.size())) return false;
    if (!in.bits(kDistanceBases[distance_index].extra, extra)) return false;
    const unsigned distance = kDistanceBases[distance_index].base + extra;
    if (length > 258 || distance > kMaxDistance || distance > content.size()) return false;
    if (literals > UINT32_MAX) return false;
    if (content.size() + length > max_content) return false;
    const std::size_t from = content.size() - distance;
    for (unsigned i = 0; i < length; ++i)
      content.push_back(content[from + i]);
    tokens.push_back({static_cast<std::uint32_t>(literals), static_cast<std::uint16_t>(length),
                      static_cast<std::uint16_t>(distance)});
    literals = 0;
    if (tokens.size() > kMaxBlockMatches) return false;
  }
}

// Writes the parse of a block that starts at stream position `start` and
// ends at `end`: where it departs from what the finder expects (the
// misses, as gaps between their token indexes), then the number of
// matches and those the finder does not name (0, 0), as gaps between
// their match indexes with their names (or verbatim where the finder
// cannot name them). Feeds the finder the content as it goes.
void put_parse(Bytes& record, const std::vector<Token>& tokens, const Bytes& content, std::uint64_t start,
               std::uint64_t end, MatchFinder& finder) {
  auto feed_to = [&](std::uint64_t upto) {
    if (finder.held() < upto) finder.push(ByteSpan(content).subspan(finder.held(), upto - finder.held()));
  };
  Bytes misses, exceptions;
  std::uint64_t miss_count = 0, index = 0, last_miss = 0;
  std::uint64_t exception_count = 0, match_index = 0, last_exception = 0;
  auto decide = [&](std::uint64_t at, bool match) {
    feed_to(std::min<std::uint64_t>(end, at + kLookahead));
    if (finder.expects_match(at, end) != match) {
      put_varint(misses, index - last_miss);
      last_miss = index;
      ++miss_count;
    }
    ++index;
  };
  std::uint64_t at = start;
  for (const Token& t : tokens) {
    for (std::uint64_t i = 0; i < t.literals_before; ++i)
      decide(at++, false);
    decide(at, true);
    // Matches the finder names (0, 0) go unlisted; the others are exceptions.
    auto named = finder.name(at, end, t.length, t.distance);
    if (!named || named->shortfall != 0 || named->rank != 0) {
      put_varint(exceptions, match_index - last_exception);
      last_exception = match_index;
      ++exception_count;
      if (named) {
        put_varint(exceptions, named->shortfall + 1);
        put_varint(exceptions, named->rank);
      } else {
        put_varint(exceptions, 0);
        exceptions.push_back(static_cast<std::uint8_t>(t.length - 3));
        exceptions.push_back(static_cast<std::uint8_t>((t.distance - 1) & 0xFF));
        exceptions.push_back(static_cast<std::uint8_t>((t.distance - 1) >> 8));
      }
    }
    ++match_index;
    at += t.length;
  }
  while (at < end)
    decide(at++, false);
  feed_to(end);
  put_varint(record, miss_count);
  record.insert(record.end(), misses.begin(), misses.end());
  put_varint(record, tokens.size());
  put_varint(record, exception_count);
  record.insert(record.end(), exceptions.begin(), exceptions.end());
}

// Appends a Huffman block's parse to `record`, or feeds the finder a stored
// block's content.
void tell_block(Bytes& record, const DecodedBlock& block, const Bytes& content, MatchFinder& finder) {
  if (block.stored)
    finder.push(ByteSpan(content).subspan(block.start, block.end - block.start));
  else
    put_parse(record, block.tokens, content, block.start, block.end, finder);
}

} // namespace

// The parse model that leaves the fewest departures in the stream's first
// blocks (up to kModelTrial bytes of content).
ParseModel model_of(const std::vector<DecodedBlock>& blocks, const Bytes& content) {
  constexpr std::uint64_t kModelTrial = 256u << 10;
  ParseModel best;
  std::uint64_t best_size = UINT64_MAX;
  for (const ParseModel model :
       {ParseModel{3, false}, ParseModel{4, false}, ParseModel{3, true}, ParseModel{4, true}}) {
    MatchFinder finder(model);
    Bytes record;
    for (const DecodedBlock& block : blocks) {
      if (block.start >= kModelTrial) break;
      tell_block(record, block, content, finder);
    }
    if (record.size() < best_size) {
      best = model;
      best_size = record.size();
    }
  }
  return best;
}

// The records (each a size, then the record) of blocks [from, to), told
// by a finder fed from kWindow bytes before the first of them; nullopt when
// one passes kMaxRecord or all of them kMaxRecords.
std::optional<Bytes> block_records(const std::vector<DecodedBlock>& blocks, std::size_t from, std::size_t to,
                                   const Bytes& content, ParseModel model) {
  const std::uint64_t start = from < blocks.size() ? blocks[from].start : content.size();
  const std::uint64_t window_start = start > kWindow ? start - kWindow : 0;
  MatchFinder finder(model, window_start);
  finder.push(ByteSpan(content).subspan(window_start, start - window_start));
  Bytes records;
  for (std::size_t i = from; i < to; ++i) {
    const DecodedBlock& block = blocks[i];
    Bytes record = block.head;
    tell_block(record, block, content, finder);
    if (record.size() > kMaxRecord) return std::nullopt;
    put_varint(records, record.size());
    records.insert(records.end(), record.begin(), record.end());
    if (records.size() > kMaxRecords) return std::nullopt;
  }
  return records;
}

// Streams with less content are told in one pass.
constexpr std::uint64_t kTwoThreadsFrom = 1u << 20;

// The first block of a large stream's second half (the block that starts
// nearest its middle), or blocks.size() when it is told in one pass.
std::size_t second_half_start(const std::vector<DecodedBlock>& blocks, std::uint64_t content_size) {
  if (content_size < kTwoThreadsFrom || blocks.size() < 2 || usable_cores() < 2) return blocks.size();
  std::size_t best = blocks.size();
  std::uint64_t best_distance = UINT64_MAX;
  for (std::size_t i = 1; i < blocks.size(); ++i) {
    const std::uint64_t d =
        blocks[i].start > content_size / 2 ? blocks[i].start - content_size / 2 : content_size / 2 - blocks[i].start;
    if (d < best_distance) best = i, best_distance = d;
  }
  return best;
}

// The records of all blocks. A large stream's later blocks are told on a
// second core: the finder's answers depend on the window before a block
// alone, so both halves record what one pass would.
std::optional<Bytes> all_block_records(const std::vector<DecodedBlock>& blocks, const Bytes& content,
                                       ParseModel model) {
  const std::size_t split = second_half_start(blocks, content.size());
  if (split < blocks.size()) {
    try {
      auto job =
          std::async(std::launch::async, [&] { return block_records(blocks, split, blocks.size(), content, model); });
      auto earlier = block_records(blocks, 0, split, content, model);
      auto later = job.get();
      if (!earlier || !later) return std::nullopt;
      earlier->insert(earlier->end(), later->begin(), later->end());
      return earlier;
    } catch (const std::system_error&) { // no thread to be had: one pass
    }
  }
  return block_records(blocks, 0, blocks.size(), content, model);
}

std::optional<RecordedStream> record_deflate(ByteSpan input, std::uint64_t max_content) {
  // First the whole stream is decoded, then its parse is told against what
  // the finder expects, in the parse model that suits its encoder.
  Bytes content; // the whole stream's content: matches reach back into earlier blocks
  std::vector<DecodedBlock> blocks;
  BitReader in(input);
  // The fixed codes' tables, made once.
  static const Decoder fixed_literals = [] {
    Decoder d;
    d.build(fixed_literal_lengths());
    return d;
  }();
  static const Decoder fixed_distances_decoder = [] {
    Decoder d;
    d.build(fixed_distances());
    return d;
  }();
  for (bool final_seen = false; !final_seen;) {
    std::uint32_t final_block, type;
    if (!in.bits(1, final_block) || !in.bits(2, type) || type == 3) return std::nullopt;
    final_seen = final_block != 0;
    DecodedBlock block;
    block.head.push_back(static_cast<std::uint8_t>(final_block | type << 1));
    block.start = content.size();
    block.stored = type == 0;
    if (type == 0) {
      std::uint32_t pad = 0, length = 0, inverse = 0;
      if (!in.bits(in.to_boundary(), pad) || !in.bits(16, length) || !in.bits(16, inverse)) return std::nullopt;
      if ((length ^ 0xFFFF) != inverse || content.size() + length > max_content) return std::nullopt;
      for (std::uint32_t i = 0; i < length; ++i) {
        std::uint32_t byte;
        if (!in.bits(8, byte)) return std::nullopt;
        content.push_back(static_cast<std::uint8_t>(byte));
      }
      block.head.push_back(static_cast<std::uint8_t>(pad));
      put_varint(block.head, length);
    } else {
      Decoder literal_lengths, distances;
      const Decoder* literals_in_use = &fixed_literals;
      const Decoder* distances_in_use = &fixed_distances_decoder;
      if (type == 2) {
        const BitReader header_start = in;
        const std::uint64_t from = in.position();
        auto codes = read_dynamic_header(in);
        if (!codes || !literal_lengths.build(codes->literal_lengths)) return std::nullopt;
        // A distance code with no lengths at all is valid in a block of literals only.
        distances_in_use = distances.build(codes->distances) ? &distances : nullptr;
        literals_in_use = &literal_lengths;
        const std::uint64_t header_bits = in.position() - from;
        BitWriter header;
        copy_bits(header_start, header_bits, header);
        header.bits(0, header.to_boundary());
        put_varint(block.head, header_bits);
        block.head.insert(block.head.end(), header.bytes().begin(), header.bytes().end());
      }
      if (!record_symbols(in, *literals_in_use, distances_in_use, content, max_content, block.tokens))
        return std::nullopt;
      put_varint(block.head, content.size() - block.start);
    }
    block.end = content.size();
    blocks.push_back(std::move(block));
  }
  std::uint32_t tail = 0;
  in.bits(in.to_boundary(), tail);

  const ParseModel model = model_of(blocks, content);
  Bytes records;
  records.push_back(model.to_byte());
  auto told = all_block_records(blocks, content, model);
  if (!told) return std::nullopt;
  records.insert(records.end(), told->begin(), told->end());
  if (records.size() > kMaxRecords) return std::nullopt;
  records.push_back(static_cast<std::uint8_t>(tail));
  RecordedStream result;
  result.compressed_size = in.byte_position();
  result.records = std::move(records);
  result.content = std::move(content);
  return result;
}

std::uint64_t aligned_records_section(std::uint64_t form_at, std::uint64_t records_size) {
  for (std::uint64_t section = records_size;; ++section) {
    if ((form_at + varint_length(section) + section) % kContentAlignment == 0) return section;
  }
}

void append_expanded(Bytes& out, const RecordedStream& stream) {
  const std::uint64_t section = aligned_records_section(out.size(), stream.records.size());
  put_varint(out, section);
  out.insert(out.end(), stream.records.begin(), stream.records.end());
  out.resize(out.size() + (section - stream.records.size()), 0);
  out.insert(out.end(), stream.content.begin(), stream.content.end());
}

} // namespace dfota::delta::deflate
