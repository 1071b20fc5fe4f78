// Streams that zlib's deflate() makes: finding the level, inflating, and
// making them again, whole or as content arrives in pieces.
#include "delta/deflate/zlib_made.hpp"

#include <gtest/gtest.h>

#include "delta/deflate/rebuilder.hpp"
#include "delta/deflate/recorder.hpp"
#include "delta/engine.hpp"
#include "support/deflate_streams.hpp"

namespace dfota::delta::deflate {
namespace {

Bytes deflate_in_pieces(ByteSpan content, unsigned level, std::size_t piece) {
  VectorWriter out;
  ZlibDeflater deflater(out, level);
  for (std::size_t at = 0; at < content.size(); at += piece) {
    auto ok = deflater.write(content.subspan(at, std::min(piece, content.size() - at)));
    EXPECT_TRUE(ok) << ok.error().message();
  }
  auto finished = deflater.finish();
  EXPECT_TRUE(finished) << finished.error().message();
  EXPECT_EQ(deflater.written(), out.bytes().size());
  return out.bytes();
}

TEST(ZlibMade, ThisBuildsZlibMakesTheReferenceBytes) { EXPECT_TRUE(zlib_is_reference()); }

TEST(ZlibMade, TheLevelFoundMakesTheStreamAgainAtEveryLevel) {
  const Bytes text = test::sample_text(3000, 4);
  for (int level = 1; level <= 9; ++level) {
    const Bytes stream = test::raw_deflate(text, level);
    const auto found = zlib_level_making(stream, text);
    ASSERT_TRUE(found) << "level " << level;
    // Levels that take the same decisions on this text make the same bytes.
    EXPECT_EQ(deflate_in_pieces(text, *found, 1000), stream) << "level " << level;
    EXPECT_EQ(deflate_in_pieces(text, *found, text.size()), stream) << "level " << level;
  }
}

TEST(ZlibMade, StreamsOfOtherSettingsAreNotTakenForZlibs) {
  const Bytes text = test::sample_text(2000, 5);
  EXPECT_FALSE(zlib_level_making(test::raw_deflate(text, 6, test::Strategy::huffman_only), text));
  EXPECT_FALSE(zlib_level_making(test::raw_deflate(text, 6, test::Strategy::fixed), text));
  EXPECT_FALSE(zlib_level_making(test::raw_deflate(text, 0), text)) << "stored blocks: level 0 is not taken";
  // The right bytes with one more, or one fewer, are not the stream.
  Bytes stream = test::raw_deflate(text, 6);
  stream.push_back(0);
  EXPECT_FALSE(zlib_level_making(stream, text));
  stream.resize(stream.size() - 2);
  EXPECT_FALSE(zlib_level_making(stream, text));
}

TEST(ZlibMade, InflatingTellsTheStreamsLengthAndRefusesBrokenOnes) {
  const Bytes text = test::sample_text(500, 6);
  Bytes stream = test::raw_deflate(text, 9);
  const std::size_t length = stream.size();
  stream.insert(stream.end(), {1, 2, 3, 4});
  auto inflated = inflate_stream(stream, text.size());
  ASSERT_TRUE(inflated);
  EXPECT_EQ(inflated->compressed_size, length) << "the bytes after the stream are not taken";
  EXPECT_EQ(inflated->content, text);
  EXPECT_FALSE(inflate_stream(stream, text.size() - 1)) << "more content than allowed";
  EXPECT_FALSE(inflate_stream(ByteSpan(stream).first(length - 1), text.size())) << "cut short";
  EXPECT_FALSE(inflate_stream(ByteSpan(stream).first(0), text.size()));
  Bytes broken = stream;
  broken[0] = 0xFF; // BTYPE 3
  EXPECT_FALSE(inflate_stream(broken, text.size()));
}

TEST(ZlibMade, AStreamsRecordsStateItsLevelAlone) {
  EXPECT_FALSE(zlib_level_of(kZlibMadeByte));
  EXPECT_EQ(zlib_level_of(kZlibMadeByte + 1), 1u);
  EXPECT_EQ(zlib_level_of(kZlibMadeByte + 9), 9u);
  EXPECT_FALSE(zlib_level_of(kZlibMadeByte + 10));
  EXPECT_FALSE(zlib_level_of(0x03)) << "a parse model";
}

TEST(ZlibMade, TheRebuilderMakesAZlibMadeStreamFromItsLevelAndContent) {
  const Bytes text = test::sample_text(800, 7);
  const Bytes stream = test::raw_deflate(text, 6);
  Bytes expanded;
  append_expanded(expanded, RecordedStream{stream.size(), Bytes{kZlibMadeByte + 6}, text});
  VectorWriter out;
  Rebuilder rebuilder(out);
  for (std::size_t at = 0; at < expanded.size(); at += 333)
    ASSERT_TRUE(rebuilder.write(ByteSpan(expanded).subspan(at, std::min<std::size_t>(333, expanded.size() - at))));
  ASSERT_TRUE(rebuilder.finish());
  EXPECT_EQ(out.bytes(), stream);
  EXPECT_EQ(rebuilder.written(), stream.size());

  // Records holding more than the level are refused.
  Bytes more;
  append_expanded(more, RecordedStream{stream.size(), Bytes{kZlibMadeByte + 6, 1}, text});
  VectorWriter ignored;
  Rebuilder refusing(ignored);
  auto ok = refusing.write(more);
  ASSERT_FALSE(ok);
  EXPECT_TRUE(ok.error().is(DeltaErrc::corrupt_payload));
}

TEST(ZlibMade, ContentAfterTheEndIsRefused) {
  VectorWriter out;
  ZlibDeflater deflater(out, 6);
  ASSERT_TRUE(deflater.finish());
  EXPECT_FALSE(deflater.write(Bytes{1, 2, 3}));
  EXPECT_FALSE(deflater.finish());
}

} // namespace
} // namespace dfota::delta::deflate
