// The native payload's deflate layer (version DFZ2, formats/native-delta.md
// "Deflate streams"; DFZ1 payloads are still read): when the target carries
// deflate streams that rebuild exactly, the payload states where they lie in both images and holds a
// plain native payload (DFN5) between the images with every such stream in
// its expanded form; the applier expands the source's streams, applies the
// inner payload and rebuilds the target's streams as their expanded bytes
// arrive.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/bytes.hpp"
#include "delta/change_map.hpp"
#include "delta/deflate/image_streams.hpp"
#include "delta/engine.hpp"
#include "delta/native/streams.hpp"

namespace dfota::delta::native {

// The magic the encoder writes.
inline constexpr char kStreamLayerMagic[4] = {'D', 'F', 'Z', '2'};
// The layer version four magic bytes name: 2 (DFZ2: source streams state
// their zlib level), 1 (DFZ1: every stream's parse is recorded), 0 none.
unsigned stream_layer_version(const std::uint8_t* magic);
// Streams one image may state.
inline constexpr std::uint64_t kMaxStatedStreams = 1u << 16;

// The plain payload (DFN5) between two images (native_engine.cpp).
Status diff_images(ByteSpan source, ByteSpan target, Writer& payload, const DiffProgress& progress);

// Writes the plain payload when the target's deflate streams that rebuild
// exactly cover less than 1/16 of it, the layered payload when they cover
// half or more, and the smaller of both between.
Status diff_with_streams(ByteSpan source, ByteSpan target, Writer& payload, const DiffProgress& progress);

// The deflate layer's header: everything before the inner payload.
struct StreamLayerHeader {
  std::uint64_t source_size = 0, target_size = 0;
  std::array<std::uint8_t, 32> source_digest{};
  std::uint64_t expanded_source_size = 0, expanded_target_size = 0;
  std::vector<deflate::StreamPlace> source_streams; // expanded sizes not stated (the applier finds them)
                                                    // nor, in DFZ1, zlib levels (all 0)
  std::vector<deflate::StreamPlace> target_streams;
};
// Reads the header after the magic of layer `version` (1 or 2), checked
// against the sizes the caller knows (std::nullopt / kUnknownSize: not
// known).
Expected<StreamLayerHeader> read_stream_layer_header(BufferedInput& in, unsigned version,
                                                     std::optional<std::uint64_t> source_size,
                                                     std::uint64_t target_size);

// Applies a deflate-layer payload of layer `version` whose magic has been
// read from `in`: the
// source's digest is checked before anything else, then its streams are
// expanded (memory: header.expanded_source_size), then `inner` applies the
// rest of the payload into a deflate::ImageRebuilder.
Status apply_stream_layer(const Engine& inner, ByteSpan source, BufferedInput& in, unsigned version, Writer& target,
                          std::uint64_t target_size);

// What applying a layered payload adds to the inner payload's memory,
// besides the expanded source: one stream's records, one block's matches,
// the match finder, the output waiting, the input buffer and the index of
// the `source_streams` streams a target stream may be copied from.
std::uint64_t stream_layer_memory(std::uint64_t source_streams);

// Counts expanded-target ranges onto the target's map: bytes outside the
// streams one to one, a stream's expanded range spread evenly over its
// compressed bytes.
class ExpandedToImage {
public:
  explicit ExpandedToImage(const StreamLayerHeader& header);
  void count(ChangeMap& map, std::uint64_t at, std::uint64_t length, ByteOrigin origin) const;

private:
  struct Piece {
    std::uint64_t expanded_start, expanded_size, image_start, image_size;
  };
  std::vector<Piece> pieces_; // sorted, covering the expanded target
};

} // namespace dfota::delta::native
