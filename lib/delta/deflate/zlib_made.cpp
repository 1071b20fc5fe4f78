#include "delta/deflate/zlib_made.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <zlib.h>

#include "delta/engine.hpp"

namespace dfota::delta::deflate {

constexpr int kWindowBits = -15; // raw deflate, 32 KiB window
constexpr int kMemLevel = 8;
constexpr std::size_t kChunk = 64u << 10;

// zlib takes its sizes as uInt: larger inputs go in slices.
constexpr std::size_t kMaxSlice = 1u << 30;

// One zlib deflate stream at a level. (Outside the anonymous namespace:
// ZlibDeflater holds one.)
struct ZlibStream {
  z_stream z{};
  bool ready = false;
  explicit ZlibStream(unsigned level) {
    ready = deflateInit2(&z, static_cast<int>(level), Z_DEFLATED, kWindowBits, kMemLevel, Z_DEFAULT_STRATEGY) == Z_OK;
  }
  ~ZlibStream() {
    if (ready) deflateEnd(&z);
  }
  ZlibStream(const ZlibStream&) = delete;
  ZlibStream& operator=(const ZlibStream&) = delete;
  // Deflates `content` (all of it, then the stream's end when `last`),
  // handing each piece of output to emit(piece); stops when emit returns
  // false. True when all went through.
  template <class Emit> bool run(ByteSpan content, bool last, Emit&& emit) {
    std::array<std::uint8_t, kChunk> out;
    for (;;) {
      const std::size_t slice = std::min(content.size(), kMaxSlice);
      z.next_in = const_cast<Bytef*>(content.data());
      z.avail_in = static_cast<uInt>(slice);
      const bool final_slice = last && slice == content.size();
      int rc = Z_OK;
      do {
        z.next_out = out.data();
        z.avail_out = static_cast<uInt>(out.size());
        rc = ::deflate(&z, final_slice ? Z_FINISH : Z_NO_FLUSH);
        if (rc == Z_STREAM_ERROR) return false;
        const std::size_t made = out.size() - z.avail_out;
        if (made > 0 && !emit(ByteSpan(out.data(), made))) return false;
      } while (z.avail_out == 0 || (final_slice && rc != Z_STREAM_END));
      content = content.subspan(slice);
      if (content.empty()) return true;
    }
  }
};

namespace {

Error deflate_failed(const std::string& what) {
  return make_error(DeltaErrc::corrupt_payload, "zlib deflate: " + what);
}

// A fixed sample that makes every level take different decisions: words
// from a small vocabulary (matches near and far, lazy choices) between
// runs of noise (literals) and long phrases again (a level's longest
// search and the length that ends it), 96 KiB in all.
Bytes fingerprint_sample() {
  std::uint32_t seed = 0x2545F491;
  auto next = [&seed] {
    seed = seed * 1664525u + 1013904223u;
    return seed >> 8;
  };
  std::array<Bytes, 64> words;
  for (Bytes& w : words) {
    w.resize(2 + next() % 9);
    for (std::uint8_t& b : w)
      b = static_cast<std::uint8_t>('a' + next() % 26);
  }
  Bytes sample;
  while (sample.size() < (96u << 10)) {
    if (next() % 16 == 0) {
      for (unsigned n = next() % 24; n > 0; --n)
        sample.push_back(static_cast<std::uint8_t>(next()));
      continue;
    }
    if (sample.size() > 4096 && next() % 24 == 0) { // a long phrase again, changed at one byte
      const std::size_t length = 100 + next() % 250, back = length + next() % (32000 - length);
      const std::size_t from = sample.size() - std::min(back, sample.size());
      for (std::size_t i = 0; i < length; ++i)
        sample.push_back(sample[from + i]);
      sample[sample.size() - 1 - next() % length] ^= 1;
      continue;
    }
    const Bytes& w = words[next() % (next() % 8 == 0 ? 64 : 4)];
    sample.insert(sample.end(), w.begin(), w.end());
    sample.push_back(' ');
  }
  sample.resize(96u << 10);
  return sample;
}

// CRC-32 of the sample deflated at levels 1..9 by zlib 1.2.13 (the same
// bytes as every zlib 1.2.x and 1.3.x).
constexpr std::array<std::uint32_t, 9> kReferenceCrcs = {0x20E96D8C, 0x722493B3, 0x48FF1EDD, 0x6DA74171, 0x6FFA53EA,
                                                         0x1EBE7AEB, 0x640D8967, 0xD9FA5AB7, 0xCAA38382};

bool makes(ByteSpan stream, ByteSpan content, unsigned level) {
  ZlibStream d(level);
  if (!d.ready) return false;
  std::uint64_t at = 0;
  const bool through = d.run(content, true, [&](ByteSpan piece) {
    if (piece.size() > stream.size() - at || std::memcmp(piece.data(), stream.data() + at, piece.size()) != 0)
      return false;
    at += piece.size();
    return true;
  });
  return through && at == stream.size();
}

std::uint32_t crc_at_level(const Bytes& sample, unsigned level) {
  ZlibStream d(level);
  uLong crc = crc32_z(0, nullptr, 0);
  if (!d.ready) return 0;
  d.run(sample, true, [&](ByteSpan piece) {
    crc = crc32_z(crc, piece.data(), piece.size());
    return true;
  });
  return static_cast<std::uint32_t>(crc);
}

} // namespace

std::optional<unsigned> zlib_level_of(std::uint8_t records_first_byte) {
  if (records_first_byte <= kZlibMadeByte || records_first_byte > kZlibMadeByte + 9) return std::nullopt;
  return records_first_byte - kZlibMadeByte;
}

std::optional<Inflated> inflate_stream(ByteSpan input, std::uint64_t max_content) {
  z_stream z{};
  if (inflateInit2(&z, kWindowBits) != Z_OK) return std::nullopt;
  struct End {
    z_stream* z;
    ~End() { inflateEnd(z); }
  } end{&z};
  Inflated result;
  std::array<std::uint8_t, kChunk> out;
  std::uint64_t fed = 0;
  for (;;) {
    if (z.avail_in == 0 && fed < input.size()) {
      const std::size_t slice = std::min<std::uint64_t>(input.size() - fed, kMaxSlice);
      z.next_in = const_cast<Bytef*>(input.data() + fed);
      z.avail_in = static_cast<uInt>(slice);
      fed += slice;
    }
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    const int rc = ::inflate(&z, Z_NO_FLUSH);
    const std::size_t made = out.size() - z.avail_out;
    if (made > max_content - result.content.size()) return std::nullopt;
    result.content.insert(result.content.end(), out.begin(), out.begin() + static_cast<std::ptrdiff_t>(made));
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK && !(rc == Z_BUF_ERROR && made > 0)) return std::nullopt;
    if (made == 0 && z.avail_in == 0 && fed == input.size()) return std::nullopt; // input ends inside the stream
  }
  result.compressed_size = fed - z.avail_in;
  return result;
}

bool zlib_is_reference() {
  static const bool reference = [] {
    const Bytes sample = fingerprint_sample();
    for (unsigned level = 1; level <= 9; ++level)
      if (crc_at_level(sample, level) != kReferenceCrcs[level - 1]) return false;
    return true;
  }();
  return reference;
}

std::optional<unsigned> zlib_level_making(ByteSpan stream, ByteSpan content) {
  if (!zlib_is_reference()) return std::nullopt;
  for (const unsigned level : {6u, 9u, 1u, 5u, 4u, 7u, 8u, 3u, 2u})
    if (makes(stream, content, level)) return level;
  return std::nullopt;
}

ZlibDeflater::ZlibDeflater(Writer& out, unsigned level) : out_(out), stream_(std::make_unique<ZlibStream>(level)) {}

ZlibDeflater::~ZlibDeflater() = default;

Status ZlibDeflater::run(ByteSpan content, bool last) {
  if (finished_) return deflate_failed("content after the stream's end");
  if (!stream_->ready) return deflate_failed("cannot start");
  Status written;
  const bool through = stream_->run(content, last, [&](ByteSpan piece) {
    written = out_.write(piece);
    written_ += piece.size();
    return static_cast<bool>(written);
  });
  if (!written) return written;
  if (!through) return deflate_failed("the stream cannot be made");
  finished_ = last;
  return {};
}

Status ZlibDeflater::write(ByteSpan content) { return content.empty() ? Status{} : run(content, false); }

Status ZlibDeflater::finish() { return run({}, true); }

} // namespace dfota::delta::deflate
