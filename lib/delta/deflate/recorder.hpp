// Recording a deflate stream (RFC 1951) as its "expanded" form: a record
// per block of how the block coded its content (its type, a dynamic
// block's header bits verbatim, and its parse as far as the content does
// not tell it: match_finder.hpp), then the stream's whole content. The form
// holds every decision the stream's encoder took, so rebuild (rebuilder.hpp)
// makes the very same bits again; its layout is specified in
// formats/native-delta.md ("Deflate streams").
#pragma once

#include <cstdint>
#include <optional>

#include "core/bytes.hpp"

namespace dfota::delta::deflate {

// A block's record may hold at most this many bytes; a stream with a longer
// one is not recorded (a rebuilder buffers one record: its memory bound).
inline constexpr std::uint64_t kMaxRecord = std::uint64_t{1} << 20;
// A block may hold at most this many matches; a stream with more in one
// block is not recorded (a rebuilder holds one block's matches).
inline constexpr std::uint64_t kMaxBlockMatches = std::uint64_t{1} << 17;
// All records of a stream may hold at most this many bytes (a rebuilder
// holds them while the content passes).
inline constexpr std::uint64_t kMaxRecords = std::uint64_t{16} << 20;

struct RecordedStream {
  std::uint64_t compressed_size = 0; // bytes of input the stream took, to its last block's end
  Bytes records;                     // the block records and the last byte's fill bits
  Bytes content;                     // what the stream inflates to
};

// Content in an expanded image starts at a multiple of this (code in it
// keeps the alignment its instructions have in the content).
inline constexpr std::uint64_t kContentAlignment = 16;

// Appends the expanded form of `stream` to `out`: the records section's
// size, the records padded with zeros so that the content starts at a
// multiple of kContentAlignment in `out`, then the content.
void append_expanded(Bytes& out, const RecordedStream& stream);
// The records section's size in a form that starts at `form_at` of its
// expanded image and holds `records_size` bytes of records: the smallest
// that puts the content at a multiple of kContentAlignment.
std::uint64_t aligned_records_section(std::uint64_t form_at, std::uint64_t records_size);

// Records the deflate stream that starts at the first byte of `input`.
// nullopt when `input` does not start with a complete, valid stream, when
// the stream inflates to more than `max_content` bytes, or when a block's
// record would exceed kMaxRecord (or all of them kMaxRecords). Bytes after
// the stream are not looked at.
std::optional<RecordedStream> record_deflate(ByteSpan input, std::uint64_t max_content);

} // namespace dfota::delta::deflate
