#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "core/hash.hpp"
#include "delta/engine.hpp"
#include "delta/native/control.hpp"
#include "delta/native/references.hpp"
#include "delta/native/varint.hpp"
#include "support/test_support.hpp"

namespace dfota::delta {
namespace {

void put32(Bytes& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i)
    b[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

// A little-endian 32-bit ARM ELF whose one PT_LOAD maps the whole file at
// 0x10000, holding "functions" of random words, BL calls between them and
// literal words pointing into the image.
Bytes arm_image(std::uint32_t seed, std::size_t functions, std::size_t inserted_at, std::size_t inserted_words) {
  std::mt19937 rng(seed);
  std::vector<std::size_t> starts;
  Bytes body;
  for (std::size_t f = 0; f < functions; ++f) {
    if (f == inserted_at) body.resize(body.size() + inserted_words * 4, 0x11);
    starts.push_back(body.size());
    body.resize(body.size() + 64 * 4);
  }
  // Contents depend on the function index only, so both versions agree
  // except where the insertion moved things.
  const std::uint32_t base = 0x10000 + 0x54;
  for (std::size_t f = 0; f < functions; ++f) {
    std::mt19937 words(static_cast<std::uint32_t>(f) * 7919u + 1);
    for (std::size_t w = 0; w < 64; ++w) {
      const std::size_t at = starts[f] + w * 4;
      const std::uint32_t kind = words() % 8;
      const std::size_t callee = words() % functions;
      std::uint32_t value;
      if (kind == 0) { // BL callee
        const std::int64_t delta = static_cast<std::int64_t>(starts[callee]) - static_cast<std::int64_t>(at + 8);
        value = 0xEB000000u | (static_cast<std::uint32_t>(delta / 4) & 0xFFFFFF);
      } else if (kind == 1) { // literal pointer to the callee
        value = base + static_cast<std::uint32_t>(starts[callee]);
      } else {
        value = 0xE0000000u | (words() & 0x01FFFFFF); // other A32 instructions
      }
      put32(body, at, value);
    }
  }
  (void)rng;
  Bytes image(0x54 + body.size(), 0);
  std::copy(body.begin(), body.end(), image.begin() + 0x54);
  const char ident[] = {0x7F, 'E', 'L', 'F', 1, 1, 1};
  std::memcpy(image.data(), ident, sizeof ident);
  image[18] = 40;                  // EM_ARM
  put32(image, 28, 0x34);          // e_phoff
  image[42] = 32;                  // e_phentsize
  image[44] = 1;                   // e_phnum
  put32(image, 0x34 + 0, 1);       // PT_LOAD
  put32(image, 0x34 + 4, 0);       // p_offset
  put32(image, 0x34 + 8, 0x10000); // p_vaddr
  const auto total = static_cast<std::uint32_t>(image.size());
  put32(image, 0x34 + 16, total); // p_filesz
  put32(image, 0x34 + 20, total); // p_memsz
  return image;
}

Bytes encode(const char* engine, ByteSpan source, ByteSpan target) {
  VectorWriter payload;
  auto ok = find_engine(engine)->diff(source, target, payload);
  EXPECT_TRUE(ok) << engine;
  return payload.bytes();
}

Expected<Bytes> decode(ByteSpan source, ByteSpan payload, std::uint64_t size = kUnknownSize) {
  SpanReader reader(payload);
  VectorWriter out;
  if (auto ok = find_engine("native")->apply(source, reader, out, size); !ok) return ok.error();
  return out.bytes();
}

TEST(NativeEngine, PredictsMovedCallsAndPointersInArmCode) {
  const Bytes source = arm_image(1, 400, 400, 0);
  const Bytes target = arm_image(1, 400, 150, 37); // code inserted before function 150
  const Bytes native = encode("native", source, target);
  auto out = decode(source, native, target.size());
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(*out, target);
  // Every call and pointer across the insertion changed; with prediction they
  // cost almost nothing, without it each one is a difference to pay for.
  const Bytes zstd = encode("zstd", source, target);
  EXPECT_LT(native.size() * 3, zstd.size()) << "native " << native.size() << " vs zstd " << zstd.size();
}

TEST(NativeEngine, RefusesAnotherSourceBeforeWritingAnything) {
  const Bytes source = test::random_bytes(30000, 5), target = test::mutate(source, 6);
  const Bytes payload = encode("native", source, target);
  Bytes other = source;
  other[12345] ^= 1;
  for (const Bytes& wrong : {other, Bytes(source.begin(), source.end() - 1)}) {
    SpanReader reader(payload);
    CountingWriter out;
    auto ok = find_engine("native")->apply(wrong, reader, out, target.size());
    ASSERT_FALSE(ok);
    EXPECT_TRUE(ok.error().is(DeltaErrc::wrong_source)) << ok.error().message();
    EXPECT_EQ(out.count(), 0u);
  }
}

TEST(NativeEngine, DamagedPayloadsNeverCrashOrOverrun) {
  const Bytes source = arm_image(3, 120, 120, 0), target = arm_image(3, 120, 40, 9);
  const Bytes payload = encode("native", source, target);
  std::mt19937 rng(7);
  for (int i = 0; i < 400; ++i) {
    Bytes damaged = payload;
    const std::size_t at = rng() % damaged.size();
    damaged[at] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
    auto out = decode(source, damaged, target.size());
    if (out) {
      EXPECT_EQ(out->size(), target.size()) << "flip at " << at;
    }
  }
}

Bytes header_for(ByteSpan source, std::uint64_t target_size, std::uint8_t kinds, std::uint64_t segments,
                 std::uint64_t entries) {
  Bytes h{'D', 'F', 'N', '2'};
  auto varint = [&](std::uint64_t v) { native::put_varint(h, v); };
  varint(source.size());
  varint(target_size);
  const Sha256 digest = sha256(source);
  h.insert(h.end(), digest.begin(), digest.end());
  h.push_back(kinds);
  varint(segments);
  for (std::uint64_t i = 0; i < segments; ++i)
    for (int f = 0; f < 3; ++f)
      varint(0);
  varint(0);
  varint(entries);
  return h;
}

TEST(NativeEngine, RefusesHostileHeaders) {
  const Bytes source = test::random_bytes(1000, 9);
  struct Case {
    const char* name;
    Bytes payload;
    DeltaErrc expected;
  };
  const Case cases[] = {
      {"bad magic", {'D', 'F', 'N', '9'}, DeltaErrc::corrupt_payload},
      {"too many entries", header_for(source, 10, 0, 0, std::uint64_t{1} << 40), DeltaErrc::limit_exceeded},
      {"too many segments", header_for(source, 10, 0, 65, 1), DeltaErrc::corrupt_payload},
      {"unknown kinds", header_for(source, 10, 0x80, 0, 1), DeltaErrc::corrupt_payload},
      {"huge target", header_for(source, std::uint64_t{1} << 40, 0, 0, 1), DeltaErrc::limit_exceeded},
      {"no streams", header_for(source, 10, 0, 0, 1), DeltaErrc::corrupt_payload},
  };
  for (const Case& c : cases) {
    auto out = decode(source, c.payload);
    ASSERT_FALSE(out) << c.name;
    EXPECT_TRUE(out.error().is(c.expected)) << c.name << ": " << out.error().message();
  }
  // A control entry that seeks before the start of the source.
  Bytes seek_back = header_for(source, 10, 0, 0, 1);
  seek_back.insert(seek_back.end(), {0, 0, 0, 0});           // codecs: stored
  seek_back.insert(seek_back.end(), {0, 3, 3, 0x03, 0, 10}); // control piece: seek -2, copy 0, literal 10
  auto out = decode(source, seek_back);
  ASSERT_FALSE(out);
  EXPECT_TRUE(out.error().is(DeltaErrc::corrupt_payload)) << out.error().message();
}

TEST(BlockPrediction, DoesNotDependOnHowTheBlockIsCut) {
  Bytes source = arm_image(11, 200, 200, 0);
  // An x86 call at 5001 to 3000, inside the first map entry.
  source[5001] = 0xE8;
  put32(source, 5002, static_cast<std::uint32_t>(3000 - (5001 + 5)));
  for (std::uint8_t kinds : {std::uint8_t(native::kArm32Branch | native::kAbsolute32 | native::kArm32Literal),
                             std::uint8_t(native::kX86Relative | native::kX64RipRelative)}) {
    native::Layout layout;
    layout.kinds = kinds;
    const native::OffsetMap map({{0, 20000, 512}, {20000, 30000, 24000}});
    ASSERT_TRUE(map.is_valid());
    const std::uint64_t start = 1001, length = source.size() - 2000;
    Bytes whole(length), pieces(length);
    native::BlockPrediction(layout, map, source, start, 77, length).fill(whole.data(), length);
    native::BlockPrediction cut(layout, map, source, start, 77, length);
    std::mt19937 rng(kinds);
    for (std::uint64_t done = 0; done < length;) {
      const std::uint64_t n = std::min<std::uint64_t>(1 + rng() % 9, length - done);
      cut.fill(pieces.data() + done, n);
      done += n;
    }
    EXPECT_EQ(whole, pieces) << int(kinds);
    EXPECT_NE(whole, Bytes(source.begin() + start, source.begin() + start + length)) << "nothing was predicted";
  }
}

TEST(OffsetMap, KeepsTheLongestCopyOfEachSourceRegion) {
  using native::ControlEntry;
  // Two copies of source [100, 200): the longer one wins; a short one is left out.
  const std::vector<ControlEntry> program{
      {100, 50, 10}, // source [100,150) -> target [0,50)
      {-50, 100, 0}, // source [100,200) -> target [60,160)
      {-200, 8, 0},  // source [0,8): too short for the map
  };
  const auto map = native::offset_map_for(program);
  ASSERT_EQ(map.entries().size(), 1u);
  EXPECT_EQ(map.entries()[0].source_start, 100u);
  EXPECT_EQ(map.entries()[0].length, 100u);
  EXPECT_EQ(map.entries()[0].target_start, 60u);
  EXPECT_EQ(map.map(150), 110u);
  EXPECT_FALSE(map.map(99));
}

} // namespace
} // namespace dfota::delta
