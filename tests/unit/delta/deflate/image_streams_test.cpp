// Finding the deflate streams in an image, expanding them and making the
// image again from its expanded form.
#include "delta/deflate/image_streams.hpp"

#include <gtest/gtest.h>

#include "delta/deflate/huffman.hpp"
#include "delta/engine.hpp"
#include "support/deflate_streams.hpp"

namespace dfota::delta::deflate {
namespace {

ExpandedImage expand(ByteSpan image) { return expand_found_streams(image, {.max_size = 64 * image.size() + 4096}); }

Bytes rebuild(const ExpandedImage& expanded) {
  VectorWriter out;
  ImageRebuilder rebuilder(out, expanded.places);
  auto ok = rebuilder.write(expanded.bytes);
  EXPECT_TRUE(ok) << ok.error().message();
  auto finished = rebuilder.finish();
  EXPECT_TRUE(finished) << finished.error().message();
  return out.bytes();
}

// A fixed block sending 'a' then a 258-byte match as symbol 284 with all
// five extra bits set: valid to inflate, but every encoder (and the
// rebuilder) sends 258 as symbol 285, so it cannot be made again.
Bytes unreproducible_stream() {
  BitWriter bits;
  const Encoder literals(fixed_literal_lengths()), distances(fixed_distances());
  bits.bits(1, 1);
  bits.bits(1, 2);
  for (int i = 0; i < 40; ++i)
    literals.send(bits, 'a' + i % 3);
  literals.send(bits, 284);
  bits.bits(31, 5);
  distances.send(bits, 2); // distance 3
  literals.send(bits, kEndOfBlock);
  bits.bits(0, bits.to_boundary());
  return bits.bytes();
}

TEST(ImageStreams, AGzipFileExpandsToItsContentAndBack) {
  const Bytes content = test::sample_text(2000, 1);
  const Bytes image = test::gzip(content, 9);
  const ExpandedImage expanded = expand(image);
  ASSERT_EQ(expanded.places.size(), 1u);
  EXPECT_EQ(expanded.places[0].offset, 10u) << "after the gzip header";
  EXPECT_EQ(expanded.places[0].compressed_size, image.size() - 18) << "up to the gzip trailer";
  // The content lies whole in the expanded image, aligned.
  auto found = std::search(expanded.bytes.begin(), expanded.bytes.end(), content.begin(), content.end());
  ASSERT_NE(found, expanded.bytes.end());
  EXPECT_EQ((found - expanded.bytes.begin()) % 16, 0);
  EXPECT_EQ(rebuild(expanded), image);
}

TEST(ImageStreams, ZipEntriesAndZlibStreamsAtAnyOffsetAreFound) {
  Bytes image = {1, 2, 3};
  const Bytes zip = test::zip_with_entry("firmware/app.bin", test::sample_text(800, 2));
  image.insert(image.end(), zip.begin(), zip.end());
  image.insert(image.end(), 5, 0xFF);
  const Bytes zlib_stream = test::zlib(test::sample_text(900, 3), 6);
  image.insert(image.end(), zlib_stream.begin(), zlib_stream.end());
  const ExpandedImage expanded = expand(image);
  ASSERT_EQ(expanded.places.size(), 2u);
  EXPECT_EQ(expanded.places[0].offset, 3u + 30 + 16);
  EXPECT_EQ(expanded.places[1].offset, image.size() - zlib_stream.size() + 2);
  EXPECT_EQ(rebuild(expanded), image);
}

TEST(ImageStreams, AStreamEndingAtTheImagesEndIsTaken) {
  // A gzip member whose trailer is the image's last 8 bytes.
  Bytes image(100, 0x5A);
  const Bytes gz = test::gzip(test::sample_text(500, 4), 9);
  image.insert(image.end(), gz.begin(), gz.end());
  const ExpandedImage expanded = expand(image);
  ASSERT_EQ(expanded.places.size(), 1u);
  EXPECT_EQ(expanded.places[0].offset + expanded.places[0].compressed_size + 8, image.size());
  EXPECT_EQ(rebuild(expanded), image);
}

TEST(ImageStreams, AStreamWhoseWrapperDisagreesIsLeftAsItIs) {
  // Without its Adler-32 trailer a zlib stream may be bytes that only look
  // like one: random data decodes as a short fixed block often enough.
  const Bytes zlib_stream = test::zlib(test::sample_text(500, 4), 9);
  const Bytes cut(zlib_stream.begin(), zlib_stream.end() - 4);
  EXPECT_TRUE(expand(cut).places.empty());
  Bytes gz = test::gzip(test::sample_text(500, 4), 9);
  gz[gz.size() - 1] ^= 1; // the length in the trailer
  EXPECT_TRUE(expand(gz).places.empty());
}

TEST(ImageStreams, AStreamThatCannotBeMadeAgainIsLeftAsItIs) {
  Bytes image = {0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3};
  const Bytes stream = unreproducible_stream();
  image.insert(image.end(), stream.begin(), stream.end());
  image.insert(image.end(), 8, 0);
  const ExpandedImage expanded = expand(image);
  EXPECT_TRUE(expanded.places.empty());
  EXPECT_EQ(expanded.bytes, image);
}

TEST(ImageStreams, NestedStreamsRoundTripThroughTheOuterOne) {
  // gzip in a tar-like container in a zip: the outer entry is expanded, and
  // the gzip inside it travels as content.
  Bytes inner = Bytes(512, 0);
  const Bytes gz = test::gzip(test::sample_text(300, 5), 6);
  inner.insert(inner.end(), gz.begin(), gz.end());
  const Bytes image = test::zip_with_entry("nested.tar", inner);
  const ExpandedImage expanded = expand(image);
  ASSERT_EQ(expanded.places.size(), 1u);
  EXPECT_EQ(rebuild(expanded), image);
}

TEST(ImageStreams, BytesThatOnlyLookLikeHeadersAreLeftAsTheyAre) {
  Bytes image;
  std::uint32_t x = 7;
  for (int i = 0; i < 200000; ++i) {
    x = x * 1103515245u + 12345u;
    image.push_back(static_cast<std::uint8_t>(x >> 24));
    if (i % 997 == 0) image.insert(image.end(), {0x1F, 0x8B, 8, 0, 0x78, 0x9C, 'P', 'K', 3, 4, 8, 0});
  }
  const ExpandedImage expanded = expand(image);
  EXPECT_EQ(rebuild(expanded), image);
}

TEST(ImageStreams, StatedStreamsExpandAsFound) {
  const Bytes image = test::gzip(test::sample_text(700, 6), 6);
  const ExpandedImage found = expand(image);
  ASSERT_EQ(found.places.size(), 1u);
  EXPECT_EQ(found.places[0].zlib_level, 6u) << "zlib made it";
  std::vector<StreamPlace> stated = {{found.places[0].offset, found.places[0].compressed_size, 0, 6}};
  auto expanded = expand_stated_streams(image, stated, 1u << 24);
  ASSERT_TRUE(expanded) << expanded.error().message();
  EXPECT_EQ(*expanded, found.bytes);
  EXPECT_EQ(stated[0].expanded_size, found.places[0].expanded_size);
  // Stated without its level (as a DFZ1 payload states it), the stream's
  // parse is recorded: a larger form that rebuilds the same bytes.
  std::vector<StreamPlace> recorded = {{found.places[0].offset, found.places[0].compressed_size, 0, 0}};
  auto with_parse = expand_stated_streams(image, recorded, 1u << 24);
  ASSERT_TRUE(with_parse) << with_parse.error().message();
  EXPECT_GT(recorded[0].expanded_size, found.places[0].expanded_size);
  EXPECT_EQ(rebuild({*with_parse, recorded}), image);
  std::vector<StreamPlace> wrong = {{3, 20, 0}};
  auto refused = expand_stated_streams(image, wrong, 1u << 24);
  ASSERT_FALSE(refused);
  EXPECT_TRUE(refused.error().is(DeltaErrc::wrong_source));
}

TEST(ImageStreams, TheRebuilderRefusesAFormThatEndsInsideAStream) {
  const Bytes image = test::gzip(test::sample_text(700, 6), 6);
  const ExpandedImage expanded = expand(image);
  VectorWriter out;
  ImageRebuilder rebuilder(out, expanded.places);
  ASSERT_TRUE(rebuilder.write(ByteSpan(expanded.bytes).first(expanded.bytes.size() / 2)));
  EXPECT_FALSE(rebuilder.finish());
}

// Rebuilds `target` with `source`'s streams on offer, its expanded form
// written in pieces of `piece` bytes.
Bytes rebuild_reusing(const ExpandedImage& target, ByteSpan source_image, const ExpandedImage& source,
                      std::size_t piece, std::size_t& reused) {
  VectorWriter out;
  ImageRebuilder rebuilder(out, target.places, {source_image, source.bytes, source.places});
  for (std::size_t at = 0; at < target.bytes.size(); at += piece) {
    auto ok = rebuilder.write(ByteSpan(target.bytes).subspan(at, std::min(piece, target.bytes.size() - at)));
    EXPECT_TRUE(ok) << ok.error().message();
  }
  auto finished = rebuilder.finish();
  EXPECT_TRUE(finished) << finished.error().message();
  reused = rebuilder.reused();
  return out.bytes();
}

TEST(ImageStreams, AStreamEqualToASourceStreamIsCopiedFromTheSource) {
  const Bytes kept = test::zip_with_entry("firmware/app.bin", test::sample_text(900, 7));
  const Bytes changed_before = test::gzip(test::sample_text(600, 8), 9);
  const Bytes changed_after = test::gzip(test::sample_text(650, 9), 9);
  Bytes source_image = changed_before, target_image = {7, 7, 7};
  source_image.insert(source_image.end(), kept.begin(), kept.end());
  target_image.insert(target_image.end(), kept.begin(), kept.end());
  target_image.insert(target_image.end(), changed_after.begin(), changed_after.end());
  const ExpandedImage source = expand(source_image), target = expand(target_image);
  ASSERT_EQ(source.places.size(), 2u);
  ASSERT_EQ(target.places.size(), 2u);
  // The entry's form starts at another alignment in each expanded image,
  // so its records section is padded differently: equal streams, unequal
  // forms.
  auto form_start = [](const ExpandedImage& x, std::size_t index) {
    std::uint64_t expanded = 0, image = 0;
    for (std::size_t i = 0; i < index; ++i) {
      expanded += x.places[i].offset - image + x.places[i].expanded_size;
      image = x.places[i].offset + x.places[i].compressed_size;
    }
    return expanded + (x.places[index].offset - image);
  };
  EXPECT_NE(form_start(source, 1) % 16, form_start(target, 0) % 16);
  for (const std::size_t piece : {std::size_t{1}, std::size_t{7}, std::size_t{4096}, target.bytes.size()}) {
    std::size_t reused = 0;
    EXPECT_EQ(rebuild_reusing(target, source_image, source, piece, reused), target_image) << piece;
    EXPECT_EQ(reused, 1u) << "the zip entry, not the changed gzip member (pieces of " << piece << ")";
  }
}

TEST(ImageStreams, AStreamThatDepartsFromASourceStreamOfItsSizesIsRebuilt) {
  const Bytes image = test::gzip(test::sample_text(700, 10), 9);
  const ExpandedImage target = expand(image);
  ASSERT_EQ(target.places.size(), 1u);
  const StreamPlace& place = target.places[0];
  const std::uint64_t form_start = place.offset; // nothing before the stream expands
  // A source whose one stream has the target stream's sizes and expanded
  // form but for one byte, and bytes that are no deflate stream at all:
  // copying them would show in the output.
  for (const std::uint64_t departs_at : {std::uint64_t{0}, place.expanded_size / 2, place.expanded_size - 1}) {
    ExpandedImage source = target;
    source.bytes[form_start + departs_at] ^= 0x55;
    Bytes source_image(image.size(), 0xAA);
    for (const std::size_t piece : {std::size_t{1}, std::size_t{4096}, target.bytes.size()}) {
      std::size_t reused = 0;
      EXPECT_EQ(rebuild_reusing(target, source_image, source, piece, reused), image)
          << "departs at " << departs_at << ", pieces of " << piece;
      EXPECT_EQ(reused, 0u);
    }
  }
  // Equal to its last byte, it is copied: these are the source's bytes.
  Bytes source_image(image.size(), 0xAA);
  std::size_t reused = 0;
  const Bytes copied = rebuild_reusing(target, source_image, target, 4096, reused);
  EXPECT_EQ(reused, 1u);
  const auto stream_bytes = [&](const Bytes& b) {
    return Bytes(b.begin() + static_cast<std::ptrdiff_t>(place.offset),
                 b.begin() + static_cast<std::ptrdiff_t>(place.offset + place.compressed_size));
  };
  EXPECT_EQ(stream_bytes(copied), stream_bytes(source_image));
}

} // namespace
} // namespace dfota::delta::deflate
