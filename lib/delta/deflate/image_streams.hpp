// The deflate streams inside an image (gzip members, zip entries, zlib
// streams) and the image with each of them in its expanded form
// (recorder.hpp): what the native engine diffs when an image carries
// compressed data, so that the diff sees the content and not its coding.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/bytes.hpp"
#include "delta/deflate/rebuilder.hpp"

namespace dfota::delta::deflate {

// Where a stream lies in the image, and the size of its expanded form.
struct StreamPlace {
  std::uint64_t offset = 0;
  std::uint64_t compressed_size = 0;
  std::uint64_t expanded_size = 0;
  // 0: the stream's parse is recorded; 1..9: zlib makes it at this level
  // (zlib_made.hpp), and its expanded form is the level and its content.
  unsigned zlib_level = 0;
  // Filled in where the stream is expanded: its records' own size (the
  // records section less the zeros that align the content).
  std::uint64_t records_size = 0;
};

struct ExpandedImage {
  Bytes bytes;                     // the image, each stream replaced by its expanded form
  std::vector<StreamPlace> places; // sorted, disjoint, inside the image
};

// How much the finder may expand: the expanded image stays below
// `max_size` bytes; streams that would pass it are left as they are.
struct ExpandLimits {
  std::uint64_t max_size = 0;
  std::uint64_t min_content = 64; // smaller streams are not worth a record
};

// Finds the streams that start after a gzip member header, a zip local
// file header of method 8, or a zlib header, that decode and that zlib
// makes again at some level or whose recorded parse rebuilds to exactly
// their bytes (a stream that does neither is left as it is), and expands
// them. Scans the whole image; never fails.
ExpandedImage expand_found_streams(ByteSpan image, const ExpandLimits& limits);

// Expands the streams at `places` (offsets, compressed sizes and zlib
// levels as stated by a payload; expanded sizes are filled in). Fails with
// DeltaErrc::wrong_source when one is not a stream that rebuilds exactly,
// and with DeltaErrc::limit_exceeded past `max_size`.
Expected<Bytes> expand_stated_streams(ByteSpan image, std::vector<StreamPlace>& places, std::uint64_t max_size);

// The source's streams a rebuilder may take as they are: a target stream
// whose expanded form is exactly the form a source stream would have at
// the target stream's place (its records and content, aligned there) has
// that stream's compressed bytes, because the form holds every decision
// its encoder took (for a zlib-made stream, its level and content), its
// alignment changes nothing that is rebuilt, and the payload's maker
// checked that both streams rebuild exactly. The spans are not owned and
// must outlive the rebuilder.
struct ReusableStreams {
  ByteSpan image;                  // the source image
  ByteSpan expanded;               // the source with its streams expanded
  std::vector<StreamPlace> places; // sorted, with their expanded and records sizes
};

// What a rebuilder holds per reusable source stream (its index entry).
inline constexpr std::uint64_t kReusableStreamBytes = 48;

// Writes an image from its expanded form as it arrives: bytes outside the
// stated streams pass through, and each stream's expanded form is rebuilt
// or, while it arrives equal to the form of a reusable source stream of
// the same compressed size to its end, that stream's bytes are copied (no
// deflate work, and no memory beyond an index of the reusable streams: a
// stream that departs midway is rebuilt from the source stream's form up
// to there, then from its own bytes). The places must be sorted and
// disjoint (in the image's coordinates, with their expanded sizes).
// finish() fails unless each stream rebuilt to its stated compressed size
// and exactly `expanded total` bytes arrived.
class ImageRebuilder final : public Writer {
public:
  ImageRebuilder(Writer& out, std::vector<StreamPlace> places, ReusableStreams reusable = {});
  Status write(ByteSpan expanded) override;
  Status finish();
  // Streams copied from the source so far.
  std::size_t reused() const { return reused_; }

private:
  // A reusable source stream: where its records, content and bytes lie.
  struct Source {
    std::uint64_t compressed_size, image_offset, records_offset, records_size, content_offset, content_size;
  };
  // A source stream as the current target stream's form would hold it:
  // the records section's size varint, the records, zeros up to the
  // aligned content, the content.
  struct Candidate {
    const Source* source;
    Bytes section_size;       // the varint
    std::uint64_t content_at; // where the content starts in the form
  };
  // At most this many source streams of a target stream's sizes are
  // compared with it (each byte is compared once per candidate).
  static constexpr std::size_t kMaxCandidates = 8;
  Status start_stream();
  Status take_stream_bytes(ByteSpan bytes);
  Status end_stream();
  // Calls take(piece) for the bytes [from, to) of `c`'s form, in order;
  // stops at the first false and returns it.
  template <class Take> bool form_bytes(const Candidate& c, std::uint64_t from, std::uint64_t to, Take&& take) const;

  Writer& out_;
  std::vector<StreamPlace> places_;
  ReusableStreams reusable_;
  std::vector<Source> sources_;   // sorted by compressed size
  std::size_t next_ = 0;          // the next stream
  std::uint64_t image_at_ = 0;    // image bytes made
  std::uint64_t expanded_at_ = 0; // expanded bytes arrived
  std::uint64_t stream_left_ = 0; // expanded bytes of the current stream still to come
  std::uint64_t stream_at_ = 0;   // expanded bytes of the current stream arrived
  bool in_stream_ = false;
  std::vector<Candidate> candidates_; // source streams whose form the current stream has matched so far
  std::unique_ptr<Rebuilder> current_;
  std::size_t reused_ = 0;
};

} // namespace dfota::delta::deflate
