#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <thread>

#include "delta/engine.hpp"
#include "delta/native/difference.hpp"
#include "delta/native/streams.hpp"
#include "delta/native/varint.hpp"
#include "support/test_support.hpp"

namespace dfota::delta::native {
namespace {

// A difference the way copies make them: long zero runs, short changed runs.
Bytes sparse_difference(std::size_t size, std::uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes d(size, 0);
  for (std::size_t at = rng() % 64; at < size; at += 1 + rng() % 300) {
    for (std::size_t n = 1 + rng() % 6; n > 0 && at < size; --n)
      d[at++] = static_cast<std::uint8_t>(1 + rng() % 255);
  }
  return d;
}

TEST(LiteralWindowLog, GrowsBeyond16MiBToAtMost16MiB) {
  for (unsigned version : {5u, 6u, 7u}) {
    EXPECT_EQ(literal_window_log(0, version), kMaxWindowLog);
    EXPECT_EQ(literal_window_log(kLargeTarget, version), kMaxWindowLog);
  }
  EXPECT_EQ(literal_window_log(50811448, 5), kMaxWindowLog); // version 5 does not grow
  EXPECT_EQ(literal_window_log(kLargeTarget + 1, 6), 21u);   // 2 MiB <= target / 8
  EXPECT_EQ(literal_window_log(kLargeTarget + 1, 7), 22u);   // 4 MiB <= target / 4
  EXPECT_EQ(literal_window_log(50811448, 6), 22u);           // a 50 MB target: 4 MiB
  EXPECT_EQ(literal_window_log(50811448, 7), 23u);           // ... and 8 MiB
  EXPECT_EQ(literal_window_log(std::uint64_t{1} << 30, 6), kMaxLiteralWindowLog);
  EXPECT_EQ(literal_window_log(std::uint64_t{1} << 30, 7), kMaxLiteralWindowLog);
}

TEST(Varint, LengthIsWhatPutVarintWrites) {
  for (const std::uint64_t value :
       std::initializer_list<std::uint64_t>{0, 1, 127, 128, 16383, 16384, (std::uint64_t{1} << 35) - 1, UINT64_MAX}) {
    Bytes written;
    put_varint(written, value);
    EXPECT_EQ(varint_length(value), written.size()) << value;
  }
}

TEST(QuicklyPackedStreams, SumsEachStreamPackedAtMostItsOwnSize) {
  std::array<Bytes, kStreamCount> streams;
  streams[kControlStream] = Bytes(4096, 7);           // packs far smaller
  streams[kRunsStream] = test::random_bytes(2048, 1); // does not pack: counted as it is
  streams[kLiteralStream] = Bytes(100000, 0x42);      // packs far smaller
  const std::uint64_t total = quickly_packed_streams(streams);
  EXPECT_EQ(total, quickly_packed_size(streams[kControlStream]) + 2048 + quickly_packed_size(streams[kLiteralStream]));
  EXPECT_LT(total, 2048u + 1000u);
}

TEST(PacksSmaller, GuessesWhichOfTwoStreamsLzmaPacksSmaller) {
  // 64 KiB of 16 random words repeated against 64 KiB of noise; a tie is
  // no.
  const Bytes noise = test::random_bytes(64u << 10, 1);
  const Bytes words = test::random_bytes(64, 2);
  Bytes repeated;
  std::mt19937 rng(3);
  while (repeated.size() < noise.size()) {
    const std::size_t w = rng() % 16;
    repeated.insert(repeated.end(), words.begin() + 4 * w, words.begin() + 4 * w + 4);
  }
  EXPECT_TRUE(native::packs_smaller(repeated, noise));
  EXPECT_FALSE(native::packs_smaller(noise, repeated));
  EXPECT_FALSE(native::packs_smaller(noise, noise));
  EXPECT_FALSE(native::packs_smaller(Bytes{}, Bytes{}));
}

TEST(DifferenceWriter, KeepsRunsOfUnchangedAndChangedBytes) {
  DifferenceWriter writer;
  const Bytes d{0, 0, 0, 7, 9, 0, 5, 0, 0};
  writer.append(d.data(), 4); // cut inside a changed run
  writer.append(d.data() + 4, d.size() - 4);
  writer.finish();
  EXPECT_EQ(writer.runs(), (Bytes{3, 2, 1, 1, 2, 0}));
  EXPECT_EQ(writer.changes(), (Bytes{7, 9, 5}));
  EXPECT_EQ(writer.changed(), 3u);
}

TEST(DifferenceWriter, PositionsAreWhereAReaderStandsAfterACopy) {
  DifferenceWriter writer;
  const Bytes d{0, 0, 4, 4, 0, 0, 0, 1};
  std::vector<DifferenceWriter::Mark> marks{writer.mark()};
  writer.append(d.data(), 3); // ends inside run 0 (changed part)
  marks.push_back(writer.mark());
  writer.append(d.data() + 3, 3); // ends inside run 1 (unchanged part)
  marks.push_back(writer.mark());
  writer.append(d.data() + 6, 2);
  marks.push_back(writer.mark());
  writer.finish();
  // Runs: (2,2) bytes [0,2), (3,1) bytes [2,4).
  EXPECT_EQ(writer.position(marks[0]).runs_end, 0u);
  EXPECT_EQ(writer.position(marks[1]).runs_end, 2u);
  EXPECT_EQ(writer.position(marks[1]).changes_end, 1u);
  EXPECT_EQ(writer.position(marks[2]).runs_end, 4u);
  EXPECT_EQ(writer.position(marks[2]).changes_end, 2u);
  EXPECT_EQ(writer.position(marks[3]).runs_end, 4u);
  EXPECT_EQ(writer.position(marks[3]).changes_end, 3u);
}

// Writes the streams (the difference's runs and changes, plus a literal
// stream) with demands as a copy/literal program would make them.
Bytes write_payload_streams(const Bytes& difference, const Bytes& literal, std::size_t cut,
                            LiteralPacking literal_packing = {}) {
  DifferenceWriter writer;
  std::vector<DifferenceWriter::Mark> marks;
  for (std::size_t at = 0; at < difference.size(); at += cut) {
    writer.append(difference.data() + at, std::min(cut, difference.size() - at));
    marks.push_back(writer.mark());
  }
  writer.finish();
  std::array<Bytes, kStreamCount> streams;
  std::vector<Demand> demands;
  std::size_t literal_end = 0;
  for (const auto& mark : marks) {
    const auto at = writer.position(mark);
    demands.push_back({kRunsStream, at.runs_end});
    demands.push_back({kChangesStream, at.changes_end});
    literal_end = std::min(literal.size(), literal_end + cut / 4);
    demands.push_back({kLiteralStream, literal_end});
  }
  streams[kRunsStream] = writer.runs();
  streams[kChangesStream] = writer.changes();
  streams[kLiteralStream] = literal;
  VectorWriter out;
  EXPECT_TRUE(write_streams(streams, demands, out, literal_packing));
  return out.bytes();
}

TEST(DifferenceReader, RoundTripsAnyDifferenceCutAnyWay) {
  for (std::uint32_t seed = 1; seed <= 6; ++seed) {
    const std::size_t size = seed == 1 ? 0 : (seed * 97'531u) % 700'000;
    Bytes difference = seed == 2 ? Bytes(size, 0) : sparse_difference(size, seed);
    if (seed == 3) difference = test::random_bytes(size, seed); // dense: few unchanged bytes
    const Bytes literal = test::random_bytes(size / 4, seed + 100);
    const Bytes payload = write_payload_streams(difference, literal, 1 + seed * 4099);

    SpanReader reader(payload);
    BufferedInput input(reader);
    StreamReader streams(input);
    ASSERT_TRUE(streams.start());
    DifferenceReader differences(streams, difference.size());
    Bytes rebuilt(difference.size(), 0);
    std::mt19937 rng(seed);
    for (std::size_t at = 0; at < rebuilt.size();) {
      const std::size_t n = std::min<std::size_t>(1 + rng() % 70'000, rebuilt.size() - at);
      ASSERT_TRUE(differences.add_to(rebuilt.data() + at, n));
      at += n;
    }
    Bytes literal_read(literal.size());
    ASSERT_TRUE(streams.read(kLiteralStream, literal_read.data(), literal_read.size()));
    ASSERT_TRUE(differences.finish());
    auto finished = streams.finish();
    ASSERT_TRUE(finished) << finished.error().message();
    EXPECT_EQ(rebuilt, difference) << "seed " << seed;
    EXPECT_EQ(literal_read, literal);
  }
}

Bytes stored_piece(std::uint8_t stream, const Bytes& raw) {
  Bytes piece{stream};
  put_varint(piece, raw.size());
  put_varint(piece, raw.size());
  piece.insert(piece.end(), raw.begin(), raw.end());
  return piece;
}

Bytes stored_streams(std::initializer_list<Bytes> pieces) {
  Bytes payload(kStreamCount, static_cast<std::uint8_t>(Codec::stored));
  for (const Bytes& p : pieces)
    payload.insert(payload.end(), p.begin(), p.end());
  payload.push_back(kEndOfStreams);
  return payload;
}

// Applies `difference_bytes` difference bytes from a stored payload; returns
// the first failure.
Status read_difference(const Bytes& payload, std::uint64_t difference_bytes) {
  SpanReader reader(payload);
  BufferedInput input(reader);
  StreamReader streams(input);
  if (auto ok = streams.start(); !ok) return ok;
  DifferenceReader differences(streams, difference_bytes);
  Bytes out(static_cast<std::size_t>(difference_bytes));
  if (auto ok = differences.add_to(out.data(), out.size()); !ok) return ok;
  if (auto ok = differences.finish(); !ok) return ok;
  return streams.finish();
}

TEST(DifferenceReader, RefusesRunsThatDoNotFitTheCopies) {
  const struct {
    const char* name;
    Bytes payload;
  } cases[] = {
      {"empty run", stored_streams({stored_piece(kRunsStream, {0, 0, 3, 0})})},
      {"run beyond the copies",
       stored_streams({stored_piece(kRunsStream, {2, 2}), stored_piece(kChangesStream, {1, 1})})},
      {"changes missing", stored_streams({stored_piece(kRunsStream, {1, 2})})},
      {"changes left over", stored_streams({stored_piece(kRunsStream, {2, 1}), stored_piece(kChangesStream, {1, 1})})},
      {"runs left over", stored_streams({stored_piece(kRunsStream, {3, 0, 1, 0})})},
  };
  for (const auto& c : cases) {
    auto ok = read_difference(c.payload, 3);
    ASSERT_FALSE(ok) << c.name;
    EXPECT_TRUE(ok.error().is(DeltaErrc::corrupt_payload)) << c.name << ": " << ok.error().message();
  }
  EXPECT_TRUE(
      read_difference(stored_streams({stored_piece(kRunsStream, {1, 2}), stored_piece(kChangesStream, {4, 5})}), 3));
}

// Reads the control stream's first byte, which lies behind more of the
// literal stream than the read-ahead holds: limit_exceeded, not a wait.
void expect_read_ahead_refused(const Bytes& payload) {
  SpanReader reader(payload);
  BufferedInput input(reader);
  StreamReader streams(input);
  ASSERT_TRUE(streams.start());
  std::uint8_t byte = 0;
  auto ok = streams.read(kControlStream, &byte, 1);
  ASSERT_FALSE(ok);
  EXPECT_TRUE(ok.error().is(DeltaErrc::limit_exceeded)) << ok.error().message();
}

// Destroys readers that stand at different places in the literal stream;
// each destructor stops threads that may be waiting on a full queue.
void destroy_half_way(const Bytes& payload) {
  for (int i = 0; i < 20; ++i) {
    SpanReader reader(payload);
    BufferedInput input(reader);
    StreamReader streams(input);
    ASSERT_TRUE(streams.start());
    Bytes some(static_cast<std::size_t>(i) * 5000);
    ASSERT_TRUE(streams.read(kLiteralStream, some.data(), some.size()));
  }
}

TEST(StreamReader, RefusesAPayloadThatNeedsTooMuchReadAhead) {
  // 1 MiB of literal pieces before the control stream a decoder needs first.
  const Bytes literal = stored_piece(kLiteralStream, test::random_bytes(kMaxPieceSize, 3));
  const Bytes payload = stored_streams({literal, literal, literal, literal, literal, literal, literal, literal,
                                        stored_piece(kControlStream, {1, 2, 3})});
  expect_read_ahead_refused(payload);
}

TEST(StreamReader, ACallerThatEmptiesAFullQueueWaitsForTheThreadToWake) {
  // The thread blocks on a full literal queue again and again; the caller
  // takes all of it at once and asks for more before the thread has woken.
  std::vector<Bytes> pieces;
  Bytes literal;
  for (std::uint32_t i = 0; i < 96; ++i) {
    const Bytes raw = test::random_bytes(kPieceSize, 100 + i);
    literal.insert(literal.end(), raw.begin(), raw.end());
    pieces.push_back(stored_piece(kLiteralStream, raw));
  }
  Bytes payload(kStreamCount, static_cast<std::uint8_t>(Codec::stored));
  for (const Bytes& p : pieces)
    payload.insert(payload.end(), p.begin(), p.end());
  payload.push_back(kEndOfStreams);
  // Busy threads on every core make the reading thread wake late.
  std::atomic<bool> busy{true};
  std::vector<std::thread> hogs;
  for (unsigned i = 0; i < std::max(2u, std::thread::hardware_concurrency()); ++i)
    hogs.emplace_back([&busy] {
      while (busy.load(std::memory_order_relaxed)) {
      }
    });
  struct Stop {
    std::atomic<bool>& busy;
    std::vector<std::thread>& hogs;
    ~Stop() {
      busy = false;
      for (auto& t : hogs)
        t.join();
    }
  } stop{busy, hogs};
  for (int round = 0; round < 20; ++round) {
    SpanReader reader(payload);
    BufferedInput input(reader);
    StreamReader streams(input);
    ASSERT_TRUE(streams.start());
    Bytes out(literal.size());
    for (std::size_t at = 0; at < out.size(); at += 1u << 20) {
      auto ok = streams.read(kLiteralStream, out.data() + at, std::min<std::size_t>(1u << 20, out.size() - at));
      ASSERT_TRUE(ok) << "round " << round << " at " << at << ": " << ok.error().message();
    }
    ASSERT_TRUE(streams.finish());
    EXPECT_EQ(out, literal);
  }
}

TEST(StreamReader, FinishRefusesUnreadDataWithoutWaitingForever) {
  // More of a stream than the caller reads, more than the read-ahead holds.
  const Bytes literal = stored_piece(kLiteralStream, test::random_bytes(kMaxPieceSize, 4));
  const Bytes payload = stored_streams({literal, literal, literal, literal, literal, literal, literal, literal});
  SpanReader reader(payload);
  BufferedInput input(reader);
  StreamReader streams(input);
  ASSERT_TRUE(streams.start());
  Bytes some(1000);
  ASSERT_TRUE(streams.read(kLiteralStream, some.data(), some.size()));
  auto ok = streams.finish();
  ASSERT_FALSE(ok);
  EXPECT_TRUE(ok.error().is(DeltaErrc::corrupt_payload)) << ok.error().message();
}

TEST(StreamReader, StopsItsThreadWhenDestroyedHalfWay) {
  destroy_half_way(write_payload_streams(Bytes(1u << 20, 0), test::random_bytes(3u << 20, 5), 1u << 16));
}

// Bytes LZMA2 packs well (so that a literal stream goes to the lane).
Bytes compressible(std::size_t size, std::uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes out(size);
  for (std::size_t i = 0; i < size; ++i)
    out[i] = static_cast<std::uint8_t>((i % 61) * 3 + (rng() % 4 == 0 ? rng() % 7 : 0));
  return out;
}

// From kTwoPartLiteralFrom on the literal stream is packed in two parts on
// two threads: about what it packs to whole, and never counted above its
// own size.
TEST(QuicklyPackedStreams, PacksALongLiteralStreamInTwoPartsAboutAsSmallAsWhole) {
  std::array<Bytes, kStreamCount> streams;
  streams[kControlStream] = Bytes(4096, 7);
  const std::uint64_t control = quickly_packed_size(streams[kControlStream]);
  const Bytes literal = compressible(kTwoPartLiteralFrom, 41);
  streams[kLiteralStream] = literal;
  const std::uint64_t whole = control + quickly_packed_size(literal);
  const std::uint64_t in_parts = quickly_packed_streams(streams);
  EXPECT_GT(in_parts, whole - whole / 50);
  EXPECT_LT(in_parts, whole + whole / 50);

  streams[kLiteralStream] = test::random_bytes(kTwoPartLiteralFrom, 42); // does not pack
  EXPECT_EQ(quickly_packed_streams(streams), control + kTwoPartLiteralFrom);
}

// The pieces of a payload written by write_streams: where each starts.
struct PieceAt {
  std::uint8_t stream;
  std::size_t raw;    // its unpacked size
  std::size_t header; // offset of the stream id
  std::size_t data;   // offset of the packed bytes
  std::size_t packed;
};
std::vector<PieceAt> pieces_of(const Bytes& payload) {
  std::vector<PieceAt> pieces;
  std::size_t at = kStreamCount;
  auto varint = [&] {
    std::uint64_t value = 0;
    for (unsigned shift = 0;; shift += 7) {
      const std::uint8_t b = payload.at(at++);
      value |= static_cast<std::uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return value;
    }
  };
  while (payload.at(at) != kEndOfStreams) {
    PieceAt piece{payload[at], 0, at, 0, 0};
    ++at;
    piece.raw = static_cast<std::size_t>(varint());
    piece.packed = static_cast<std::size_t>(varint());
    piece.data = at;
    at += piece.packed;
    pieces.push_back(piece);
  }
  return pieces;
}

// Reads `payload`'s runs and changes (as a difference) and its literal
// stream back in interleaved reads of random sizes, and expects `difference`
// and `literal`.
void expect_streams_read_back(const Bytes& payload, const Bytes& difference, const Bytes& literal,
                              unsigned literal_window_log = kMaxWindowLog) {
  SpanReader reader(payload);
  BufferedInput input(reader);
  StreamReader streams(input, literal_window_log);
  ASSERT_TRUE(streams.start());
  DifferenceReader differences(streams, difference.size());
  Bytes rebuilt(difference.size(), 0), literal_read(literal.size());
  std::mt19937 rng(13);
  std::size_t d = 0, l = 0;
  while (d < rebuilt.size() || l < literal_read.size()) {
    const std::size_t n = std::min<std::size_t>(1 + rng() % 50'000, rebuilt.size() - d);
    ASSERT_TRUE(differences.add_to(rebuilt.data() + d, n));
    d += n;
    const std::size_t m = std::min<std::size_t>(1 + rng() % 150'000, literal_read.size() - l);
    auto ok = streams.read(kLiteralStream, literal_read.data() + l, m);
    ASSERT_TRUE(ok) << ok.error().message();
    l += m;
  }
  ASSERT_TRUE(differences.finish());
  auto finished = streams.finish();
  ASSERT_TRUE(finished) << finished.error().message();
  EXPECT_EQ(rebuilt, difference);
  EXPECT_EQ(literal_read, literal);
}

TEST(StreamReader, DecodesAnLzmaLiteralStreamOnItsLane) {
  const Bytes difference = sparse_difference(900'000, 11);
  const Bytes literal = compressible(3u << 20, 12);
  const Bytes payload = write_payload_streams(difference, literal, 40'000);
  ASSERT_EQ(payload[kLiteralStream], static_cast<std::uint8_t>(Codec::lzma2));
  expect_streams_read_back(payload, difference, literal);
}

// The literal context and position settings are the encoder's choice per
// stream, carried in each LZMA2 stream's first chunk: control byte 0xE0 |
// the unpacked size's bits 16 to 20 (dictionary reset, new properties),
// four more size bytes, then the properties byte (pb * 5 + lp) * 9 + lc.
TEST(WriteStreams, EachLzmaStreamCarriesTheSettingsThatSuitIt) {
  Bytes difference(400'000, 0); // changed bytes from a few values, so that they pack
  std::mt19937 rng(21);
  for (std::size_t at = 0; at < difference.size(); at += 20 + rng() % 200)
    difference[at] = static_cast<std::uint8_t>(1 + rng() % 4);
  for (unsigned literal_context : {3u, 4u}) {
    const Bytes payload =
        write_payload_streams(difference, compressible(300'000, 22), 40'000, {kMaxWindowLog, literal_context});
    const std::array<std::pair<std::uint8_t, unsigned>, 3> expected{{
        {kRunsStream, (0 * 5 + 0) * 9 + 3},                  // lc 3, lp 0, pb 0
        {kChangesStream, (0 * 5 + 0) * 9 + 2},               // lc 2, lp 0, pb 0
        {kLiteralStream, (2 * 5 + 0) * 9 + literal_context}, // lc as asked (LZMA's default 3), lp 0, pb 2
    }};
    const auto pieces = pieces_of(payload);
    for (const auto& stream_properties : expected) {
      const std::uint8_t stream = stream_properties.first; // a plain copy: clang 14 captures no structured binding
      const unsigned properties = stream_properties.second;
      ASSERT_EQ(payload[stream], static_cast<std::uint8_t>(Codec::lzma2)) << int{stream};
      const auto first =
          std::find_if(pieces.begin(), pieces.end(), [&](const PieceAt& p) { return p.stream == stream; });
      ASSERT_NE(first, pieces.end());
      EXPECT_EQ(payload[first->data] & 0xE0, 0xE0) << int{stream};
      EXPECT_EQ(payload[first->data + 5], properties) << int{stream};
    }
  }
}

// A literal stream coded in two parts at once is one LZMA2 stream: only its
// first chunk resets the dictionary (control 0x01, or 0xE0 and above); the
// second part's first chunk resets the coder's state and properties only
// (0xC0 to 0xDF), at a piece boundary; its matches reach into the first
// part, and a decoder with the stated dictionary reads it back.
TEST(WriteStreams, ALiteralStreamInTwoPartsIsOneStreamWhoseSecondPartMatchesIntoTheFirst) {
  // A packable start, so that the first chunk is an LZMA chunk with its
  // properties (a first chunk stored uncompressed leaves them to the next).
  Bytes literal = compressible(256u << 10, 30);
  const Bytes block = test::random_bytes(1u << 20, 31);
  for (int i = 0; i < 3; ++i)
    literal.insert(literal.end(), block.begin(), block.end());
  const Bytes difference = sparse_difference(100'000, 32);
  constexpr unsigned kWindowLog = 22; // 4 MiB: the second part's preset is the 2 MiB before it
  const Bytes payload = write_payload_streams(difference, literal, 40'000, {kWindowLog, 3, 2u << 20});
  ASSERT_EQ(payload[kLiteralStream], static_cast<std::uint8_t>(Codec::lzma2));
  // The random block is sent once, though the second part starts past the
  // block's second copy.
  EXPECT_LT(payload.size(), (1u << 20) + (128u << 10)); // without the preset: over 2 MiB

  std::size_t raw_at = 0, dictionary_resets = 0, state_resets = 0, state_reset_at = 0;
  for (const PieceAt& piece : pieces_of(payload)) {
    if (piece.stream != kLiteralStream) continue;
    const std::uint8_t control = payload[piece.data];
    if (control == 0x01 || control >= 0xE0) {
      EXPECT_EQ(raw_at, 0u);
      ++dictionary_resets;
    } else if (control >= 0xC0) {
      state_reset_at = raw_at;
      ++state_resets;
    }
    EXPECT_EQ(piece.raw, std::min(kPieceSize, literal.size() - raw_at));
    raw_at += piece.raw;
  }
  EXPECT_EQ(raw_at, literal.size());
  EXPECT_EQ(dictionary_resets, 1u);
  ASSERT_EQ(state_resets, 1u);
  EXPECT_GT(state_reset_at, 0u);
  EXPECT_EQ(state_reset_at % kPieceSize, 0u);

  expect_streams_read_back(payload, difference, literal, kWindowLog);
}

// Below its threshold a literal stream is coded whole, as it always was.
TEST(WriteStreams, ALiteralStreamBelowTheTwoPartThresholdIsCodedWhole) {
  const Bytes literal = compressible(1u << 20, 33);
  const Bytes difference = sparse_difference(100'000, 34);
  EXPECT_EQ(write_payload_streams(difference, literal, 40'000, {22, 3, (1u << 20) + 1}),
            write_payload_streams(difference, literal, 40'000, {22, 3}));
  EXPECT_NE(write_payload_streams(difference, literal, 40'000, {22, 3, 1u << 20}),
            write_payload_streams(difference, literal, 40'000, {22, 3}));
}

TEST(StreamReader, ReportsALiteralPieceTheLaneCannotDecode) {
  const Bytes literal = compressible(2u << 20, 14);
  const Bytes good = write_payload_streams(Bytes(100'000, 0), literal, 4'000);
  ASSERT_EQ(good[kLiteralStream], static_cast<std::uint8_t>(Codec::lzma2));
  std::vector<PieceAt> literal_pieces;
  for (const PieceAt& p : pieces_of(good))
    if (p.stream == kLiteralStream) literal_pieces.push_back(p);
  ASSERT_GE(literal_pieces.size(), 4u);

  // Its packed bytes cut short (the piece claims fewer), or garbled.
  const PieceAt& victim = literal_pieces[2];
  Bytes cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(victim.header + 1));
  put_varint(cut, kPieceSize);
  put_varint(cut, victim.packed / 2);
  cut.insert(cut.end(), good.begin() + static_cast<std::ptrdiff_t>(victim.data),
             good.begin() + static_cast<std::ptrdiff_t>(victim.data + victim.packed / 2));
  cut.insert(cut.end(), good.begin() + static_cast<std::ptrdiff_t>(victim.data + victim.packed), good.end());
  Bytes garbled = good;
  for (std::size_t i = victim.data; i < victim.data + victim.packed; i += 7)
    garbled[i] = static_cast<std::uint8_t>(~garbled[i]);

  // A piece of the wrong size is always caught; garbled LZMA2 data may decode
  // to other bytes (the payload's digests catch those), but never hangs.
  for (const bool must_fail : {true, false}) {
    SpanReader reader(must_fail ? cut : garbled);
    BufferedInput input(reader);
    StreamReader streams(input);
    ASSERT_TRUE(streams.start());
    Bytes out(literal.size());
    Status ok = streams.read(kLiteralStream, out.data(), out.size());
    if (ok) ok = streams.finish();
    if (!must_fail && ok) {
      EXPECT_NE(out, literal);
      continue;
    }
    ASSERT_FALSE(ok);
    EXPECT_TRUE(ok.error().is(DeltaErrc::corrupt_payload)) << ok.error().message();
  }
}

TEST(StreamReader, RefusesTooMuchReadAheadOnTheLane) {
  // 1 MiB of an LZMA2 literal stream before the control stream.
  std::array<Bytes, kStreamCount> streams_in;
  streams_in[kControlStream] = {1, 2, 3};
  streams_in[kLiteralStream] = compressible(1u << 20, 15);
  const std::vector<Demand> demands{{kLiteralStream, 1u << 20}, {kControlStream, 3}};
  VectorWriter out;
  ASSERT_TRUE(write_streams(streams_in, demands, out));
  ASSERT_EQ(out.bytes()[kLiteralStream], static_cast<std::uint8_t>(Codec::lzma2));
  expect_read_ahead_refused(out.bytes());
}

TEST(StreamReader, StopsItsLaneWhenDestroyedHalfWay) {
  const Bytes payload = write_payload_streams(sparse_difference(1u << 20, 16), compressible(4u << 20, 17), 1u << 16);
  ASSERT_EQ(payload[kLiteralStream], static_cast<std::uint8_t>(Codec::lzma2));
  destroy_half_way(payload);
}

} // namespace
} // namespace dfota::delta::native
