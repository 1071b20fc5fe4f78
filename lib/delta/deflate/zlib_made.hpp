// Deflate streams that zlib's own deflate() makes: raw deflate with a
// 32 KiB window (windowBits 15), memLevel 8 and the default strategy, at a
// level from 1 to 9, the settings of gzip-by-zlib, Java's jar and zip
// writers, Python's zipfile and most firmware tools. Such a stream is kept
// in its expanded form as its content and the level alone, and rebuilt by
// zlib at that level: no parse to record, and zlib's speed to rebuild.
// Specified in formats/native-delta.md ("Deflate streams", layer DFZ2).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "core/bytes.hpp"

namespace dfota::delta::deflate {

struct ZlibStream; // zlib's deflate state (zlib_made.cpp)

// The first byte of a zlib-made stream's records: kZlibMadeByte + level.
inline constexpr std::uint8_t kZlibMadeByte = 0x80;
// The level a records' first byte states, nullopt when it states none.
std::optional<unsigned> zlib_level_of(std::uint8_t records_first_byte);

// A deflate stream's content and the bytes of input it took.
struct Inflated {
  std::uint64_t compressed_size = 0;
  Bytes content;
};
// Inflates the raw deflate stream at the start of `input` (zlib's
// inflate); nullopt when it is not a complete valid stream or its content
// passes `max_content` bytes.
std::optional<Inflated> inflate_stream(ByteSpan input, std::uint64_t max_content);

// The level (1..9) at which zlib's deflate() makes exactly `stream` from
// `content`, trying the common levels first; each try stops at the first
// byte that differs. nullopt when no level does, or when this build's zlib
// does not make zlib's bytes (zlib_is_reference()).
std::optional<unsigned> zlib_level_making(ByteSpan stream, ByteSpan content);

// True when the zlib this program runs makes the bytes zlib 1.2 and 1.3
// make at every level (checked once, on a fixed sample, against their
// CRC-32s). A zlib with another match finder (zlib-ng, Chromium's) does
// not, and cannot rebuild a zlib-made stream.
bool zlib_is_reference();

// Deflates content as it arrives into `out` (not owned; must outlive it)
// at a level, the way zlib_level_making() found. Memory: zlib's state at
// memLevel 8 (about 270 KiB) and a 64 KiB output buffer. After an error it
// must not be used again; `out` holds an unspecified prefix.
class ZlibDeflater {
public:
  ZlibDeflater(Writer& out, unsigned level);
  ~ZlibDeflater();
  ZlibDeflater(const ZlibDeflater&) = delete;
  ZlibDeflater& operator=(const ZlibDeflater&) = delete;
  Status write(ByteSpan content);
  // Ends the stream; fails when it was ended already.
  Status finish();
  std::uint64_t written() const { return written_; }

private:
  Status run(ByteSpan content, bool last);
  Writer& out_;
  std::unique_ptr<ZlibStream> stream_;
  std::uint64_t written_ = 0;
  bool finished_ = false;
};

} // namespace dfota::delta::deflate
