// The native payload's deflate layer: images that carry deflate streams
// are diffed by their contents and made again bit for bit.
#include "delta/native/stream_layer.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include "delta/change_map.hpp"
#include "delta/engine.hpp"
#include "support/deflate_streams.hpp"
#include "support/test_support.hpp"

namespace dfota::delta {
namespace {

// Two releases of a text: lines edited here and there, some inserted.
Bytes release(int version) {
  Bytes text = test::sample_text(30000, 11);
  if (version == 2) {
    for (std::size_t at = 5000; at + 20 < text.size(); at += 97000)
      std::memcpy(text.data() + at, "EDITED-IN-VERSION-2!", 20);
    const Bytes inserted = test::sample_text(40, 12);
    text.insert(text.begin() + 400000, inserted.begin(), inserted.end());
  }
  return text;
}

// An image as firmware is shipped: a header, a gzip member, a zlib stream.
Bytes image_of(int version) {
  Bytes image(64, static_cast<std::uint8_t>(version));
  const Bytes text = release(version);
  const Bytes gz = test::gzip(text, 9);
  image.insert(image.end(), gz.begin(), gz.end());
  const Bytes z = test::zlib(ByteSpan(text).first(100000), 6);
  image.insert(image.end(), z.begin(), z.end());
  return image;
}

Bytes diff(ByteSpan source, ByteSpan target) {
  VectorWriter payload;
  auto ok = find_engine("native")->diff(source, target, payload);
  EXPECT_TRUE(ok) << ok.error().message();
  return payload.bytes();
}

Expected<Bytes> apply(ByteSpan source, ByteSpan payload, std::uint64_t size) {
  SpanReader reader(payload);
  VectorWriter out;
  if (auto ok = find_engine("native")->apply(source, reader, out, size); !ok) return ok.error();
  return out.bytes();
}

TEST(StreamLayer, AnImageWithStreamsIsDiffedByItsContentAndMadeAgainExactly) {
  const Bytes source = image_of(1), target = image_of(2);
  const Bytes payload = diff(source, target);
  ASSERT_GE(payload.size(), 4u);
  EXPECT_EQ(std::memcmp(payload.data(), native::kStreamLayerMagic, 4), 0);
  VectorWriter plain;
  ASSERT_TRUE(native::diff_images(source, target, plain, {}));
  EXPECT_LT(payload.size() * 4, plain.bytes().size())
      << "layered " << payload.size() << " B, plain " << plain.bytes().size() << " B";
  auto made = apply(source, payload, target.size());
  ASSERT_TRUE(made) << made.error().message();
  EXPECT_EQ(*made, target);
}

TEST(StreamLayer, StreamsTheTargetKeepsUnchangedApplyExactlyWhereverTheyMoved) {
  // Zip entries, a gzip member and a zlib stream as a new release lays them
  // out: one entry changed, the others unchanged but moved by a few bytes
  // (so their expanded forms are aligned afresh); the zlib stream, made
  // with the filtered strategy, keeps its parse, the others are zlib-made.
  const Bytes kept_a = test::zip_with_entry("app/a.bin", test::sample_text(3000, 21));
  const Bytes kept_b = test::gzip(test::sample_text(2500, 22), 9);
  const Bytes kept_c = test::raw_deflate_in_zlib(test::sample_text(2000, 23), 6, test::Strategy::filtered);
  auto image = [&](int version) {
    Bytes out(40 + version * 3, static_cast<std::uint8_t>(version));
    const Bytes changed = test::zip_with_entry("app/changed.bin", test::sample_text(2800, 20 + version * 10));
    for (const Bytes* part : {&changed, &kept_a, &kept_b, &kept_c}) {
      out.insert(out.end(), part->begin(), part->end());
      out.insert(out.end(), static_cast<std::size_t>(version), 0x20);
    }
    return out;
  };
  const Bytes source = image(1), target = image(2);
  const Bytes payload = diff(source, target);
  ASSERT_GE(payload.size(), 4u);
  EXPECT_EQ(std::memcmp(payload.data(), native::kStreamLayerMagic, 4), 0);
  // Both kinds of stream are in the payload: four in each image, one of
  // them recorded.
  SpanReader reader(ByteSpan(payload).subspan(4));
  native::BufferedInput in(reader);
  auto header = native::read_stream_layer_header(in, 2, source.size(), target.size());
  ASSERT_TRUE(header) << header.error().message();
  ASSERT_EQ(header->source_streams.size(), 4u);
  ASSERT_EQ(header->target_streams.size(), 4u);
  EXPECT_EQ(std::count_if(header->source_streams.begin(), header->source_streams.end(),
                          [](const deflate::StreamPlace& p) { return p.zlib_level == 0; }),
            1);
  auto made = apply(source, payload, target.size());
  ASSERT_TRUE(made) << made.error().message();
  EXPECT_EQ(*made, target);
}

TEST(StreamLayer, AnImageWithoutStreamsGetsThePlainPayload) {
  const Bytes source = release(1), target = release(2);
  const Bytes payload = diff(source, target);
  EXPECT_EQ(std::memcmp(payload.data(), "DFN5", 4), 0);
  const Bytes to_nothing = diff(source, Bytes{});
  EXPECT_EQ(std::memcmp(to_nothing.data(), "DFN5", 4), 0) << "an empty target has no streams either";
}

TEST(StreamLayer, AnotherSourceIsRefusedBeforeAnythingIsWritten) {
  const Bytes payload = diff(image_of(1), image_of(2));
  Bytes other = image_of(1);
  other[3] ^= 1;
  SpanReader reader(payload);
  CountingWriter written;
  auto applied = find_engine("native")->apply(other, reader, written, kUnknownSize);
  ASSERT_FALSE(applied);
  EXPECT_TRUE(applied.error().is(DeltaErrc::wrong_source)) << applied.error().message();
  EXPECT_EQ(written.count(), 0u);
}

TEST(StreamLayer, TheStatedSizeIsCheckedUpFront) {
  const Bytes target = image_of(2);
  const Bytes payload = diff(image_of(1), target);
  const Engine* native = find_engine("native");
  EXPECT_TRUE(native->check_stated_size(ByteSpan(payload).first(18), target.size()));
  auto wrong = native->check_stated_size(ByteSpan(payload).first(18), target.size() + 1);
  ASSERT_FALSE(wrong);
  EXPECT_TRUE(wrong.error().is(DeltaErrc::wrong_size));
  auto applied = apply(image_of(1), payload, target.size() + 1);
  ASSERT_FALSE(applied);
  EXPECT_TRUE(applied.error().is(DeltaErrc::wrong_size));
}

TEST(StreamLayer, ThePayloadsApplyMemoryCountsTheExpandedSource) {
  const Bytes source = image_of(1), target = image_of(2);
  const Bytes payload = diff(source, target);
  const Engine* native = find_engine("native");
  const std::uint64_t plain = native->apply_memory(source.size(), target.size());
  const std::uint64_t layered = native->apply_memory_of(payload, source.size(), target.size());
  EXPECT_GT(layered, plain + release(1).size()) << "the expanded source is held whole";
  EXPECT_LT(layered, plain + 4 * source.size() + native::stream_layer_memory(native::kMaxStatedStreams) + (1u << 20));
}

TEST(StreamLayer, ACutOrDamagedPayloadFailsCleanly) {
  const Bytes source = image_of(1), target = image_of(2);
  const Bytes payload = diff(source, target);
  for (const std::size_t cut : {std::size_t{5}, std::size_t{60}, payload.size() / 2, payload.size() - 1}) {
    auto applied = apply(source, ByteSpan(payload).first(cut), kUnknownSize);
    EXPECT_FALSE(applied) << "cut at " << cut;
  }
}

TEST(StreamLayer, TheChangeMapCoversTheImage) {
  const Bytes target = image_of(2);
  const Bytes payload = diff(image_of(1), target);
  SpanReader reader(payload);
  auto map = native_change_map(reader, target.size(), 32);
  ASSERT_TRUE(map) << map.error().message();
  EXPECT_EQ(map->target_size, target.size());
  std::uint64_t total = 0;
  for (std::uint64_t t : map->totals)
    total += t;
  EXPECT_LE(total, target.size());
  EXPECT_GT(total, target.size() * 9 / 10) << "spread evenly, a stream's bytes lose at most a rounding";
  EXPECT_GT(map->totals[static_cast<std::size_t>(ByteOrigin::kept)] +
                map->totals[static_cast<std::size_t>(ByteOrigin::moved)],
            target.size() / 2);
}

TEST(StreamLayer, APayloadOfTheFirstLayerVersionStillApplies) {
  // Made once by the DFZ1 encoder (DFOTA_UPDATE_GOLDEN=1 makes them again):
  // two gzip files of made-up text, and the payload between them.
  const auto dir = test::source_dir() / "tests" / "golden";
  if (const char* update = std::getenv("DFOTA_UPDATE_GOLDEN"); update && std::string(update) == "1") {
    Bytes text = test::sample_text(400, 21);
    test::write_file(dir / "dfz1-source.gz", test::gzip(text, 9));
    std::memcpy(text.data() + 3000, "CHANGED", 7);
    test::write_file(dir / "dfz1-target.gz", test::gzip(text, 9));
    test::write_file(dir / "dfz1-payload.bin",
                     diff(test::read_bytes(dir / "dfz1-source.gz"), test::read_bytes(dir / "dfz1-target.gz")));
  }
  const Bytes source = test::read_bytes(dir / "dfz1-source.gz"), target = test::read_bytes(dir / "dfz1-target.gz");
  const Bytes payload = test::read_bytes(dir / "dfz1-payload.bin");
  ASSERT_EQ(std::string(payload.begin(), payload.begin() + 4), "DFZ1");
  auto made = apply(source, payload, target.size());
  ASSERT_TRUE(made) << made.error().message();
  EXPECT_EQ(*made, target);
}

Bytes joined(Bytes a, ByteSpan b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// An image with a zlib-made gzip member and a stream zlib's default
// settings do not make (Huffman codes only), which keeps its parse.
Bytes mixed_image(int version) {
  const Bytes text = release(version);
  return joined(test::gzip(text, 6),
                test::raw_deflate_in_zlib(ByteSpan(text).first(200000), 6, test::Strategy::huffman_only));
}

TEST(StreamLayer, ASourceStreamZlibMakesIsStatedWithItsLevelAndOthersKeepTheirParse) {
  const Bytes source = mixed_image(1), target = mixed_image(2);
  const Bytes payload = diff(source, target);
  ASSERT_EQ(std::string(payload.begin(), payload.begin() + 4), "DFZ2");
  SpanReader reader(ByteSpan(payload).subspan(4));
  native::BufferedInput in(reader);
  auto header = native::read_stream_layer_header(in, 2, source.size(), target.size());
  ASSERT_TRUE(header) << header.error().message();
  ASSERT_EQ(header->source_streams.size(), 2u);
  EXPECT_EQ(header->source_streams[0].zlib_level, 6u);
  EXPECT_EQ(header->source_streams[1].zlib_level, 0u) << "Huffman codes only: its parse is recorded";
  auto made = apply(source, payload, target.size());
  ASSERT_TRUE(made) << made.error().message();
  EXPECT_EQ(*made, target);
  EXPECT_LT(payload.size(), target.size() / 20);
}

TEST(StreamLayer, TheEncoderWritesTheGoldenPayloadOfTheSecondLayerVersion) {
  // DFOTA_UPDATE_GOLDEN=1 makes them again: two gzip files of made-up text
  // (one zlib-made, one of Huffman codes only, so both kinds of source
  // stream are stated), and the payload between them.
  const auto dir = test::source_dir() / "tests" / "golden";
  Bytes text = test::sample_text(400, 22);
  const Bytes source = joined(test::gzip(text, 9), test::raw_deflate_in_zlib(text, 6, test::Strategy::huffman_only));
  std::memcpy(text.data() + 3000, "CHANGED", 7);
  const Bytes target = joined(test::gzip(text, 9), test::raw_deflate_in_zlib(text, 6, test::Strategy::huffman_only));
  const Bytes payload = diff(source, target);
  if (const char* update = std::getenv("DFOTA_UPDATE_GOLDEN"); update && std::string(update) == "1")
    test::write_file(dir / "dfz2-payload.bin", payload);
  EXPECT_EQ(payload, test::read_bytes(dir / "dfz2-payload.bin")) << "the format changed: a new layer version is due";
  auto made = apply(source, test::read_bytes(dir / "dfz2-payload.bin"), target.size());
  ASSERT_TRUE(made) << made.error().message();
  EXPECT_EQ(*made, target);
}

std::vector<PayloadFact> described(ByteSpan payload) {
  SpanReader reader(payload);
  auto facts = find_engine("native")->describe_payload(reader);
  EXPECT_TRUE(facts) << facts.error().message();
  return facts ? *facts : std::vector<PayloadFact>{};
}

TEST(StreamLayer, ALayeredPayloadTellsItsLayerItsStreamsAndItsInnerPayload) {
  const auto dir = test::source_dir() / "tests" / "golden";
  const auto facts = described(test::read_bytes(dir / "dfz2-payload.bin"));
  ASSERT_EQ(facts.size(), 4u);
  EXPECT_EQ(facts[0].name, "deflate layer");
  EXPECT_EQ(facts[0].value, "DFZ2");
  EXPECT_EQ(facts[1].name, "source streams");
  EXPECT_EQ(facts[1].value.rfind("2 (1 made again by zlib, 1 with their parse recorded), ", 0), 0u) << facts[1].value;
  EXPECT_EQ(facts[2].name, "target streams");
  EXPECT_EQ(facts[2].value.rfind("2, ", 0), 0u) << facts[2].value;
  EXPECT_EQ(facts[3].name, "plain payload");
  EXPECT_EQ(facts[3].value.rfind("DFN5, ", 0), 0u) << facts[3].value;

  // The first layer version states no zlib level: every stream is recorded.
  const auto old_facts = described(test::read_bytes(dir / "dfz1-payload.bin"));
  ASSERT_EQ(old_facts.size(), 4u);
  EXPECT_EQ(old_facts[0].value, "DFZ1");
  EXPECT_EQ(old_facts[1].value.rfind("1 (0 made again by zlib, 1 with their parse recorded), ", 0), 0u)
      << old_facts[1].value;
}

TEST(StreamLayer, ALayeredPayloadCutInsideItsHeaderIsNotDescribed) {
  const Bytes payload = test::read_bytes(test::source_dir() / "tests" / "golden" / "dfz2-payload.bin");
  for (std::size_t cut : {std::size_t{4}, std::size_t{6}, std::size_t{40}}) {
    SpanReader reader(ByteSpan(payload).first(cut));
    auto facts = find_engine("native")->describe_payload(reader);
    EXPECT_FALSE(facts) << "cut at " << cut;
  }
}

} // namespace
} // namespace dfota::delta
