#include "support/deflate_streams.hpp"

#include <stdexcept>
#include <zlib.h>

#include "delta/deflate/image_streams.hpp"

namespace dfota::test {

namespace {

int zlib_strategy(Strategy s) {
  switch (s) {
  case Strategy::filtered: return Z_FILTERED;
  case Strategy::huffman_only: return Z_HUFFMAN_ONLY;
  case Strategy::rle: return Z_RLE;
  case Strategy::fixed: return Z_FIXED;
  case Strategy::normal: break;
  }
  return Z_DEFAULT_STRATEGY;
}

// window_bits as deflateInit2 takes them: -15 raw, 15 zlib, 31 gzip.
Bytes compress(ByteSpan content, int level, int window_bits, Strategy strategy, int mem_level) {
  z_stream z{};
  if (deflateInit2(&z, level, Z_DEFLATED, window_bits, mem_level, zlib_strategy(strategy)) != Z_OK)
    throw std::runtime_error("deflateInit2 failed");
  Bytes out(deflateBound(&z, static_cast<uLong>(content.size())) + 64);
  z.next_in = const_cast<Bytef*>(content.data());
  z.avail_in = static_cast<uInt>(content.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  const int status = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (status != Z_STREAM_END) throw std::runtime_error("deflate did not finish");
  return out;
}

void put16(Bytes& out, unsigned v) {
  out.push_back(static_cast<std::uint8_t>(v));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
}
void put32(Bytes& out, std::uint32_t v) {
  put16(out, v & 0xFFFF);
  put16(out, v >> 16);
}

} // namespace

Bytes sample_text(std::size_t lines, unsigned seed) {
  static const char* const kWords[] = {"modem", "upgrade", "block", "flash", "verify", "reboot", "network", "signal"};
  std::string text;
  std::uint32_t x = 2463534242u ^ seed;
  for (std::size_t i = 0; i < lines; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    text += "[" + std::to_string(1000 + i) + "] " + kWords[x % 8] + " " + kWords[(x >> 3) % 8] +
            " value=" + std::to_string((x >> 8) % 100000) + (x % 5 == 0 ? " status=ok\n" : "\n");
  }
  return Bytes(text.begin(), text.end());
}

Bytes raw_deflate(ByteSpan content, int level, Strategy strategy, int mem_level) {
  return compress(content, level, -15, strategy, mem_level);
}

Bytes zlib(ByteSpan content, int level) { return compress(content, level, 15, Strategy::normal, 8); }

Bytes raw_deflate_in_zlib(ByteSpan content, int level, Strategy strategy) {
  return compress(content, level, 15, strategy, 8);
}

Bytes gzip(ByteSpan content, int level) { return compress(content, level, 31, Strategy::normal, 8); }

Bytes zip_with_entry(const std::string& name, ByteSpan content) {
  const Bytes data = raw_deflate(content, 6);
  const std::uint32_t crc = static_cast<std::uint32_t>(crc32(0, content.data(), static_cast<uInt>(content.size())));
  Bytes out;
  auto header = [&](bool central) {
    put32(out, central ? 0x02014B50 : 0x04034B50);
    if (central) put16(out, 20); // made by
    put16(out, 20);              // needed to extract
    put16(out, 0);               // flags
    put16(out, 8);               // deflated
    put16(out, 0);               // time
    put16(out, 0x21);            // date
    put32(out, crc);
    put32(out, static_cast<std::uint32_t>(data.size()));
    put32(out, static_cast<std::uint32_t>(content.size()));
    put16(out, static_cast<unsigned>(name.size()));
    put16(out, 0); // extra
    if (central) {
      put16(out, 0); // comment
      put16(out, 0); // disk
      put16(out, 0); // internal attributes
      put32(out, 0); // external attributes
      put32(out, 0); // local header offset
    }
    out.insert(out.end(), name.begin(), name.end());
  };
  header(false);
  out.insert(out.end(), data.begin(), data.end());
  const std::uint32_t central_at = static_cast<std::uint32_t>(out.size());
  header(true);
  const std::uint32_t central_size = static_cast<std::uint32_t>(out.size()) - central_at;
  put32(out, 0x06054B50);
  put16(out, 0);
  put16(out, 0);
  put16(out, 1);
  put16(out, 1);
  put32(out, central_size);
  put32(out, central_at);
  put16(out, 0);
  return out;
}

Bytes expanded_form_of(ByteSpan image) {
  const delta::deflate::ExpandedImage expanded =
      delta::deflate::expand_found_streams(image, {.max_size = 16 * image.size() + (1u << 20)});
  if (expanded.places.empty()) throw std::runtime_error("no stream found");
  std::uint64_t at = expanded.places[0].offset;
  return Bytes(expanded.bytes.begin() + static_cast<std::ptrdiff_t>(at),
               expanded.bytes.begin() + static_cast<std::ptrdiff_t>(at + expanded.places[0].expanded_size));
}

} // namespace dfota::test
