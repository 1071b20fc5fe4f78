#include "delta/native/stream_layer.hpp"

#include <algorithm>
#include <cstring>
#include <future>

#include "core/hash.hpp"
#include "delta/deflate/match_finder.hpp"
#include "delta/deflate/recorder.hpp"
#include "delta/native/matcher.hpp"
#include "delta/native/stated_sizes.hpp"
#include "delta/native/varint.hpp"

namespace dfota::delta::native {

namespace {

constexpr std::uint64_t kMaxTargetSize = UINT32_MAX;

Error corrupt(const std::string& what) { return make_error(DeltaErrc::corrupt_payload, "native payload: " + what); }

// How far an image may expand: eight times, or 64 MiB more, whichever is
// larger, within what the plain payload indexes (`format_limit`).
std::uint64_t expansion_limit(std::uint64_t size, std::uint64_t format_limit) {
  return std::min(format_limit, std::max(8 * size, size + (std::uint64_t{64} << 20)));
}

// What a stream's place states after its gap and compressed size: the
// target's expanded size, or (DFZ2) the source's zlib level.
enum class PlaceTail { expanded_size, zlib_level, nothing };

void put_places(Bytes& out, const std::vector<deflate::StreamPlace>& places, PlaceTail tail) {
  put_varint(out, places.size());
  std::uint64_t end = 0;
  for (const deflate::StreamPlace& p : places) {
    put_varint(out, p.offset - end);
    put_varint(out, p.compressed_size);
    if (tail == PlaceTail::expanded_size) put_varint(out, p.expanded_size);
    if (tail == PlaceTail::zlib_level) put_varint(out, p.zlib_level);
    end = p.offset + p.compressed_size;
  }
}

Expected<std::vector<deflate::StreamPlace>> read_places(BufferedInput& in, std::uint64_t image_size, PlaceTail tail,
                                                        std::uint64_t expanded_size) {
  auto count = in.varint();
  if (!count) return count.error();
  if (*count > kMaxStatedStreams) return make_error(DeltaErrc::limit_exceeded, "native payload: too many streams");
  std::vector<deflate::StreamPlace> places;
  std::uint64_t end = 0;
  for (std::uint64_t i = 0; i < *count; ++i) {
    deflate::StreamPlace p;
    auto gap = in.varint();
    if (!gap) return gap.error();
    auto size = in.varint();
    if (!size) return size.error();
    if (*gap > image_size - end || *size == 0 || *size > image_size - end - *gap)
      return corrupt("a stream lies outside its image");
    p.offset = end + *gap;
    p.compressed_size = *size;
    if (tail == PlaceTail::expanded_size) {
      auto expanded = in.varint();
      if (!expanded) return expanded.error();
      if (*expanded == 0 || *expanded > expanded_size) return corrupt("a stream's expanded size is out of range");
      p.expanded_size = *expanded;
    }
    if (tail == PlaceTail::zlib_level) {
      auto level = in.varint();
      if (!level) return level.error();
      if (*level > 9) return corrupt("a stream's zlib level is out of range");
      p.zlib_level = static_cast<unsigned>(*level);
    }
    end = p.offset + p.compressed_size;
    places.push_back(p);
  }
  return places;
}

} // namespace

Status diff_with_streams(ByteSpan source, ByteSpan target, Writer& payload, const DiffProgress& progress) {
  // Both images' streams are found at once, the source's on a second
  // thread: where the target has none worth a layer the source's are
  // dropped unused, before the suffix sort, whose memory is far larger.
  auto source_job = std::async(std::launch::async, [source] {
    return deflate::expand_found_streams(source, {.max_size = expansion_limit(source.size(), kMaxIndexedSource)});
  });
  deflate::ExpandedImage target_x =
      deflate::expand_found_streams(target, {.max_size = expansion_limit(target.size(), kMaxTargetSize)});
  deflate::ExpandedImage source_x = source_job.get();
  std::uint64_t in_streams = 0;
  for (const deflate::StreamPlace& p : target_x.places)
    in_streams += p.compressed_size;
  // Streams that cover little of the target are not worth a second diff.
  if (target_x.places.empty() || in_streams * 16 < target.size()) {
    target_x = {}; // their copies of the images would outlive the suffix sort
    source_x = {};
    return diff_images(source, target, payload, progress);
  }
  auto share = [&progress](double from, double to) -> DiffProgress {
    if (!progress) return {};
    return [&progress, from, to](double f) { progress(from + (to - from) * f); };
  };
  VectorWriter layered;
  Bytes& out = layered.bytes();
  for (const char c : kStreamLayerMagic)
    out.push_back(static_cast<std::uint8_t>(c));
  put_varint(out, source.size());
  put_varint(out, target.size());
  const Sha256 digest = sha256(source);
  out.insert(out.end(), digest.begin(), digest.end());
  put_varint(out, source_x.bytes.size());
  put_varint(out, target_x.bytes.size());
  put_places(out, source_x.places, PlaceTail::zlib_level);
  put_places(out, target_x.places, PlaceTail::expanded_size);
  if (auto ok = diff_images(source_x.bytes, target_x.bytes, layered, share(0, 0.7)); !ok) return ok;
  source_x = {}, target_x = {};
  // The expanded images usually win by far; the plain payload is made too
  // when the streams cover less than half of the target.
  if (in_streams * 2 < target.size()) {
    VectorWriter plain;
    if (auto ok = diff_images(source, target, plain, share(0.7, 1)); !ok) return ok;
    if (plain.bytes().size() <= layered.bytes().size()) return payload.write(plain.bytes());
  }
  return payload.write(layered.bytes());
}

unsigned stream_layer_version(const std::uint8_t* magic) {
  if (std::memcmp(magic, "DFZ", 3) != 0) return 0;
  return magic[3] == '2' ? 2 : magic[3] == '1' ? 1 : 0;
}

Expected<StreamLayerHeader> read_stream_layer_header(BufferedInput& in, unsigned version,
                                                     std::optional<std::uint64_t> source_size,
                                                     std::uint64_t target_size) {
  StreamLayerHeader h;
  auto made_for = in.varint();
  if (!made_for) return made_for.error();
  auto makes = in.varint();
  if (!makes) return makes.error();
  h.source_size = *made_for;
  h.target_size = *makes;
  if (auto ok = check_stated_sizes(h.source_size, h.target_size, source_size, target_size); !ok) return ok.error();
  if (h.target_size > kMaxTargetSize || h.source_size > kMaxIndexedSource)
    return make_error(DeltaErrc::limit_exceeded, "native payload: image larger than the format allows");
  if (auto ok = in.read(h.source_digest.data(), h.source_digest.size()); !ok) return ok.error();
  auto expanded_source = in.varint();
  if (!expanded_source) return expanded_source.error();
  auto expanded_target = in.varint();
  if (!expanded_target) return expanded_target.error();
  h.expanded_source_size = *expanded_source;
  h.expanded_target_size = *expanded_target;
  if (h.expanded_source_size > expansion_limit(h.source_size, kMaxIndexedSource) ||
      h.expanded_target_size > expansion_limit(h.target_size, kMaxTargetSize))
    return make_error(DeltaErrc::limit_exceeded, "native payload: the images expand beyond the format's limit");
  auto source_places = read_places(in, h.source_size, version >= 2 ? PlaceTail::zlib_level : PlaceTail::nothing, 0);
  if (!source_places) return source_places.error();
  auto target_places = read_places(in, h.target_size, PlaceTail::expanded_size, h.expanded_target_size);
  if (!target_places) return target_places.error();
  h.source_streams = std::move(*source_places);
  h.target_streams = std::move(*target_places);
  std::uint64_t expanded = h.target_size;
  for (const deflate::StreamPlace& p : h.target_streams)
    expanded = expanded - p.compressed_size + p.expanded_size;
  if (expanded != h.expanded_target_size) return corrupt("the target's streams do not add up to its expanded size");
  return h;
}

Status apply_stream_layer(const Engine& inner, ByteSpan source, BufferedInput& in, unsigned version, Writer& target,
                          std::uint64_t target_size) {
  auto header = read_stream_layer_header(in, version, source.size(), target_size);
  if (!header) return header.error();
  if (sha256(source) != header->source_digest)
    return make_error(DeltaErrc::wrong_source, "the source is not the one the payload was made for (SHA-256 differs)");
  auto expanded_source = deflate::expand_stated_streams(source, header->source_streams, header->expanded_source_size);
  if (!expanded_source) return expanded_source.error();
  if (expanded_source->size() != header->expanded_source_size)
    return make_error(DeltaErrc::wrong_source, "the source's streams expand to another size than the payload's");
  CountingWriter counted;
  TeeWriter out(target, counted);
  // A target stream equal to a source stream in its expanded form is
  // copied from the source instead of being deflated again.
  deflate::ImageRebuilder rebuilder(out, header->target_streams,
                                    {source, *expanded_source, std::move(header->source_streams)});
  BufferedRest rest(in);
  if (auto ok = inner.apply(*expanded_source, rest, rebuilder, header->expanded_target_size); !ok) return ok;
  if (auto ok = rebuilder.finish(); !ok) return ok;
  if (counted.count() != header->target_size)
    return make_error(DeltaErrc::wrong_size, "the payload made another size than it states");
  return {};
}

std::uint64_t stream_layer_memory(std::uint64_t source_streams) {
  // The finder: a 64 KiB ring; per 3-, 4-, 6- and 8-byte hash 64 K chain
  // heads and 64 K links of 4 bytes, and 64 K chain numbers and 64 K last
  // numbers of 4 bytes; the offers of one question (16 bytes each).
  constexpr std::uint64_t kMatchBytes = 16, kFinder = (64u << 10) + 10 * (64u << 10) * 4 + deflate::kChainLimit * 16;
  return deflate::kMaxRecords + deflate::kMaxBlockMatches * kMatchBytes + kFinder + (64u << 10) + (64u << 10) +
         source_streams * deflate::kReusableStreamBytes;
}

ExpandedToImage::ExpandedToImage(const StreamLayerHeader& header) {
  std::uint64_t image = 0, expanded = 0;
  for (const deflate::StreamPlace& p : header.target_streams) {
    if (p.offset > image) pieces_.push_back({expanded, p.offset - image, image, p.offset - image});
    expanded += p.offset - image;
    pieces_.push_back({expanded, p.expanded_size, p.offset, p.compressed_size});
    expanded += p.expanded_size;
    image = p.offset + p.compressed_size;
  }
  if (header.target_size > image)
    pieces_.push_back({expanded, header.target_size - image, image, header.target_size - image});
}

void ExpandedToImage::count(ChangeMap& map, std::uint64_t at, std::uint64_t length, ByteOrigin origin) const {
  auto piece = std::upper_bound(pieces_.begin(), pieces_.end(), at,
                                [](std::uint64_t v, const Piece& p) { return v < p.expanded_start; });
  if (piece != pieces_.begin()) --piece;
  for (const std::uint64_t end = at + length; at < end && piece != pieces_.end(); ++piece) {
    const std::uint64_t from = std::max(at, piece->expanded_start);
    const std::uint64_t to = std::min(end, piece->expanded_start + piece->expanded_size);
    if (from >= to) continue;
    auto place = [&](std::uint64_t e) {
      return piece->image_start +
             static_cast<std::uint64_t>(static_cast<long double>(e - piece->expanded_start) *
                                        static_cast<long double>(piece->image_size) / piece->expanded_size);
    };
    const std::uint64_t image_from = place(from), image_to = place(to);
    if (image_to > image_from) map.count(image_from, image_to - image_from, origin);
    at = to;
  }
}

} // namespace dfota::delta::native
