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

// Writes an image from its expanded form as it arrives: bytes outside the
// stated streams pass through, each stream's expanded form is rebuilt. The
// places must be sorted and disjoint (in the image's coordinates, with
// their expanded sizes). finish() fails unless each stream rebuilt to its
// stated compressed size and exactly `expanded total` bytes arrived.
class ImageRebuilder final : public Writer {
public:
  ImageRebuilder(Writer& out, std::vector<StreamPlace> places) : out_(out), places_(std::move(places)) {}
  Status write(ByteSpan expanded) override;
  Status finish();

private:
  Status end_stream();
  Writer& out_;
  std::vector<StreamPlace> places_;
  std::size_t next_ = 0;          // the next stream
  std::uint64_t image_at_ = 0;    // image bytes made
  std::uint64_t stream_left_ = 0; // expanded bytes of the current stream still to come
  std::unique_ptr<Rebuilder> current_;
};

} // namespace dfota::delta::deflate
