// The decoder against the xdelta3 program's own output, in every variant the
// program writes by default or on request, and against damaged input.
#include <gtest/gtest.h>

#include "core/subprocess.hpp"
#include "delta/engine.hpp"
#include "delta/vcdiff_decoder.hpp"
#include "support/test_support.hpp"

namespace dfota::delta {
namespace {

class VcdiffDecoder : public ::testing::Test {
protected:
  void SetUp() override {
    if (!program_available("xdelta3")) GTEST_SKIP() << "xdelta3 is not installed";
    source_ = test::random_bytes(300000, 41);
    // Make the source compressible-ish so that secondary compression has work.
    for (std::size_t i = 0; i < source_.size(); i += 3)
      source_[i] = static_cast<std::uint8_t>(i % 7);
    target_ = test::mutate(source_, 42);
    test::write_file(dir_ / "source", source_);
    test::write_file(dir_ / "target", target_);
  }

  // Runs xdelta3 with extra options and returns its payload.
  Bytes encode(std::vector<std::string> options) {
    std::vector<std::string> argv{"xdelta3", "-e", "-f"};
    argv.insert(argv.end(), options.begin(), options.end());
    for (const char* a : {"-s", "source", "target", "payload"}) {
      argv.push_back(std::string(a) == "-s" ? a : (dir_ / a).string());
    }
    auto r = run_program(argv);
    EXPECT_TRUE(r && r->exit_status == 0) << (r ? r->error_output : r.error().message());
    return test::read_bytes(dir_ / "payload");
  }

  Status decode(const Bytes& payload, ByteSpan source, Bytes* out = nullptr) {
    SpanReader reader(payload);
    VectorWriter writer;
    Status s = vcdiff_decode(source, reader, writer);
    if (out) *out = writer.bytes();
    return s;
  }

  test::ScratchDir dir_;
  Bytes source_, target_;
};

TEST_F(VcdiffDecoder, DecodesEveryXdelta3Variant) {
  const std::vector<std::vector<std::string>> variants{
      {},             // xdelta3's defaults: LZMA secondary, app header, Adler-32
      {"-S", "none"}, // no secondary compression
      {"-S", "lzma", "-9"},
      {"-S", "none", "-n"},          // no checksum
      {"-A", "-S", "lzma"},          // no application header
      {"-0"},                        // fastest
      {"-W", "16384", "-S", "lzma"}, // many small windows: LZMA state spans windows
  };
  for (const auto& options : variants) {
    Bytes payload = encode(options);
    Bytes out;
    Status s = decode(payload, source_, &out);
    std::string label;
    for (const auto& o : options)
      label += o + " ";
    ASSERT_TRUE(s) << label << ": " << s.error().message();
    EXPECT_EQ(out, target_) << label;
  }
}

TEST_F(VcdiffDecoder, OurPayloadsDecodeWithXdelta3) {
  const Engine* engine = find_engine("vcdiff");
  VectorWriter payload;
  ASSERT_TRUE(engine->diff(source_, target_, payload));
  test::write_file(dir_ / "ours", payload.bytes());
  auto r = run_program(
      {"xdelta3", "-d", "-f", "-s", (dir_ / "source").string(), (dir_ / "ours").string(), (dir_ / "decoded").string()});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->exit_status, 0) << r->error_output;
  EXPECT_EQ(test::read_bytes(dir_ / "decoded"), target_);
}

TEST_F(VcdiffDecoder, NamesUnsupportedSecondaryCompressors) {
  for (const char* sec : {"djw", "fgk"}) {
    Status s = decode(encode({"-S", sec}), source_);
    ASSERT_FALSE(s) << sec;
    EXPECT_TRUE(s.error().is(CoreErrc::unsupported)) << s.error().message();
    EXPECT_NE(s.error().message().find(sec), std::string::npos) << s.error().message();
  }
}

TEST_F(VcdiffDecoder, DetectsAWrongSourceByChecksum) {
  Bytes payload = encode({});
  Bytes other = source_;
  for (std::size_t i = 0; i < other.size(); i += 1000)
    other[i] ^= 0xff;
  Status s = decode(payload, other);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("checksum"), std::string::npos) << s.error().message();
}

TEST_F(VcdiffDecoder, RefusesGarbageAndASourceThatIsTooShort) {
  Status garbage = decode(test::random_bytes(100, 1), source_);
  ASSERT_FALSE(garbage);
  EXPECT_TRUE(garbage.error().is(DeltaErrc::corrupt_payload));
  Status short_source = decode(encode({}), ByteSpan(source_).first(1000));
  ASSERT_FALSE(short_source);
  EXPECT_TRUE(short_source.error().is(DeltaErrc::corrupt_payload));
}

// Random damage must end in an error or some output, never a crash or a hang.
TEST_F(VcdiffDecoder, SurvivesBitFlipsAndTruncation) {
  const Bytes payload = encode({"-S", "lzma"});
  const Bytes plain = encode({"-S", "none", "-n"});
  for (const Bytes* base : {&payload, &plain}) {
    for (std::uint32_t i = 0; i < 300; ++i) {
      Bytes damaged = *base;
      Bytes noise = test::random_bytes(8, i);
      damaged[noise[0] * 997u % damaged.size()] ^= static_cast<std::uint8_t>(1u << (noise[1] % 8));
      if (i % 3 == 0) damaged[noise[2] * 131u % damaged.size()] = noise[3];
      (void)decode(damaged, source_);
    }
    for (std::size_t cut = 0; cut < base->size(); cut += 97) {
      Bytes truncated(base->begin(), base->begin() + static_cast<std::ptrdiff_t>(cut));
      EXPECT_FALSE(decode(truncated, source_)) << "cut " << cut;
    }
  }
}

TEST(VcdiffLimits, RefusesWindowsAboveTheLimit) {
  // Header, then a window announcing a 1 GiB target.
  Bytes payload{0xd6, 0xc3, 0xc4, 0x00, 0x00, 0x00, 0x10, 0x84, 0x80, 0x80, 0x80, 0x00};
  SpanReader reader(payload);
  CountingWriter out;
  Status s = vcdiff_decode({}, reader, out);
  ASSERT_FALSE(s);
  EXPECT_TRUE(s.error().is(DeltaErrc::limit_exceeded)) << s.error().message();
}

TEST(VcdiffLimits, AWindowLargerThanXdelta3WritesIsRefused) {
  // xdelta3 writes target windows of at most 16 MiB; one byte more is refused
  // before anything is allocated, so a crafted payload's memory stays near
  // one window and its sections (docs/trust.md).
  EXPECT_EQ(VcdiffLimits{}.max_window_size, 16u << 20);
  Bytes payload{0xd6, 0xc3, 0xc4, 0x00, 0x00, 0x00, 0x10, 0x88, 0x80, 0x80, 0x01};
  SpanReader reader(payload);
  CountingWriter out;
  Status s = vcdiff_decode({}, reader, out);
  ASSERT_FALSE(s);
  EXPECT_TRUE(s.error().is(DeltaErrc::limit_exceeded)) << s.error().message();
  EXPECT_EQ(out.count(), 0u);
}

} // namespace
} // namespace dfota::delta
