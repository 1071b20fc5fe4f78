// A deflate stream's expanded form rebuilds the stream bit for bit, whatever
// the encoder's level, strategy and memory, and however the form arrives.
#include "delta/deflate/recorder.hpp"

#include <gtest/gtest.h>

#include "delta/deflate/rebuilder.hpp"
#include "delta/engine.hpp"
#include "support/deflate_streams.hpp"

namespace dfota::delta::deflate {
namespace {

// Rebuilds `expanded` fed in pieces of `piece` bytes.
Bytes rebuild(ByteSpan expanded, std::size_t piece) {
  VectorWriter out;
  Rebuilder rebuilder(out);
  for (std::size_t at = 0; at < expanded.size(); at += piece) {
    auto ok = rebuilder.write(expanded.subspan(at, std::min(piece, expanded.size() - at)));
    EXPECT_TRUE(ok) << ok.error().message();
    if (!ok) return {};
  }
  auto ok = rebuilder.finish();
  EXPECT_TRUE(ok) << ok.error().message();
  return out.bytes();
}

Bytes expanded_of(const RecordedStream& stream) {
  Bytes out;
  append_expanded(out, stream);
  return out;
}

// Content with text, a run of zeros, and bytes that do not compress.
Bytes mixed_content() {
  Bytes content = test::sample_text(800, 7);
  content.insert(content.end(), 40000, 0);
  std::uint32_t x = 99;
  for (int i = 0; i < 5000; ++i) {
    x = x * 1103515245u + 12345u;
    content.push_back(static_cast<std::uint8_t>(x >> 24));
  }
  const Bytes more = test::sample_text(600, 8);
  content.insert(content.end(), more.begin(), more.end());
  return content;
}

TEST(DeflateRecorder, EveryZlibLevelAndStrategyRebuildsBitForBit) {
  const Bytes content = mixed_content();
  for (int level = 0; level <= 9; ++level) {
    for (test::Strategy strategy : {test::Strategy::normal, test::Strategy::filtered, test::Strategy::huffman_only,
                                    test::Strategy::rle, test::Strategy::fixed}) {
      const Bytes stream = test::raw_deflate(content, level, strategy);
      auto recorded = record_deflate(stream, 1u << 30);
      ASSERT_TRUE(recorded) << "level " << level;
      EXPECT_EQ(recorded->compressed_size, stream.size());
      EXPECT_EQ(recorded->content, content);
      EXPECT_EQ(rebuild(expanded_of(*recorded), 1 << 20), stream) << "level " << level;
    }
  }
}

TEST(DeflateRecorder, SmallAndLargeMemoryLevelsRebuild) {
  const Bytes content = mixed_content();
  for (int mem_level : {1, 9}) {
    const Bytes stream = test::raw_deflate(content, 9, test::Strategy::normal, mem_level);
    auto recorded = record_deflate(stream, 1u << 30);
    ASSERT_TRUE(recorded);
    EXPECT_EQ(rebuild(expanded_of(*recorded), 4096), stream) << "memLevel " << mem_level;
  }
}

TEST(DeflateRecorder, ALargeStreamToldInTwoHalvesRebuildsBitForBit) {
  // Over 1 MiB of content in many blocks: its later blocks are told on a
  // second core by a finder that starts a window before them, and the
  // rebuilder, which runs one finder from the start, must agree.
  Bytes content;
  for (unsigned seed = 20; content.size() < (3u << 20) / 2; ++seed) {
    const Bytes part = seed % 3 == 0 ? mixed_content() : test::sample_text(4000, seed);
    content.insert(content.end(), part.begin(), part.end());
  }
  for (const int level : {1, 6, 9}) {
    const Bytes stream = test::raw_deflate(content, level);
    auto recorded = record_deflate(stream, content.size());
    ASSERT_TRUE(recorded) << "level " << level;
    EXPECT_EQ(recorded->content, content);
    EXPECT_EQ(rebuild(expanded_of(*recorded), 65536), stream) << "level " << level;
  }
}

TEST(DeflateRecorder, TheFormMayArriveAByteAtATime) {
  const Bytes stream = test::raw_deflate(test::sample_text(400, 3), 6);
  auto recorded = record_deflate(stream, 1u << 30);
  ASSERT_TRUE(recorded);
  EXPECT_EQ(rebuild(expanded_of(*recorded), 1), stream);
}

TEST(DeflateRecorder, AnEmptyStreamAndOneOfStoredBlocksRebuild) {
  for (const Bytes& stream : {test::raw_deflate({}, 6), test::raw_deflate(test::sample_text(100, 1), 0)}) {
    auto recorded = record_deflate(stream, 1u << 30);
    ASSERT_TRUE(recorded);
    EXPECT_EQ(rebuild(expanded_of(*recorded), 7), stream);
  }
}

TEST(DeflateRecorder, TheRecordOfAStreamItsModelFitsIsSmall) {
  // zlib's own parse at level 9 is nearly what the finder expects: the
  // records cost a few per cent of the stream, not the stream again.
  const Bytes content = test::sample_text(20000, 5);
  const Bytes stream = test::raw_deflate(content, 9);
  auto recorded = record_deflate(stream, 1u << 30);
  ASSERT_TRUE(recorded);
  EXPECT_LT(recorded->records.size() * 10, stream.size()) << recorded->records.size() << " of " << stream.size();
}

TEST(DeflateRecorder, BytesAfterTheStreamAreNotTaken) {
  Bytes stream = test::raw_deflate(test::sample_text(50, 2), 6);
  const std::size_t size = stream.size();
  stream.insert(stream.end(), {1, 2, 3, 4});
  auto recorded = record_deflate(stream, 1u << 30);
  ASSERT_TRUE(recorded);
  EXPECT_EQ(recorded->compressed_size, size);
}

TEST(DeflateRecorder, ACutOrInvalidStreamIsNotRecorded) {
  const Bytes stream = test::raw_deflate(test::sample_text(200, 2), 6);
  EXPECT_FALSE(record_deflate(ByteSpan(stream).first(stream.size() / 2), 1u << 30));
  EXPECT_FALSE(record_deflate(Bytes{0x07}, 1u << 30)) << "block type 3 is invalid";
  EXPECT_FALSE(record_deflate(stream, 100)) << "inflates beyond the limit";
}

TEST(DeflateRebuilder, ARecordThatDisagreesWithItsContentFails) {
  const Bytes stream = test::raw_deflate(test::sample_text(300, 4), 6);
  auto recorded = record_deflate(stream, 1u << 30);
  ASSERT_TRUE(recorded);
  Bytes expanded = expanded_of(*recorded);
  // One content byte short: the stream cannot end.
  Bytes cut(expanded.begin(), expanded.end() - 1);
  VectorWriter out;
  Rebuilder rebuilder(out);
  ASSERT_TRUE(rebuilder.write(cut));
  auto finished = rebuilder.finish();
  ASSERT_FALSE(finished);
  EXPECT_TRUE(finished.error().is(DeltaErrc::corrupt_payload));
  // One byte more: there is nothing after the stream's end.
  Bytes longer = expanded;
  longer.push_back(0);
  VectorWriter out2;
  Rebuilder again(out2);
  EXPECT_FALSE(again.write(longer));
}

} // namespace
} // namespace dfota::delta::deflate
