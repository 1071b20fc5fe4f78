// The native payload's body: several byte streams, each compressed on its own
// (LZMA2, or stored where that does not help), cut into pieces of at most kMaxPieceSize raw bytes and
// interleaved in the order a decoder consumes them. A decoder holds one
// decompression window per stream and a piece or two of read-ahead, never a
// whole stream (formats/native-delta.md, "Streams").
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace dfota::delta::native {

inline constexpr unsigned kStreamCount = 3;
enum StreamId : std::uint8_t { kControlStream = 0, kDiffStream = 1, kLiteralStream = 2 };
inline constexpr std::uint8_t kEndOfStreams = 0xFF;

enum class Codec : std::uint8_t { stored = 0, lzma2 = 2 };

inline constexpr std::size_t kPieceSize = 64u << 10;              // what the encoder cuts
inline constexpr std::size_t kMaxPieceSize = 128u << 10;          // what a decoder accepts
inline constexpr unsigned kMaxWindowLog = 18;                     // LZMA2 dictionary of 256 KiB at most
inline constexpr std::size_t kMaxQueuedBytes = 4 * kMaxPieceSize; // read-ahead per stream

// One step of a decoder's consumption: after it, `stream` has been read up to
// `end` bytes in total.
struct Demand {
  std::uint8_t stream = 0;
  std::uint64_t end = 0;
};

// Compresses each stream (LZMA2, stored where that does not help) and writes the codec bytes, the pieces in `demands`
// order, then the end mark. The difference stream is compressed on a thread
// of its own.
Status write_streams(const std::array<Bytes, kStreamCount>& streams, const std::vector<Demand>& demands, Writer& out);

// Reads bytes from a Reader through a buffer it owns.
class BufferedInput {
public:
  explicit BufferedInput(Reader& reader) : reader_(reader), buffer_(64u << 10) {}
  Expected<std::uint8_t> byte();
  Expected<std::uint64_t> varint();
  Status read(std::uint8_t* out, std::size_t count);
  // True when the underlying reader has nothing more.
  Expected<bool> at_end();

private:
  Status refill();
  Reader& reader_;
  Bytes buffer_;
  std::size_t position_ = 0;
  std::size_t size_ = 0;
};

// Decodes the interleaved streams. Every size and count read is checked
// against the limits above; failures are DeltaErrc::corrupt_payload or
// DeltaErrc::limit_exceeded. After a failure the object must not be used.
class StreamReader {
public:
  explicit StreamReader(BufferedInput& input);
  ~StreamReader();
  StreamReader(const StreamReader&) = delete;
  StreamReader& operator=(const StreamReader&) = delete;

  // Reads the codec bytes; call once first.
  Status start();
  // Exactly `count` bytes of `stream`.
  Status read(std::uint8_t stream, std::uint8_t* out, std::size_t count);
  Expected<std::uint64_t> varint(std::uint8_t stream);
  // Ends a stream that has been read to its end and frees its decoder; fails
  // when the stream holds more than was read.
  Status close(std::uint8_t stream);
  // Fails unless every stream was read to its end and the end mark follows.
  Status finish();

private:
  struct State;
  Status next_piece();
  BufferedInput& input_;
  std::array<Codec, kStreamCount> codecs_{};
  std::array<std::unique_ptr<State>, kStreamCount> states_;
  Bytes compressed_;
  bool ended_ = false;
};

} // namespace dfota::delta::native
