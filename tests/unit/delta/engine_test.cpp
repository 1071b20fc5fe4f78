#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <set>

#include "core/hash.hpp"
#include "core/subprocess.hpp"
#include "delta/engine.hpp"
#include "support/test_support.hpp"

namespace dfota::delta {
namespace {

struct Case {
  std::string name;
  Bytes source;
  Bytes target;
};

std::vector<Case> edge_cases() {
  Bytes base = test::random_bytes(200000, 3);
  Bytes text;
  for (int i = 0; i < 5000; ++i) {
    std::string line = "line " + std::to_string(i) + " of the firmware strings table\n";
    text.insert(text.end(), line.begin(), line.end());
  }
  return {
      {"both_empty", {}, {}},
      {"empty_source", {}, test::random_bytes(5000, 1)},
      {"empty_target", test::random_bytes(5000, 2), {}},
      {"identical", base, base},
      {"one_byte", {0x5a}, {0xa5}},
      {"one_byte_to_many", {0x5a}, test::random_bytes(3000, 4)},
      {"edited", base, test::mutate(base, 5)},
      {"text_edited", text, test::mutate(text, 6)},
      {"unrelated", test::random_bytes(10000, 7), test::random_bytes(12000, 8)},
  };
}

class EngineRoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(EngineRoundTrip, EdgeCases) {
  const Engine* engine = find_engine(GetParam());
  ASSERT_NE(engine, nullptr);
  if (!engine->can_diff()) GTEST_SKIP() << GetParam() << " cannot encode here";
  for (const auto& c : edge_cases()) {
    VectorWriter payload;
    ASSERT_TRUE(engine->diff(c.source, c.target, payload)) << c.name;
    SpanReader reader(payload.bytes());
    VectorWriter out;
    auto ok = engine->apply(c.source, reader, out, c.target.size());
    ASSERT_TRUE(ok) << c.name << ": " << ok.error().message();
    EXPECT_EQ(out.bytes(), c.target) << c.name;
    if (c.name == "edited" && GetParam() != "full") {
      EXPECT_LT(payload.bytes().size(), c.target.size() / 20) << "a small edit must give a small delta";
    }
  }
}

// check_applies() passes a payload that makes the target and names what is
// wrong with one that does not: other bytes, fewer, more, or none at all.
TEST_P(EngineRoundTrip, ChecksThatAPayloadAppliesBackToItsTarget) {
  const Engine* engine = find_engine(GetParam());
  ASSERT_NE(engine, nullptr);
  if (!engine->can_diff()) GTEST_SKIP() << GetParam() << " cannot encode here";
  const Bytes source = test::random_bytes(50000, 31);
  const Bytes target = test::mutate(source, 32);
  VectorWriter payload;
  ASSERT_TRUE(engine->diff(source, target, payload));
  EXPECT_TRUE(check_applies(*engine, source, payload.bytes(), target));

  Bytes other = target;
  other[40000] ^= 0x01;
  auto differs = check_applies(*engine, source, payload.bytes(), other);
  ASSERT_FALSE(differs);
  EXPECT_EQ(differs.error().code(), make_error_code(DeltaErrc::encode_failed));
  EXPECT_NE(differs.error().message().find(GetParam() + " made a payload that does not apply"), std::string::npos)
      << differs.error().message();
  EXPECT_NE(differs.error().message().find("from byte 40000"), std::string::npos) << differs.error().message();

  EXPECT_FALSE(check_applies(*engine, source, payload.bytes(), ByteSpan(target).first(target.size() - 1)));
  Bytes longer = target;
  longer.push_back(0);
  EXPECT_FALSE(check_applies(*engine, source, payload.bytes(), longer));
  EXPECT_FALSE(check_applies(*engine, source, ByteSpan(payload.bytes()).first(payload.bytes().size() / 2), target));
}

// apply_into() decodes the same bytes into a region of the target's size,
// and refuses a payload that decodes to another size.
TEST_P(EngineRoundTrip, DecodesIntoARegion) {
  const Engine* engine = find_engine(GetParam());
  if (!engine->can_diff()) GTEST_SKIP();
  for (const auto& c : edge_cases()) {
    VectorWriter payload;
    ASSERT_TRUE(engine->diff(c.source, c.target, payload)) << c.name;
    Bytes region(c.target.size(), 0xee);
    SpanReader reader(payload.bytes());
    auto ok = engine->apply_into(c.source, reader, region);
    ASSERT_TRUE(ok) << c.name << ": " << ok.error().message();
    EXPECT_EQ(region, c.target) << c.name;
    if (c.target.empty()) continue;
    for (std::size_t size : {c.target.size() - 1, c.target.size() + 1}) {
      Bytes other(size);
      SpanReader again(payload.bytes());
      auto refused = engine->apply_into(c.source, again, other);
      ASSERT_FALSE(refused) << c.name << " into " << size;
      EXPECT_EQ(refused.error().code(), make_error_code(DeltaErrc::wrong_size))
          << c.name << ": " << refused.error().message();
    }
    SpanReader cut(ByteSpan(payload.bytes()).first(payload.bytes().size() / 2));
    EXPECT_FALSE(engine->apply_into(c.source, cut, region)) << c.name << ": half a payload";
  }
}

TEST_P(EngineRoundTrip, RefusesAWrongAnnouncedSize) {
  const Engine* engine = find_engine(GetParam());
  if (!engine->can_diff()) GTEST_SKIP();
  Bytes source = test::random_bytes(4000, 11), target = test::mutate(source, 12);
  VectorWriter payload;
  ASSERT_TRUE(engine->diff(source, target, payload));
  for (std::uint64_t wrong : {target.size() - 1, target.size() + 1}) {
    SpanReader reader(payload.bytes());
    VectorWriter out;
    auto ok = engine->apply(source, reader, out, wrong);
    ASSERT_FALSE(ok) << wrong;
    EXPECT_TRUE(ok.error().is(DeltaErrc::wrong_size)) << ok.error().message();
  }
}

TEST_P(EngineRoundTrip, TruncatedPayloadsFailCleanly) {
  const Engine* engine = find_engine(GetParam());
  if (!engine->can_diff()) GTEST_SKIP();
  Bytes source = test::random_bytes(50000, 21), target = test::mutate(source, 22);
  VectorWriter payload;
  ASSERT_TRUE(engine->diff(source, target, payload));
  const Bytes& p = payload.bytes();
  for (std::size_t cut = 0; cut < p.size(); cut += std::max<std::size_t>(1, p.size() / 37)) {
    SpanReader reader(ByteSpan(p).first(cut));
    VectorWriter out;
    EXPECT_FALSE(engine->apply(source, reader, out, target.size())) << "cut at " << cut;
  }
}

// Images that are themselves compressed streams (a gzip file) are diffed as
// the bytes they are: xdelta3, run by the vcdiff engine, would otherwise
// gunzip both first and make a payload of bytes no applier is given.
TEST_P(EngineRoundTrip, CompressedImagesAreDiffedAsTheyAre) {
  const Engine* engine = find_engine(GetParam());
  if (!engine->can_diff() || !program_available("gzip")) GTEST_SKIP();
  test::ScratchDir dir;
  const Bytes plain = test::random_bytes(200000, 51);
  test::write_file(dir / "old", plain);
  test::write_file(dir / "new", test::mutate(plain, 52));
  for (const char* name : {"old", "new"}) {
    auto gzip = run_program({"gzip", "-n", "-k", "-f", (dir / name).string()});
    ASSERT_TRUE(gzip && gzip->exit_status == 0);
  }
  const Bytes source = test::read_bytes(dir / "old.gz"), target = test::read_bytes(dir / "new.gz");
  ASSERT_EQ(source[0], 0x1F);
  VectorWriter payload;
  ASSERT_TRUE(engine->diff(source, target, payload));
  SpanReader reader(payload.bytes());
  VectorWriter out;
  auto applied = engine->apply(source, reader, out, target.size());
  ASSERT_TRUE(applied) << applied.error().message();
  EXPECT_TRUE(out.bytes() == target);
}

// What an engine tells of its progress is a share in [0, 1] that never says
// done before diff() returns; the native engine and zstd tell
// shares within a large image, not only at its end.
TEST_P(EngineRoundTrip, TellsItsProgressAsARisingShare) {
  const Engine* engine = find_engine(GetParam());
  if (!engine->can_diff()) GTEST_SKIP();
  const Bytes source = test::random_bytes(6u << 20, 41);
  const Bytes target = test::mutate(source, 42);
  std::mutex mutex;
  std::vector<double> told;
  VectorWriter payload;
  ASSERT_TRUE(engine->diff(source, target, payload, [&](double fraction) {
    std::lock_guard lock(mutex);
    told.push_back(fraction);
  }));
  for (double fraction : told) {
    EXPECT_GE(fraction, 0.0);
    EXPECT_LT(fraction, 1.0) << "1 is for the caller to say, once diff() has returned";
  }
  if (GetParam() == "native" || GetParam() == "zstd" || GetParam() == "full") {
    std::set<int> percents;
    for (double fraction : told)
      percents.insert(static_cast<int>(fraction * 100));
    EXPECT_GE(percents.size(), 3u) << "a 6 MiB image is told in steps";
  }
  if (GetParam() == "native") {
    ASSERT_FALSE(told.empty());
    EXPECT_GE(*std::max_element(told.begin(), told.end()), 0.5) << "matching and prediction are told as done";
  }
}

INSTANTIATE_TEST_SUITE_P(AllEngines, EngineRoundTrip, ::testing::Values("native", "zstd", "vcdiff", "full"));

// Images above 64 MiB cross the default limits of zstd's window and
// xdelta3's source buffer; both must still round-trip.
TEST(EngineLargeImage, RoundTripsAbove64MiB) {
  const std::size_t size = (64u << 20) + 12345;
  Bytes source(size);
  Bytes block = test::random_bytes(1 << 20, 31);
  for (std::size_t i = 0; i < size; ++i)
    source[i] = static_cast<std::uint8_t>(block[i % block.size()] ^ (i >> 20));
  Bytes target = source;
  for (std::size_t i = 0; i < 64; ++i)
    target[(i * 1048583) % size] ^= 0x5a;
  target.insert(target.begin() + (40 << 20), block.begin(), block.begin() + 4096);
  for (const char* name : {"zstd", "vcdiff"}) {
    const Engine* engine = find_engine(name);
    if (!engine->can_diff()) continue;
    VectorWriter payload;
    ASSERT_TRUE(engine->diff(source, target, payload)) << name;
    EXPECT_LT(payload.bytes().size(), target.size() / 10) << name;
    SpanReader reader(payload.bytes());
    DigestWriter digest;
    auto ok = engine->apply(source, reader, digest, target.size());
    ASSERT_TRUE(ok) << name << ": " << ok.error().message();
    EXPECT_EQ(digest.finish().sha256, sha256_hex(target)) << name;
  }
}

// Takes `room` bytes, then refuses every write.
class RefusingWriter final : public Writer {
public:
  explicit RefusingWriter(std::size_t room) : room_(room) {}
  Status write(ByteSpan data) override {
    if (taken_ + data.size() > room_) {
      refused_ = true;
      return make_error(DeltaErrc::limit_exceeded, "no room");
    }
    taken_ += data.size();
    ++writes_;
    return {};
  }
  std::size_t writes() const { return writes_; }
  bool refused() const { return refused_; }

private:
  std::size_t room_, taken_ = 0, writes_ = 0;
  bool refused_ = false;
};

// An engine that says it writes as it encodes hands its payload over in
// pieces, so that a writer refusing more stops it with the writer's error.
TEST(Engines, ThoseWritingAsTheyEncodeStopAtARefusingWriter) {
  const Bytes source = test::random_bytes(1 << 20, 41);
  const Bytes target = test::random_bytes(2 << 20, 42); // nothing in common: a payload of about 2 MiB
  for (const auto& name : engine_names()) {
    const Engine* engine = find_engine(name);
    if (!engine->writes_as_it_encodes()) continue;
    RefusingWriter refusing(512 << 10);
    auto ok = engine->diff(source, target, refusing);
    ASSERT_FALSE(ok) << name;
    EXPECT_EQ(ok.error().code(), make_error_code(DeltaErrc::limit_exceeded)) << name;
    EXPECT_TRUE(refusing.refused()) << name;
    EXPECT_GT(refusing.writes(), 1u) << name << ": the payload came in one piece";
    // Whole, the payload still states its size: it applies with the size
    // unknown.
    VectorWriter payload;
    ASSERT_TRUE(engine->diff(source, target, payload)) << name;
    SpanReader reader(payload.bytes());
    VectorWriter applied;
    ASSERT_TRUE(engine->apply(source, reader, applied, kUnknownSize)) << name;
    EXPECT_EQ(applied.bytes(), target) << name;
  }
}

TEST(Engines, Registry) {
  for (const auto& name : engine_names())
    EXPECT_NE(find_engine(name), nullptr) << name;
  EXPECT_EQ(find_engine("bsdiff"), nullptr);
}

// Hands out its bytes one at a time, as a slow pipe does.
class TrickleReader final : public Reader {
public:
  explicit TrickleReader(ByteSpan data) : data_(data) {}
  Expected<std::size_t> read(std::span<std::uint8_t> buffer) override {
    if (data_.empty() || buffer.empty()) return std::size_t{0};
    buffer[0] = data_[0];
    data_ = data_.subspan(1);
    return std::size_t{1};
  }

private:
  ByteSpan data_;
};

TEST(ZstdEngines, APayloadArrivingAByteAtATimeDecodes) {
  const Bytes source = test::random_bytes(50000, 11), target = test::mutate(source, 12);
  for (const char* name : {"zstd", "full"}) {
    const Engine* engine = find_engine(name);
    VectorWriter payload;
    ASSERT_TRUE(engine->diff(source, target, payload));
    for (const std::uint64_t size : {static_cast<std::uint64_t>(target.size()), kUnknownSize}) {
      TrickleReader slow(payload.bytes());
      VectorWriter out;
      auto applied = engine->apply(source, slow, out, size);
      ASSERT_TRUE(applied) << name << ": " << applied.error().message();
      EXPECT_EQ(out.bytes(), target) << name;
    }
  }
}

TEST(ZstdEngines, AStatedSizeOtherThanTheAnnouncedOneIsRefusedBeforeDecoding) {
  // 64 MiB of zeros: a payload of a few KiB that would make the decoder
  // allocate a 64 MiB window and write 64 MiB.
  const Bytes bomb_target(64u << 20, 0);
  const Engine* full = find_engine("full");
  VectorWriter payload;
  ASSERT_TRUE(full->diff({}, bomb_target, payload));
  ASSERT_LT(payload.bytes().size(), 16u << 10);
  SpanReader reader(payload.bytes());
  CountingWriter written;
  auto applied = full->apply({}, reader, written, 1000);
  ASSERT_FALSE(applied);
  EXPECT_TRUE(applied.error().is(DeltaErrc::wrong_size)) << applied.error().message();
  EXPECT_EQ(written.count(), 0u) << "bytes were decoded before the stated size was checked";
  EXPECT_FALSE(full->check_stated_size(ByteSpan(payload.bytes()).first(18), 1000));
  EXPECT_TRUE(full->check_stated_size(ByteSpan(payload.bytes()).first(18), bomb_target.size()));
  EXPECT_TRUE(find_engine("vcdiff")->check_stated_size(ByteSpan(payload.bytes()).first(18), 1000))
      << "engines whose payloads state nothing up front pass";
  auto native_check = find_engine("native")->check_stated_size(ByteSpan(payload.bytes()).first(18), 1000);
  ASSERT_FALSE(native_check) << "a native payload states its sizes up front; this one is not native";
  EXPECT_TRUE(native_check.error().is(DeltaErrc::corrupt_payload)) << native_check.error().message();
}

} // namespace
} // namespace dfota::delta
