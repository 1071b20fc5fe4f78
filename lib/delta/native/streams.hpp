// The native payload's body: several byte streams, each compressed on its own
// (LZMA2, or stored where that does not help), cut into pieces of at most kMaxPieceSize raw bytes and
// interleaved in the order a decoder consumes them. A decoder holds one
// decompression window per stream and a piece or two of read-ahead, never a
// whole stream (formats/native-delta.md, "Streams").
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace dfota::delta::native {

inline constexpr unsigned kStreamCount = 4;
enum StreamId : std::uint8_t { kControlStream = 0, kRunsStream = 1, kChangesStream = 2, kLiteralStream = 3 };
inline constexpr std::uint8_t kEndOfStreams = 0xFF;

enum class Codec : std::uint8_t { stored = 0, lzma2 = 2 };

inline constexpr std::size_t kPieceSize = 128u << 10;             // what the encoder cuts
inline constexpr std::size_t kMaxPieceSize = 128u << 10;          // what a decoder accepts
inline constexpr unsigned kMaxWindowLog = 18;                     // LZMA2 dictionary of 256 KiB at most
inline constexpr unsigned kMaxLiteralWindowLog = 24;              // ... but a large target's literals: 16 MiB
inline constexpr std::size_t kMaxQueuedBytes = 4 * kMaxPieceSize; // read-ahead per stream

// The largest LZMA2 dictionary (log2) of the literal stream of a payload of
// `version` that makes `target_size` bytes: kMaxWindowLog up to a 16 MiB
// target (kLargeTarget) and before version 6; beyond it the largest power
// of two no more than target_size / 8 (version 6) or target_size / 4
// (version 7 on), at most 2^kMaxLiteralWindowLog. New code in a large image
// repeats itself farther apart than 256 KiB: on a 50 MB pair a 4 MiB
// dictionary takes 4.6 % off the payload, 8 MiB 1 % more.
inline constexpr std::uint64_t kLargeTarget = 16u << 20;
unsigned literal_window_log(std::uint64_t target_size, unsigned version);

// One step of a decoder's consumption: after it, `stream` has been read up to
// `end` bytes in total.
struct Demand {
  std::uint8_t stream = 0;
  std::uint64_t end = 0;
};

// How the literal stream is packed: a dictionary of at most 2^window_log
// (the others' is at most 2^kMaxWindowLog) and LZMA's literal context bits
// (lc; the decoder reads them from the stream's chunks).
//
// A literal stream of at least `two_parts_from` bytes is coded in two parts
// at once: the first by one encoder, the rest by a second whose preset
// dictionary is the last kSecondPartPreset bytes of the first (at most half
// the dictionary). Both parts make one LZMA2 stream: the first ends with a
// flush instead of the end mark, and the second's chunks reset the coder's
// state but not its dictionary, which a decoder holds whole. A decoder sees
// a plain LZMA2 stream, whose second part finds its matches a little less
// far back (on a 50 MB pair 0.24 % more literal stream, the coding 35 %
// faster). The coding then holds two literal encoders, each with a
// dictionary no larger than its part and preset (and the stated one).
inline constexpr std::uint64_t kTwoPartLiteralFrom = 8u << 20; // what a large target's payload asks
inline constexpr std::size_t kSecondPartPreset = 4u << 20;
struct LiteralPacking {
  unsigned window_log = kMaxWindowLog;
  unsigned context_bits = 3;
  std::uint64_t two_parts_from = UINT64_MAX; // never, unless asked
};

// Compresses each stream (LZMA2, stored where that does not help) and writes
// the codec bytes, the pieces in `demands` order, then the end mark. The
// streams are compressed on two threads: the largest on one and the rest on
// the other, or a literal stream coded in two parts (above) with its first
// part on one and the rest on the other.
Status write_streams(const std::array<Bytes, kStreamCount>& streams, const std::vector<Demand>& demands, Writer& out,
                     LiteralPacking literal_packing = {});

// A quick guess whether LZMA2 packs `candidate` smaller than `baseline`:
// both are packed at LZMA2's fastest preset (a tenth of the time of the
// full effort or less), on two threads, and compared; a tie is false. A
// stream over 512 KiB is judged by 8 slices of 64 KiB spread evenly over it
// (the same places in both when they are the same size).
bool packs_smaller(const Bytes& candidate, const Bytes& baseline);

// The size of `raw` packed as one LZMA2 stream at LZMA2's fastest preset
// with the payload's dictionary (SIZE_MAX when liblzma fails): a quick guess
// of what the full effort makes, for comparing streams of like content.
std::size_t quickly_packed_size(ByteSpan raw);

// The streams' quickly_packed_size() summed, each at most its own size (the
// coder stores a stream LZMA2 does not shrink), the literal stream, mostly
// the largest, packed on a thread of its own; one of kTwoPartLiteralFrom
// bytes or more is packed as two parts, the second on the caller's thread
// after the other streams, so that both threads pack about as many bytes.
std::uint64_t quickly_packed_streams(const std::array<Bytes, kStreamCount>& streams);

// Reads bytes from a Reader through a buffer it owns.
class BufferedInput {
public:
  explicit BufferedInput(Reader& reader) : reader_(reader), buffer_(64u << 10) {}
  Expected<std::uint8_t> byte();
  Expected<std::uint64_t> varint();
  Status read(std::uint8_t* out, std::size_t count);
  // Reads up to buffer.size() bytes (0 at the end), as Reader::read does.
  Expected<std::size_t> read_some(std::span<std::uint8_t> buffer);
  // True when the underlying reader has nothing more.
  Expected<bool> at_end();

private:
  Status refill();
  Reader& reader_;
  Bytes buffer_;
  std::size_t position_ = 0;
  std::size_t size_ = 0;
};

// The rest of a BufferedInput as a Reader (which must outlive it).
class BufferedRest final : public Reader {
public:
  explicit BufferedRest(BufferedInput& in) : in_(in) {}
  Expected<std::size_t> read(std::span<std::uint8_t> buffer) override { return in_.read_some(buffer); }

private:
  BufferedInput& in_;
};

// Decodes the interleaved streams. start() hands the input to a thread of
// the reader's own, which reads and decompresses the pieces in payload order
// ahead of the caller, keeping at most kMaxQueuedBytes decoded per stream;
// the caller's reads take the decoded bytes. An LZMA2 literal stream is
// decompressed on a second thread (the literal lane): the reading thread
// passes it the packed pieces (at most kMaxQueuedBytes of them waiting), so
// that the two largest decompression jobs run side by side. The input must
// not be used by anyone else from start() on. Every size and count read is
// checked against the limits above; failures are DeltaErrc::corrupt_payload
// or DeltaErrc::limit_exceeded (also when the caller needs a stream whose
// next piece lies behind more read-ahead of another stream than allowed).
// After a failure the object must not be used except to destroy it; the
// destructor stops and joins the threads (waiting for a read of the input
// in progress).
class StreamReader {
public:
  // The literal stream's dictionary may be 2^literal_window_log (at most
  // kMaxLiteralWindowLog), the others' 2^kMaxWindowLog.
  explicit StreamReader(BufferedInput& input, unsigned literal_window_log = kMaxWindowLog);
  ~StreamReader();
  StreamReader(const StreamReader&) = delete;
  StreamReader& operator=(const StreamReader&) = delete;

  // Reads the codec bytes and starts decoding; call once first.
  Status start();
  // Exactly `count` bytes of `stream`.
  Status read(std::uint8_t stream, std::uint8_t* out, std::size_t count);
  // bytes[0, count) += the next `count` bytes of `stream` (mod 256).
  Status add_to(std::uint8_t stream, std::uint8_t* bytes, std::size_t count);
  // Passes over the next `count` bytes of `stream`.
  Status skip(std::uint8_t stream, std::size_t count);
  Expected<std::uint64_t> varint(std::uint8_t stream);
  // Ends a stream that has been read to its end; fails when the stream holds
  // more than was read.
  Status close(std::uint8_t stream);
  // Fails unless every stream was read to its end, the end mark follows and
  // nothing follows it.
  Status finish();

private:
  struct Shared;
  struct Decoders;
  // The reading thread's work: pieces until the end mark, a failure or stop;
  // then waits for the literal lane to finish.
  void decode_pieces();
  Status decode_piece(bool& at_end_mark);
  // The literal lane's work: the packed pieces it is handed, in order.
  void decode_lane();
  // Makes the next decoded piece of `stream` current; waits for it.
  Status next_current(std::uint8_t stream);
  // Passes the next `count` bytes of `stream` to take(const uint8_t*, size_t)
  // in the pieces they were decoded in.
  template <class Take> Status consume(std::uint8_t stream, std::size_t count, Take&& take);

  BufferedInput& input_;
  unsigned literal_window_log_;
  std::array<Codec, kStreamCount> codecs_{};
  std::unique_ptr<Shared> shared_;
  std::unique_ptr<Decoders> decoders_; // the threads' alone (the lane's stream is the lane's)
  bool lane_ = false;                  // the literal stream is decoded on the lane
  // The caller's side: the piece being read, per stream.
  std::array<Bytes, kStreamCount> current_;
  std::array<std::size_t, kStreamCount> current_used_{};
  std::thread thread_;
  std::thread lane_thread_;
};

} // namespace dfota::delta::native
