#include "delta/deflate/image_streams.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <zlib.h>

#include "delta/deflate/recorder.hpp"
#include "delta/deflate/zlib_made.hpp"
#include "delta/engine.hpp"
#include "delta/native/varint.hpp"

namespace dfota::delta::deflate {

using native::put_varint;

namespace {

Error corrupt(const std::string& what) { return make_error(DeltaErrc::corrupt_payload, "deflate streams: " + what); }

// Where the deflate data of a gzip member with its header at `at` starts.
std::optional<std::uint64_t> gzip_data_start(ByteSpan image, std::uint64_t at) {
  if (image.size() - at < 18 || image[at] != 0x1F || image[at + 1] != 0x8B || image[at + 2] != 8) return std::nullopt;
  const std::uint8_t flags = image[at + 3];
  if (flags & 0xE0) return std::nullopt;
  std::uint64_t p = at + 10;
  if (flags & 4) { // FEXTRA
    if (image.size() - p < 2) return std::nullopt;
    p += 2 + load_le(image, p, 2);
  }
  for (const std::uint8_t text_flag : {std::uint8_t{8}, std::uint8_t{16}}) { // FNAME, FCOMMENT
    if (!(flags & text_flag)) continue;
    while (p < image.size() && image[p] != 0)
      ++p;
    ++p;
  }
  if (flags & 2) p += 2; // FHCRC
  if (p >= image.size()) return std::nullopt;
  return p;
}

// Where the data of a zip local file header at `at` starts, when the entry
// is deflated (method 8).
std::optional<std::uint64_t> zip_data_start(ByteSpan image, std::uint64_t at) {
  if (image.size() - at < 30 || load_le(image, at, 4) != 0x04034B50 || load_le(image, at + 8, 2) != 8)
    return std::nullopt;
  const std::uint64_t p = at + 30 + load_le(image, at + 26, 2) + load_le(image, at + 28, 2);
  if (p >= image.size()) return std::nullopt;
  return p;
}

// Where the data of a zlib stream with its header at `at` starts.
std::optional<std::uint64_t> zlib_data_start(ByteSpan image, std::uint64_t at) {
  if (image.size() - at < 8) return std::nullopt;
  const unsigned cmf = image[at], flg = image[at + 1];
  if ((cmf & 0x0F) != 8 || (cmf >> 4) > 7 || (flg & 0x20) || (cmf * 256 + flg) % 31 != 0) return std::nullopt;
  return at + 2;
}

enum class Wrapper { gzip, zip, zlib };

// A header that a deflate stream may follow.
struct Candidate {
  Wrapper wrapper;
  std::uint64_t header_at, data_start;
};

std::optional<Candidate> candidate_at(ByteSpan image, std::uint64_t at) {
  if (auto start = gzip_data_start(image, at)) return Candidate{Wrapper::gzip, at, *start};
  if (auto start = zip_data_start(image, at)) return Candidate{Wrapper::zip, at, *start};
  if (auto start = zlib_data_start(image, at)) return Candidate{Wrapper::zlib, at, *start};
  return std::nullopt;
}

// True when what follows the stream (and, for a zip entry, its header)
// states the content's check and size: gzip's CRC-32 and length, zlib's
// Adler-32, a zip entry's CRC-32 (in its header or data descriptor) and
// compressed size. Bytes that only look like a stream fail it.
bool wrapper_checks_out(ByteSpan image, const Candidate& c, std::uint64_t compressed_size, const Bytes& content) {
  const std::uint64_t end = c.data_start + compressed_size;
  const std::uint64_t after = image.size() - end;
  switch (c.wrapper) {
  case Wrapper::gzip:
    return after >= 8 && load_le(image, end, 4) == crc32_z(0, content.data(), content.size()) &&
           load_le(image, end + 4, 4) == (content.size() & 0xFFFFFFFF);
  case Wrapper::zlib:
    return after >= 4 &&
           (std::uint64_t{image[end]} << 24 | std::uint64_t{image[end + 1]} << 16 | std::uint64_t{image[end + 2]} << 8 |
            image[end + 3]) == adler32_z(1, content.data(), content.size());
  case Wrapper::zip: {
    const std::uint64_t crc = crc32_z(0, content.data(), content.size());
    if ((load_le(image, c.header_at + 6, 2) & 8) == 0) {
      const std::uint64_t stated_size = load_le(image, c.header_at + 18, 4);
      return load_le(image, c.header_at + 14, 4) == crc &&
             (stated_size == compressed_size || stated_size == 0xFFFFFFFF);
    }
    std::uint64_t p = end;
    if (after >= 4 && load_le(image, p, 4) == 0x08074B50) p += 4;
    return image.size() - p >= 4 && load_le(image, p, 4) == crc;
  }
  }
  return false;
}

// The expanded form of a stream zlib makes at `level`: the level as its
// records, then its content.
RecordedStream zlib_made_form(Inflated inflated, unsigned level) {
  return {inflated.compressed_size, Bytes{static_cast<std::uint8_t>(kZlibMadeByte + level)},
          std::move(inflated.content)};
}

// The recorded stream at `start` when it rebuilds to exactly its bytes.
std::optional<RecordedStream> reproducible_at(ByteSpan image, std::uint64_t start, std::uint64_t max_content) {
  auto recorded = record_deflate(image.subspan(start), max_content);
  if (!recorded) return std::nullopt;
  Bytes expanded;
  append_expanded(expanded, *recorded);
  VectorWriter rebuilt;
  Rebuilder rebuilder(rebuilt);
  if (!rebuilder.write(expanded) || !rebuilder.finish()) return std::nullopt;
  const ByteSpan original = image.subspan(start, recorded->compressed_size);
  if (!std::equal(original.begin(), original.end(), rebuilt.bytes().begin(), rebuilt.bytes().end()))
    return std::nullopt;
  return recorded;
}

// The stream after `candidate` when it is worth expanding: enough content,
// its wrapper's check agrees (random bytes decode as a short stream often),
// it rebuilds exactly, and the expanded image, `expanded_before` bytes
// before the stream starts, stays within the limit.
std::optional<RecordedStream> worthwhile_stream(ByteSpan image, const Candidate& candidate,
                                                std::uint64_t expanded_before, const ExpandLimits& limits) {
  const std::uint64_t rest = image.size() - candidate.data_start;
  if (expanded_before + rest >= limits.max_size) return std::nullopt;
  const std::uint64_t max_content = limits.max_size - expanded_before - rest;
  // Inflating first tells, cheaply, whether the stream is worth recording.
  auto inflated = inflate_stream(image.subspan(candidate.data_start), max_content);
  if (!inflated || inflated->content.size() < limits.min_content ||
      !wrapper_checks_out(image, candidate, inflated->compressed_size, inflated->content))
    return std::nullopt;
  // A stream zlib makes again needs no parse recorded: its level will do.
  std::optional<RecordedStream> recorded;
  if (auto level = zlib_level_making(image.subspan(candidate.data_start, inflated->compressed_size), inflated->content))
    recorded = zlib_made_form(std::move(*inflated), *level);
  else
    recorded = reproducible_at(image, candidate.data_start, max_content);
  if (recorded &&
      expanded_before + recorded->records.size() + kContentAlignment + 8 + recorded->content.size() + rest >=
          limits.max_size)
    return std::nullopt;
  return recorded;
}

} // namespace

ExpandedImage expand_found_streams(ByteSpan image, const ExpandLimits& limits) {
  ExpandedImage result;
  std::uint64_t copied_to = 0;
  for (std::uint64_t at = 0; at < image.size();) {
    const std::optional<Candidate> candidate = candidate_at(image, at);
    std::optional<RecordedStream> recorded;
    if (candidate)
      recorded =
          worthwhile_stream(image, *candidate, result.bytes.size() + (candidate->data_start - copied_to), limits);
    if (!recorded) {
      ++at;
      continue;
    }
    const std::uint64_t start = candidate->data_start;
    result.bytes.insert(result.bytes.end(), image.begin() + static_cast<std::ptrdiff_t>(copied_to),
                        image.begin() + static_cast<std::ptrdiff_t>(start));
    const std::uint64_t before = result.bytes.size();
    append_expanded(result.bytes, *recorded);
    result.places.push_back({start, recorded->compressed_size, result.bytes.size() - before,
                             zlib_level_of(recorded->records.front()).value_or(0), recorded->records.size()});
    copied_to = at = start + recorded->compressed_size;
  }
  result.bytes.insert(result.bytes.end(), image.begin() + static_cast<std::ptrdiff_t>(copied_to), image.end());
  return result;
}

Expected<Bytes> expand_stated_streams(ByteSpan image, std::vector<StreamPlace>& places, std::uint64_t max_size) {
  Bytes out;
  // Taken at once rather than grown into: the stated size, or at most
  // eight times the image (past that the bytes grow as they come).
  out.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(max_size, 8 * image.size())));
  std::uint64_t copied_to = 0;
  for (StreamPlace& place : places) {
    if (place.offset < copied_to || place.offset > image.size() || place.compressed_size > image.size() - place.offset)
      return corrupt("a stream's place lies outside the source");
    const std::uint64_t used = out.size() + (place.offset - copied_to);
    if (used >= max_size) return make_error(DeltaErrc::limit_exceeded, "deflate streams: the source expands too far");
    // The payload's maker checked that this stream rebuilds, and the source's
    // digest is checked: recording it again (or, for a stream zlib makes,
    // inflating it) gives the same form.
    std::optional<RecordedStream> recorded;
    if (place.zlib_level == 0) {
      recorded = record_deflate(image.subspan(place.offset), max_size - used);
    } else if (auto inflated = inflate_stream(image.subspan(place.offset), max_size - used)) {
      recorded = zlib_made_form(std::move(*inflated), place.zlib_level);
    }
    if (!recorded || recorded->compressed_size != place.compressed_size)
      return make_error(DeltaErrc::wrong_source, "the source has no rebuildable deflate stream where the payload says");
    out.insert(out.end(), image.begin() + static_cast<std::ptrdiff_t>(copied_to),
               image.begin() + static_cast<std::ptrdiff_t>(place.offset));
    const std::uint64_t before = out.size();
    append_expanded(out, *recorded);
    place.expanded_size = out.size() - before;
    place.records_size = recorded->records.size();
    copied_to = place.offset + place.compressed_size;
  }
  out.insert(out.end(), image.begin() + static_cast<std::ptrdiff_t>(copied_to), image.end());
  if (out.size() > max_size)
    return make_error(DeltaErrc::limit_exceeded, "deflate streams: the source expands too far");
  return out;
}

ImageRebuilder::ImageRebuilder(Writer& out, std::vector<StreamPlace> places, ReusableStreams reusable)
    : out_(out), places_(std::move(places)), reusable_(std::move(reusable)) {
  static_assert(sizeof(Source) <= kReusableStreamBytes);
  std::uint64_t expanded_at = 0, image_at = 0;
  for (const StreamPlace& p : reusable_.places) {
    // Places that do not fit the images are not reusable (the caller
    // expanded the source at them; this keeps the rebuilder safe anyway).
    if (p.offset < image_at || p.offset > reusable_.image.size() ||
        p.compressed_size > reusable_.image.size() - p.offset)
      break;
    expanded_at += p.offset - image_at;
    if (expanded_at > reusable_.expanded.size() || p.expanded_size > reusable_.expanded.size() - expanded_at) break;
    // The form as append_expanded() laid it there; one that does not start
    // so is not offered.
    const std::uint64_t section = aligned_records_section(expanded_at, p.records_size);
    Bytes size;
    put_varint(size, section);
    if (size.size() + section <= p.expanded_size &&
        std::equal(size.begin(), size.end(), reusable_.expanded.begin() + static_cast<std::ptrdiff_t>(expanded_at))) {
      const std::uint64_t records_at = expanded_at + size.size();
      sources_.push_back({p.compressed_size, p.offset, records_at, p.records_size, records_at + section,
                          p.expanded_size - size.size() - section});
    }
    expanded_at += p.expanded_size;
    image_at = p.offset + p.compressed_size;
  }
  std::stable_sort(sources_.begin(), sources_.end(),
                   [](const Source& a, const Source& b) { return a.compressed_size < b.compressed_size; });
}

template <class Take>
bool ImageRebuilder::form_bytes(const Candidate& c, std::uint64_t from, std::uint64_t to, Take&& take) const {
  static constexpr std::array<std::uint8_t, 64> kZeros{};
  const std::uint64_t head = c.section_size.size(), records_end = head + c.source->records_size;
  // The form's parts: [begin, end) and where their bytes come from.
  auto part = [&](std::uint64_t begin, std::uint64_t end, auto&& bytes_at) {
    for (std::uint64_t at = std::max(from, begin); at < std::min(to, end);) {
      const ByteSpan piece = bytes_at(at - begin, std::min(to, end) - at);
      if (!take(piece)) return false;
      at += piece.size();
    }
    return true;
  };
  return part(0, head, [&](std::uint64_t off, std::uint64_t n) { return ByteSpan(c.section_size).subspan(off, n); }) &&
         part(head, records_end,
              [&](std::uint64_t off, std::uint64_t n) {
                return reusable_.expanded.subspan(c.source->records_offset + off, n);
              }) &&
         part(records_end, c.content_at,
              [&](std::uint64_t, std::uint64_t n) {
                return ByteSpan(kZeros).first(static_cast<std::size_t>(std::min<std::uint64_t>(n, kZeros.size())));
              }) &&
         part(c.content_at, c.content_at + c.source->content_size, [&](std::uint64_t off, std::uint64_t n) {
           return reusable_.expanded.subspan(c.source->content_offset + off, n);
         });
}

Status ImageRebuilder::start_stream() {
  const StreamPlace& place = places_[next_];
  stream_left_ = place.expanded_size;
  stream_at_ = 0;
  in_stream_ = true;
  if (stream_left_ == 0) return corrupt("a stream with an empty expanded form");
  candidates_.clear();
  auto same = std::equal_range(sources_.begin(), sources_.end(), Source{place.compressed_size, 0, 0, 0, 0, 0},
                               [](const Source& a, const Source& b) { return a.compressed_size < b.compressed_size; });
  for (auto s = same.first; s != same.second && candidates_.size() < kMaxCandidates; ++s) {
    // The source stream's form here: its records section aligned afresh.
    Candidate c{&*s, {}, 0};
    const std::uint64_t section = aligned_records_section(expanded_at_, s->records_size);
    put_varint(c.section_size, section);
    c.content_at = c.section_size.size() + section;
    if (c.content_at + s->content_size == place.expanded_size) candidates_.push_back(std::move(c));
  }
  if (candidates_.empty()) current_ = std::make_unique<Rebuilder>(out_);
  return {};
}

Status ImageRebuilder::take_stream_bytes(ByteSpan bytes) {
  if (!current_) {
    // The candidates these bytes leave first, those they depart from after.
    const auto departed = std::partition(candidates_.begin(), candidates_.end(), [&](const Candidate& c) {
      std::size_t at = 0;
      return form_bytes(c, stream_at_, stream_at_ + bytes.size(), [&](ByteSpan piece) {
        const bool same = std::equal(piece.begin(), piece.end(), bytes.begin() + static_cast<std::ptrdiff_t>(at));
        at += piece.size();
        return same;
      });
    });
    if (departed == candidates_.begin()) {
      // The stream departs from every candidate in these bytes: it is
      // rebuilt from its start, which was each one's form up to here.
      current_ = std::make_unique<Rebuilder>(out_);
      Status fed;
      form_bytes(candidates_.front(), 0, stream_at_, [&](ByteSpan piece) {
        fed = current_->write(piece);
        return static_cast<bool>(fed);
      });
      if (!fed) return fed;
    }
    candidates_.erase(departed, candidates_.end());
  }
  if (current_) {
    if (auto ok = current_->write(bytes); !ok) return ok;
  }
  stream_at_ += bytes.size();
  stream_left_ -= bytes.size();
  return {};
}

Status ImageRebuilder::end_stream() {
  const StreamPlace& place = places_[next_];
  if (!current_) {
    const Source& same = *candidates_.front().source;
    if (auto ok = out_.write(reusable_.image.subspan(same.image_offset, same.compressed_size)); !ok) return ok;
    ++reused_;
  } else {
    if (auto ok = current_->finish(); !ok) return ok;
    if (current_->written() != place.compressed_size) return corrupt("a stream rebuilt to another size than stated");
  }
  image_at_ += place.compressed_size;
  current_.reset();
  in_stream_ = false;
  ++next_;
  return {};
}

Status ImageRebuilder::write(ByteSpan expanded) {
  while (!expanded.empty()) {
    if (in_stream_) {
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(expanded.size(), stream_left_));
      if (auto ok = take_stream_bytes(expanded.first(n)); !ok) return ok;
      expanded = expanded.subspan(n);
      expanded_at_ += n;
      if (stream_left_ == 0) {
        if (auto ok = end_stream(); !ok) return ok;
      }
      continue;
    }
    const std::uint64_t gap = next_ < places_.size() ? places_[next_].offset - image_at_ : UINT64_MAX;
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(expanded.size(), gap));
    if (n > 0) {
      if (auto ok = out_.write(expanded.first(n)); !ok) return ok;
      expanded = expanded.subspan(n);
      image_at_ += n;
      expanded_at_ += n;
    }
    if (next_ < places_.size() && image_at_ == places_[next_].offset) {
      if (auto ok = start_stream(); !ok) return ok;
    }
  }
  return {};
}

Status ImageRebuilder::finish() {
  if (in_stream_ || next_ != places_.size()) return corrupt("the image ends inside a stream");
  return {};
}

} // namespace dfota::delta::deflate
