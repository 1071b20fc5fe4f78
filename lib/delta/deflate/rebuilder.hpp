// Rebuilding a deflate stream from its expanded form (recorder.hpp): the
// exact bytes the recorded stream had, made as the expanded bytes arrive.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/bytes.hpp"
#include "delta/deflate/bits.hpp"
#include "delta/deflate/huffman.hpp"
#include "delta/deflate/match_finder.hpp"
#include "delta/deflate/zlib_made.hpp"

namespace dfota::delta::deflate {

// Takes one stream's expanded form in pieces of any size through write()
// and writes the deflate stream to `out` (which it does not own and which
// must outlive it). Memory: the stream's records (at most kMaxRecords), one
// block's matches (at most kMaxBlockMatches of 16 bytes), the match finder
// (about 1.6 MiB) and up to 64 KiB of output waiting; for a zlib-made
// stream (zlib_made.hpp), zlib's state instead of the block's matches and
// the finder. After an error the rebuilder
// must not be used again; `out` holds an unspecified prefix.
class Rebuilder {
public:
  explicit Rebuilder(Writer& out) : out_(out) {}
  Status write(ByteSpan expanded);
  // Fails unless exactly one whole expanded stream was written.
  Status finish();
  // Bytes of deflate stream made so far.
  std::uint64_t written() const { return zlib_ ? zlib_->written() : flushed_ + bits_.bytes().size(); }

private:
  struct Match {
    bool named; // named by the finder, else length and distance verbatim
    NamedMatch name;
    std::uint16_t length;
    std::uint16_t distance;
  };
  enum class State { records_size, records, content, done };
  // Starts the next block from its record.
  Status next_block();
  // Ends each block whose content is all sent (and the stream after its
  // final block), starting the next, until one waits for content.
  Status settle();
  Status start_block(ByteSpan record);
  Status take_content(ByteSpan& expanded);
  Status send_tokens();
  Status end_block();
  Status flush(bool all);

  Writer& out_;
  BitWriter bits_;
  std::uint64_t flushed_ = 0;
  State state_ = State::records_size;
  Bytes records_; // the records section's size varint, then the section, as they arrive
  std::uint64_t records_size_ = 0;
  std::size_t next_record_ = 0; // where the next block's record starts in records_
  // The block being made.
  bool final_ = false;
  bool stored_ = false;
  std::optional<Encoder> literal_lengths_, distances_;
  std::vector<Match> matches_;
  std::optional<MatchFinder> finder_; // made once the records tell the parse model
  std::optional<ZlibDeflater> zlib_;  // made instead when they tell a zlib level
  std::uint64_t position_ = 0;        // the stream's content sent so far
  std::uint64_t block_end_ = 0;       // where the block's content ends
  std::size_t next_match_ = 0;
  std::vector<std::uint64_t> misses_; // token indexes where the parse departs from the finder's expectation
  std::size_t next_miss_ = 0;
  std::uint64_t token_ = 0; // the block's next token index
};

} // namespace dfota::delta::deflate
