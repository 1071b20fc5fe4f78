#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "core/hash.hpp"
#include "delta/engine.hpp"
#include "delta/native/control.hpp"
#include "delta/native/prediction_lane.hpp"
#include "delta/native/references.hpp"
#include "delta/native/streams.hpp"
#include "delta/native/varint.hpp"
#include "support/test_support.hpp"

namespace dfota::delta {
namespace {

void put32(Bytes& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i)
    b[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

// The header of a little-endian 32-bit ARM ELF whose one PT_LOAD maps the
// whole of `image` at `vaddr`, executable.
void put_arm_elf_header(Bytes& image, std::uint32_t vaddr) {
  const char ident[] = {0x7F, 'E', 'L', 'F', 1, 1, 1};
  std::memcpy(image.data(), ident, sizeof ident);
  image[18] = 40;                // EM_ARM
  put32(image, 28, 0x34);        // e_phoff
  image[42] = 32;                // e_phentsize
  image[44] = 1;                 // e_phnum
  put32(image, 0x34 + 0, 1);     // PT_LOAD
  put32(image, 0x34 + 4, 0);     // p_offset
  put32(image, 0x34 + 8, vaddr); // p_vaddr
  const auto total = static_cast<std::uint32_t>(image.size());
  put32(image, 0x34 + 16, total); // p_filesz
  put32(image, 0x34 + 20, total); // p_memsz
  put32(image, 0x34 + 24, 5);     // p_flags: R, X
}

// A little-endian 32-bit ARM ELF whose one PT_LOAD maps the whole file at
// 0x10000, holding "functions" of random words, BL calls between them and
// literal words pointing into the image; `inserted_words` of filler before
// function `inserted_at`, and before every function whose index is
// `every / 2` past a multiple of `every` (0: nowhere else).
Bytes arm_image(std::uint32_t seed, std::size_t functions, std::size_t inserted_at, std::size_t inserted_words,
                std::size_t every = 0) {
  std::mt19937 rng(seed);
  std::vector<std::size_t> starts;
  Bytes body;
  for (std::size_t f = 0; f < functions; ++f) {
    if (f == inserted_at || (every != 0 && f % every == every / 2)) body.resize(body.size() + inserted_words * 4, 0x11);
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
  put_arm_elf_header(image, 0x10000);
  return image;
}

// Thumb-2 BL (or B.W with `link` false) at `from` to `to`, as the
// little-endian word of its two halfwords.
std::uint32_t thumb_branch(std::uint32_t from, std::uint32_t to, bool link = true) {
  const std::uint32_t offset = to - (from + 4);
  const std::uint32_t s = (offset >> 24) & 1, i1 = (offset >> 23) & 1, i2 = (offset >> 22) & 1;
  const std::uint32_t j1 = (i1 ^ s) ^ 1, j2 = (i2 ^ s) ^ 1;
  const std::uint32_t first = 0xF000 | s << 10 | ((offset >> 12) & 0x3FF);
  const std::uint32_t second = (link ? 0xD000 : 0x9000) | j1 << 13 | j2 << 11 | ((offset >> 1) & 0x7FF);
  return first | second << 16;
}
// BLX (to A32 code at a word-aligned `to`).
std::uint32_t thumb_blx(std::uint32_t from, std::uint32_t to) {
  const std::uint32_t offset = to - ((from + 4) & ~3u);
  const std::uint32_t s = (offset >> 24) & 1, i1 = (offset >> 23) & 1, i2 = (offset >> 22) & 1;
  const std::uint32_t j1 = (i1 ^ s) ^ 1, j2 = (i2 ^ s) ^ 1;
  const std::uint32_t first = 0xF000 | s << 10 | ((offset >> 12) & 0x3FF);
  const std::uint32_t second = 0xC000 | j1 << 13 | j2 << 11 | ((offset >> 1) & 0x7FE);
  return first | second << 16;
}
void put16(Bytes& b, std::size_t at, std::uint32_t v) {
  b[at] = static_cast<std::uint8_t>(v);
  b[at + 1] = static_cast<std::uint8_t>(v >> 8);
}
// An A32 PLT entry at `at` (address `site`) reaching the GOT slot at `slot`.
void put_plt_entry(Bytes& b, std::size_t at, std::uint32_t site, std::uint32_t slot) {
  const std::uint32_t offset = slot - (site + 8);
  put32(b, at, 0xE28FC600 | offset >> 20);                // ADD ip, pc, #a << 20
  put32(b, at + 4, 0xE28CCA00 | ((offset >> 12) & 0xFF)); // ADD ip, ip, #b << 12
  put32(b, at + 8, 0xE5BCF000 | (offset & 0xFFF));        // LDR pc, [ip, #c]!
}

// Like arm_image(), in Thumb-2 position-independent code: functions of 96
// halfwords (BL and B.W calls at any halfword, LDR r3 / ADD r3, PC pairs
// loading PC-relative literals that point at other functions) followed by
// a pool of four literal words.
Bytes thumb_image(std::size_t functions, std::size_t inserted_at, std::size_t inserted_words) {
  constexpr std::size_t kCode = 96 * 2, kFunction = kCode + 16;
  std::vector<std::size_t> starts;
  std::size_t size = 0x34 + 32;
  for (std::size_t f = 0; f < functions; ++f) {
    if (f == inserted_at) size += inserted_words * 4;
    starts.push_back(size);
    size += kFunction;
  }
  Bytes image(size, 0);
  for (std::size_t f = 0; f < functions; ++f) {
    std::mt19937 draw(static_cast<std::uint32_t>(f) * 7919u + 3);
    const std::size_t start = starts[f];
    for (std::size_t h = 0; h < kCode / 2; ++h)
      put16(image, start + 2 * h, 0x2000 | (draw() & 0x07FF)); // MOVS Rd, #imm8: no reference
    std::size_t pool = 0;
    for (std::size_t h = 0; h + 2 < kCode / 2; h += 3 + draw() % 6) {
      const std::size_t at = start + 2 * h;
      const auto callee = static_cast<std::uint32_t>(starts[draw() % functions]);
      const std::uint32_t kind = draw() % 4;
      if (kind == 0 && pool < 4) { // LDR r3, [PC, #n]; ADD r3, PC; pool word: callee - (anchor + 4)
        const std::size_t literal = start + kCode + 4 * pool++;
        put16(image, at, 0x4B00 | static_cast<std::uint32_t>((literal - ((at + 4) & ~std::size_t{3})) / 4));
        put16(image, at + 2, 0x447B);
        put32(image, literal, callee - static_cast<std::uint32_t>(at + 2 + 4));
      } else if (kind == 3) {
        put32(image, at, thumb_blx(static_cast<std::uint32_t>(at), callee & ~3u));
      } else {
        put32(image, at, thumb_branch(static_cast<std::uint32_t>(at), callee, kind == 1));
      }
    }
  }
  put_arm_elf_header(image, 0); // at address 0, like a shared library
  return image;
}

// The reference kinds a payload's header names, and the literal transform
// that follows them (version 4).
std::uint64_t payload_kinds(ByteSpan payload, bool transform = false) {
  std::size_t at = 4;
  auto varint = [&] {
    std::uint64_t value = 0;
    for (unsigned shift = 0;; shift += 7) {
      value |= static_cast<std::uint64_t>(payload[at] & 0x7F) << shift;
      if (!(payload[at++] & 0x80)) return value;
    }
  };
  varint(); // source size
  varint(); // target size
  at += 32; // source SHA-256
  const std::uint64_t kinds = varint();
  return transform ? varint() : kinds;
}
std::uint64_t literal_transform_of(ByteSpan payload) { return payload_kinds(payload, true); }

// A little-endian x86-64 ELF loaded at 0x400000: functions of filler bytes
// (no instruction the predictor knows) in an executable segment; then, in a
// read-only one, a table of 8-byte pointers to them, as in .data.rel.ro,
// and their unwind tables: .eh_frame_hdr (a search table relative to
// itself) and .eh_frame (one CIE, then an FDE per function whose pc_begin is
// relative to the field).
Bytes x64_image(std::size_t functions, std::size_t inserted_at, std::size_t inserted_bytes) {
  constexpr std::uint32_t kBase = 0x400000;
  std::vector<std::size_t> starts;
  std::size_t size = 64 + 3 * 56;
  for (std::size_t f = 0; f < functions; ++f) {
    if (f == inserted_at) size += inserted_bytes;
    starts.push_back(size);
    size += 200;
  }
  size = (size + 7) & ~std::size_t{7};
  const std::size_t table = size;
  const std::size_t hdr = table + functions * 8;
  const std::size_t eh_frame = hdr + 12 + functions * 8;
  const std::size_t cie = 16, fde = 24;
  size = eh_frame + cie + functions * fde + 4;
  Bytes image(size, 0);
  auto va = [&](std::size_t offset) { return static_cast<std::uint32_t>(kBase + offset); };
  image[hdr] = 1;
  image[hdr + 1] = 0x1B;
  image[hdr + 2] = 0x03;
  image[hdr + 3] = 0x3B;
  put32(image, hdr + 4, va(eh_frame) - va(hdr + 4));
  put32(image, hdr + 8, static_cast<std::uint32_t>(functions));
  put32(image, eh_frame, cie - 4); // CIE: length, id 0, then filler
  put32(image, eh_frame + 8, 0x00527A01);
  for (std::size_t f = 0; f < functions; ++f) {
    std::mt19937 draw(static_cast<std::uint32_t>(f) + 17);
    for (std::size_t i = 0; i < 200; ++i)
      image[starts[f] + i] = static_cast<std::uint8_t>(0x90 | (draw() & 0x0F));
    const std::uint64_t address = kBase + starts[(f * 7) % functions];
    put32(image, table + 8 * f, static_cast<std::uint32_t>(address));
    put32(image, table + 8 * f + 4, static_cast<std::uint32_t>(address >> 32));
    const std::size_t record = eh_frame + cie + f * fde;
    put32(image, record, fde - 4);                                                // length
    put32(image, record + 4, static_cast<std::uint32_t>(record + 4 - eh_frame));  // back to the CIE
    put32(image, record + 8, va(starts[f]) - va(record + 8));                     // pc_begin
    put32(image, record + 12, 200);                                               // pc_range
    put32(image, record + 16, 0x0E0A4100 | static_cast<std::uint32_t>(f & 0xFF)); // instructions
    put32(image, hdr + 12 + 8 * f, va(starts[f]) - va(hdr));
    put32(image, hdr + 16 + 8 * f, va(record) - va(hdr));
  }
  const char ident[] = {0x7F, 'E', 'L', 'F', 2, 1, 1};
  std::memcpy(image.data(), ident, sizeof ident);
  image[18] = 62;          // EM_X86_64
  image[32] = 64;          // e_phoff
  image[54] = 56;          // e_phentsize
  image[56] = 3;           // e_phnum
  put32(image, 64 + 0, 1); // PT_LOAD of the code
  put32(image, 64 + 4, 5); // p_flags: R, X
  put32(image, 64 + 16, kBase);
  put32(image, 64 + 32, static_cast<std::uint32_t>(table));
  put32(image, 64 + 40, static_cast<std::uint32_t>(table));
  put32(image, 120 + 0, 1); // PT_LOAD of the data
  put32(image, 120 + 4, 4); // p_flags: R
  put32(image, 120 + 8, static_cast<std::uint32_t>(table));
  put32(image, 120 + 16, va(table));
  put32(image, 120 + 32, static_cast<std::uint32_t>(size - table));
  put32(image, 120 + 40, static_cast<std::uint32_t>(size - table));
  put32(image, 176 + 0, 0x6474E550); // PT_GNU_EH_FRAME
  put32(image, 176 + 8, static_cast<std::uint32_t>(hdr));
  put32(image, 176 + 16, va(hdr));
  put32(image, 176 + 32, static_cast<std::uint32_t>(12 + functions * 8));
  put32(image, 176 + 40, static_cast<std::uint32_t>(12 + functions * 8));
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

TEST(NativeEngine, APlainPayloadTellsItsVersionAndEntriesAndOtherBytesAreRefused) {
  const Bytes source = arm_image(1, 100, 100, 0);
  const Bytes target = arm_image(1, 100, 40, 9);
  const Bytes payload = encode("native", source, target);
  SpanReader reader(payload);
  auto facts = find_engine("native")->describe_payload(reader);
  ASSERT_TRUE(facts) << facts.error().message();
  ASSERT_EQ(facts->size(), 1u);
  EXPECT_EQ((*facts)[0].name, "plain payload");
  EXPECT_EQ((*facts)[0].value.rfind("DFN5, ", 0), 0u) << (*facts)[0].value;
  EXPECT_NE((*facts)[0].value.find(" control entries"), std::string::npos);

  const Bytes other = {'P', 'K', 3, 4, 0, 0};
  SpanReader other_reader(other);
  auto refused = find_engine("native")->describe_payload(other_reader);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), make_error_code(DeltaErrc::corrupt_payload));
  // Engines whose payloads state nothing describe none.
  SpanReader zstd_reader(payload);
  auto none = find_engine("zstd")->describe_payload(zstd_reader);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

// An applier reads the runs and changes streams of a copy side by side,
// with at most kMaxQueuedBytes of one waiting while it needs the other: a
// long copy changed throughout has its pieces interleaved within the copy,
// not only at its end. Here each of the two copies (one per matching
// thread) has 1 MiB of runs; before, its applier refused the payload its
// encoder had made ("needs more read-ahead than allowed").
TEST(NativeEngine, ALongCopyChangedThroughoutAppliesWithinTheReadAhead) {
  const Bytes source = test::random_bytes(8u << 20, 21);
  Bytes target = source;
  for (std::size_t at = 7; at < target.size(); at += 8)
    target[at] = static_cast<std::uint8_t>(target[at] + 1 + (at / 8) % 3); // changes LZMA packs
  const Bytes payload = encode("native", source, target);
  auto out = decode(source, payload, target.size());
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_TRUE(*out == target);
}

// Programs that copy more than kMinLaneCopy are predicted on two threads
// where there are two cores (every other group of copies ahead, on the
// prediction lane); the target is the same either way.
TEST(NativeEngine, AppliesLargeProgramsWhateverThreadPredictsThem) {
  const Bytes source = arm_image(5, 3000, 3000, 0);
  // Code inserted before every 100th function cuts the program into many
  // entries, so that both lanes get groups.
  const Bytes target = arm_image(5, 3000, 3000, 37, 100);
  const Bytes payload = encode("native", source, target);
  ASSERT_GT(target.size(), 4 * native::kLaneGroupCopy);
  auto out = decode(source, payload, target.size());
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_TRUE(*out == target);
  EXPECT_NE(payload_kinds(payload), 0u) << "nothing to predict";
}

TEST(NativeEngine, PredictsMovedCallsAndLiteralsInThumbCode) {
  ASSERT_EQ(thumb_branch(0x1000, 0x1000), 0xFFFEF7FFu); // "bl ." is f7ff fffe
  const Bytes source = thumb_image(300, 300, 0);
  const Bytes target = thumb_image(300, 120, 25); // code inserted before function 120
  const Bytes native = encode("native", source, target);
  auto out = decode(source, native, target.size());
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(*out, target);
  EXPECT_EQ(payload_kinds(native), native::kThumbBranch | native::kThumbLiteral | native::kAbsolute32);
  const Bytes zstd = encode("zstd", source, target);
  EXPECT_LT(native.size() * 3, zstd.size()) << "native " << native.size() << " vs zstd " << zstd.size();
  // A32 code keeps the A32 kinds.
  const Bytes arm = encode("native", arm_image(1, 400, 400, 0), arm_image(1, 400, 150, 37));
  EXPECT_EQ(payload_kinds(arm), native::kArm32Branch | native::kArm32Literal | native::kAbsolute32);
}

// Raw memory images (no ELF header: most firmware) of the same code: the
// engine finds the instruction set and where the code lies from the calls,
// and the load address from how the copied pointers moved, states them in
// the payload, and predicts the moved calls and pointers about as well as
// with the ELF header.
TEST(NativeEngine, PredictsMovedCallsAndPointersInRawImages) {
  const auto raw = [](const Bytes& elf, std::size_t header) { return Bytes(elf.begin() + header, elf.end()); };
  struct Case {
    const char* name;
    Bytes elf_source, elf_target;
    native::KindSet kinds;
  };
  const Case cases[] = {
      {"A32", arm_image(1, 400, 400, 0), arm_image(1, 400, 150, 37),
       native::kArm32Branch | native::kArm32Literal | native::kAbsolute32},
      {"Thumb-2", thumb_image(300, 300, 0), thumb_image(300, 120, 25),
       native::kThumbBranch | native::kThumbLiteral | native::kAbsolute32},
  };
  for (const Case& c : cases) {
    const Bytes source = raw(c.elf_source, 0x54), target = raw(c.elf_target, 0x54);
    const Bytes payload = encode("native", source, target);
    auto out = decode(source, payload, target.size());
    ASSERT_TRUE(out) << c.name << ": " << out.error().message();
    EXPECT_EQ(*out, target) << c.name;
    EXPECT_EQ(payload_kinds(payload), c.kinds) << c.name;
    const Bytes zstd = encode("zstd", source, target);
    EXPECT_LT(payload.size() * 3, zstd.size()) << c.name << ": native " << payload.size() << " vs zstd " << zstd.size();
    const Bytes with_header = encode("native", c.elf_source, c.elf_target);
    EXPECT_LE(payload.size(), with_header.size() + with_header.size() / 4)
        << c.name << ": raw " << payload.size() << " vs ELF " << with_header.size();
  }
}

// A 32-bit ARM library loaded at 0: a PLT of `entries` A32 entries, then
// 20,000 bytes of code calling them and itself (with `grown` bytes more in
// its middle), then the GOT, one slot per entry in the same order;
// `inserted` entries (and their slots) come after entry 100.
Bytes arm_library_with_plt(std::size_t entries, std::size_t grown, std::size_t inserted) {
  constexpr std::size_t kPlt = 0x100, kCodeWords = 5000;
  const std::size_t count = entries + inserted, code = kPlt + 12 * count;
  const std::size_t got = code + 4 * kCodeWords + grown;
  Bytes image(got + 4 * count, 0);
  // Word w of the original code, where it lies now.
  auto code_word = [&](std::size_t w) { return code + 4 * w + (w >= kCodeWords / 2 ? grown : 0); };
  auto entry_of = [&](std::size_t import) { return kPlt + 12 * (import <= 100 ? import : import + inserted); };
  std::mt19937 rng(5);
  for (std::size_t w = 0; w < kCodeWords; ++w) {
    const std::uint32_t kind = rng() % 4, pick = rng();
    const std::size_t callee = kind == 0 ? entry_of(pick % entries) : code_word(pick % kCodeWords);
    const auto delta = static_cast<std::int64_t>(callee) - static_cast<std::int64_t>(code_word(w) + 8);
    put32(image, code_word(w),
          kind <= 1 ? 0xEB000000u | (static_cast<std::uint32_t>(delta / 4) & 0xFFFFFF) // BL
                    : 0xE0800000u | (pick & 0xFFFF));                                  // ADD: no reference
  }
  for (std::size_t at = code + 4 * (kCodeWords / 2); at < code + 4 * (kCodeWords / 2) + grown; at += 4)
    put32(image, at, 0xE1A00000u); // NOP
  for (std::size_t i = 0; i < count; ++i) {
    const auto site = static_cast<std::uint32_t>(kPlt + 12 * i), slot = static_cast<std::uint32_t>(got + 4 * i);
    put_plt_entry(image, site, site, slot);
    put32(image, slot, static_cast<std::uint32_t>(kPlt)); // before binding, the PLT's start
  }
  put_arm_elf_header(image, 0);
  return image;
}

TEST(NativeEngine, PredictsPltEntriesWhenTheGotMoves) {
  // The code grew by 400 bytes: every PLT entry reaches its GOT slot from
  // another distance, and the raw matcher covers the PLT with pieces of
  // other entries. Predicted along the copies that follow it, the PLT costs
  // next to nothing (bsdiff: 1,171 bytes).
  const Bytes source = arm_library_with_plt(600, 0, 0);
  const Bytes target = arm_library_with_plt(600, 400, 0);
  const Bytes native = encode("native", source, target);
  auto out = decode(source, native, target.size());
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(*out, target);
  EXPECT_TRUE(payload_kinds(native) & native::kArmPltEntry) << payload_kinds(native);
  EXPECT_LT(native.size(), 300u) << "native " << native.size();
  // With imports added as well (their GOT slots are indistinguishable in raw
  // bytes), it still round-trips.
  const Bytes more = arm_library_with_plt(600, 400, 3);
  auto again = decode(source, encode("native", source, more), more.size());
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(*again, more);
}

TEST(NativeEngine, PredictsMovedPointersAndUnwindTablesInX64Data) {
  const Bytes source = x64_image(500, 500, 0);
  const Bytes target = x64_image(500, 100, 24); // 24 bytes inserted before function 100
  const Bytes native = encode("native", source, target);
  auto out = decode(source, native, target.size());
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(*out, target);
  EXPECT_EQ(payload_kinds(native),
            native::kX86Relative | native::kX64RipRelative | native::kAbsolute64 | native::kRelativeWords);
  // 400 of the 500 pointers and the unwind entries of 400 functions changed;
  // predicted, they cost nothing.
  const Bytes zstd = encode("zstd", source, target);
  EXPECT_LT(native.size() * 4, zstd.size()) << "native " << native.size() << " vs zstd " << zstd.size();
}

TEST(BlockPrediction, RewritesWordsRelativeToABaseOrToThemselves) {
  // The block [0, 0x400) lands 0x108 later; what it points to moved as the
  // map says: [0, 0x100) by 0x100, [0x1000, 0x1100) to 0x1200.
  Bytes source(0x1100, 0);
  put32(source, 0x20, 0x1040 - 0x10);  // relative to the base 0x10
  put32(source, 0x24, 0x2000);         // relative to the base, but nowhere mapped: kept
  put32(source, 0x40, 0x1050 - 0x40);  // relative to itself
  put32(source, 0x44, 8);              // pointing into its own region: a length, kept
  put32(source, 0x340, 0x340 - 0x50);  // a distance back to 0x50 in the region
  put32(source, 0x344, 0x344 - 0x300); // back, but too short to be one: kept
  native::Layout layout;
  layout.kinds = native::kRelativeWords;
  layout.regions = {{0x20, 8, native::RelativeRegion::kToBase, 0x10, 0x30},
                    {0x40, 0x3C0, native::RelativeRegion::kToSelf, 0, 0}};
  const native::OffsetMap map({{0, 0x100, 0x100}, {0x1000, 0x100, 0x1200}});
  Bytes predicted(0x400);
  native::BlockPrediction(layout, native::MovedAddresses(layout.source, map, layout.target), source, 0, 0x108, 0x400)
      .fill(predicted.data(), predicted.size());
  Bytes expected(source.begin(), source.begin() + 0x400);
  put32(expected, 0x20, 0x1240 - 0x30);
  put32(expected, 0x40, 0x1250 - (0x108 + 0x40));
  put32(expected, 0x340, (0x108 + 0x340) - 0x150);
  EXPECT_EQ(predicted, expected);
}

// Version 5: code kinds only in executable segments; with an x86 kind,
// absolute words only outside them. The block [0, 0x200) straddles the
// boundary at 0x100 between code and data; [0x1000, 0x1100) moves to 0x1200.
TEST(BlockPrediction, LooksForCodeInCodeAndForX86AddressWordsInDataOnly) {
  const native::OffsetMap map({{0, 0x200, 0}, {0x1000, 0x100, 0x1200}});
  auto predict = [&](const native::Layout& layout, const Bytes& source) {
    Bytes predicted(0x200);
    native::BlockPrediction(layout, native::MovedAddresses(layout.source, map, layout.target), source, 0, 0, 0x200)
        .fill(predicted.data(), predicted.size());
    return predicted;
  };
  auto segments = [](bool code_first) {
    native::Segment code{0, 0, 0x100, true}, data{0x100, 0x100, 0x1200, false};
    return native::AddressSpace(code_first ? std::vector{code, data} : std::vector{data, code});
  };
  auto bl = [](std::uint32_t from, std::uint32_t to) { return 0xEB000000u | (((to - (from + 8)) / 4) & 0xFFFFFF); };

  // A32: a BL and a pointer in the code, the same in the data.
  Bytes arm(0x1100, 0);
  put32(arm, 0x40, bl(0x40, 0x1040));
  put32(arm, 0x44, 0x1050);
  put32(arm, 0x140, bl(0x140, 0x1040));
  put32(arm, 0x144, 0x1050);
  native::Layout layout;
  layout.kinds = native::kArm32Branch | native::kAbsolute32;
  layout.source = layout.target = segments(true);
  layout.code_by_segment = true;
  Bytes expected = arm;
  put32(expected, 0x40, bl(0x40, 0x1240));
  put32(expected, 0x44, 0x1250);
  put32(expected, 0x144, 0x1250); // the data's pointer, not its BL-shaped word
  expected.resize(0x200);
  EXPECT_EQ(predict(layout, arm), expected);
  // The order of the segments does not matter; without code_by_segment
  // (versions 2 to 4) every kind is looked for everywhere.
  layout.source = layout.target = segments(false);
  EXPECT_EQ(predict(layout, arm), expected);
  layout.code_by_segment = false;
  put32(expected, 0x140, bl(0x140, 0x1240));
  EXPECT_EQ(predict(layout, arm), expected);

  // x86-64: a call and an 8-byte pointer in the code, the same in the data.
  Bytes x86(0x1100, 0);
  auto call = [&](Bytes& b, std::uint32_t at, std::uint32_t to) {
    b[at] = 0xE8;
    put32(b, at + 1, to - (at + 5));
  };
  call(x86, 0x21, 0x1040);
  put32(x86, 0x48, 0x1050);
  call(x86, 0x121, 0x1040);
  put32(x86, 0x148, 0x1050);
  layout.kinds = native::kX86Relative | native::kAbsolute64;
  layout.source = layout.target = segments(true);
  layout.code_by_segment = true;
  expected = x86;
  call(expected, 0x21, 0x1240);
  put32(expected, 0x148, 0x1250);
  expected.resize(0x200);
  EXPECT_EQ(predict(layout, x86), expected);
}

TEST(BlockPrediction, RewritesThumbBranchesAndLiteralsForTheirNewPlaces) {
  // Block [0, 0x100) stays in place; [0x1000, 0x1100) moves to 0x1200.
  Bytes source(0x1100, 0);
  put32(source, 0x12, thumb_branch(0x12, 0x1040));        // BL at 2 mod 4
  put32(source, 0x16, thumb_blx(0x16, 0x1080));           // BLX to A32 code
  put32(source, 0x1A, thumb_branch(0x1A, 0x10F0, false)); // B.W
  put16(source, 0x20, 0x4B07);                            // LDR r3, [PC, #28]: the word at 0x40
  put16(source, 0x22, 0x4600);                            // MOV r0, r0
  put16(source, 0x24, 0x447B);                            // ADD r3, PC: r3 = 0x24 + 4 + word
  put32(source, 0x40, 0x1050 - (0x24 + 4));
  put32(source, 0x44, 0x1050 - (0x24 + 4)); // the same value, but nothing loads it
  native::Layout layout;
  layout.kinds = native::kThumbBranch | native::kThumbLiteral;
  const native::OffsetMap map({{0, 0x100, 0}, {0x1000, 0x100, 0x1200}});
  Bytes predicted(0x100);
  native::BlockPrediction(layout, native::MovedAddresses(layout.source, map, layout.target), source, 0, 0, 0x100)
      .fill(predicted.data(), predicted.size());
  Bytes expected(source.begin(), source.begin() + 0x100);
  put32(expected, 0x12, thumb_branch(0x12, 0x1240));
  put32(expected, 0x16, thumb_blx(0x16, 0x1280));
  put32(expected, 0x1A, thumb_branch(0x1A, 0x12F0, false));
  put32(expected, 0x40, 0x1250 - (0x24 + 4));
  EXPECT_EQ(predicted, expected);
}

TEST(BlockPrediction, RewritesPltEntriesForTheirGotSlots) {
  // File [0, 0x100) is loaded at 0 in both images; file [0x1000, 0x1100)
  // (the GOT) at 0x300000 in the source and, as [0x1200, 0x1300), at
  // 0x500000 in the target. The block [0, 0x100) stays in place.
  Bytes source(0x1100, 0);
  put_plt_entry(source, 0x20, 0x20, 0x300040);
  put_plt_entry(source, 0x2C, 0x2C, 0x3000F0);
  put_plt_entry(source, 0x40, 0x40, 0x300044);
  put32(source, 0x48, 0xE59CF000); // not LDR pc, [ip, #c]! (no writeback): not an entry
  native::Layout layout;
  layout.kinds = native::kArmPltEntry;
  layout.source = native::AddressSpace({{0, 0, 0x100}, {0x300000, 0x1000, 0x100}});
  layout.target = native::AddressSpace({{0, 0, 0x100}, {0x500000, 0x1200, 0x100}});
  const native::OffsetMap map({{0, 0x100, 0}, {0x1000, 0x100, 0x1200}});
  Bytes predicted(0x100);
  native::BlockPrediction(layout, native::MovedAddresses(layout.source, map, layout.target), source, 0, 0, 0x100)
      .fill(predicted.data(), predicted.size());
  Bytes expected(source.begin(), source.begin() + 0x100);
  put_plt_entry(expected, 0x20, 0x20, 0x500040);
  put_plt_entry(expected, 0x2C, 0x2C, 0x5000F0);
  EXPECT_EQ(predicted, expected);
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

// The header of a native payload of format `version` ('2' to '7'; from 4 on
// with the literal transform `transform`).
Bytes header_for(ByteSpan source, std::uint64_t target_size, std::uint64_t kinds, std::uint64_t segments,
                 std::uint64_t entries, char version = '4', std::uint64_t transform = 0) {
  Bytes h{'D', 'F', 'N', static_cast<std::uint8_t>(version)};
  auto varint = [&](std::uint64_t v) { native::put_varint(h, v); };
  varint(source.size());
  varint(target_size);
  const Sha256 digest = sha256(source);
  h.insert(h.end(), digest.begin(), digest.end());
  varint(kinds);
  if (version >= '4') varint(transform);
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
      {"bad magic", {'D', 'F', 'X', '5'}, DeltaErrc::corrupt_payload},
      {"a later plain version", {'D', 'F', 'N', '8'}, DeltaErrc::corrupt_payload},
      {"a later deflate layer", {'D', 'F', 'Z', '3'}, DeltaErrc::corrupt_payload},
      {"too many entries", header_for(source, 10, 0, 0, std::uint64_t{1} << 40), DeltaErrc::limit_exceeded},
      {"too many segments", header_for(source, 10, 0, 65, 1), DeltaErrc::corrupt_payload},
      {"unknown kinds", header_for(source, 10, 0x800, 0, 1), DeltaErrc::corrupt_payload},
      {"unknown literal transform", header_for(source, 10, 0, 0, 1, '4', 3), DeltaErrc::corrupt_payload},
      {"x86-64 transform before version 7", header_for(source, 10, 0, 0, 1, '6', 3), DeltaErrc::corrupt_payload},
      {"unknown literal transform in version 7", header_for(source, 10, 0, 0, 1, '7', 4), DeltaErrc::corrupt_payload},
      {"relative regions cut short", header_for(source, 10, native::kRelativeWords, 0, 1), DeltaErrc::corrupt_payload},
      {"huge target", header_for(source, std::uint64_t{1} << 40, 0, 0, 1), DeltaErrc::limit_exceeded},
      {"no streams", header_for(source, 10, 0, 0, 1), DeltaErrc::corrupt_payload},
  };
  for (const Case& c : cases) {
    auto out = decode(source, c.payload);
    ASSERT_FALSE(out) << c.name;
    EXPECT_TRUE(out.error().is(c.expected)) << c.name << ": " << out.error().message();
    // A later version is named as such, not as something else.
    const bool later = std::string(c.name).starts_with("a later");
    EXPECT_EQ(out.error().message().find("newer than this dfota reads") != std::string::npos, later)
        << c.name << ": " << out.error().message();
  }
  // Control entries that reach before the start of the source, and past its
  // end, in both layouts.
  const struct {
    const char* name;
    char version;
    Bytes control; // one stored control piece
  } outside[] = {
      {"version 2 seek -2", '2', {0, 3, 3, 0x03, 0, 10}},                 // seek -2, copy 0, literal 10
      {"version 3 copy at -2", '3', {0, 3, 3, 0x03, 3, 7}},               // diagonal -2, copy 3, literal 7
      {"version 3 copy past the end", '3', {0, 4, 4, 0xC4, 0x0F, 10, 0}}, // diagonal 994, copy 10
      {"version 3 diagonal overflow",
       '3',
       {0, 12, 12, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 1, 9}},
  };
  for (const auto& c : outside) {
    Bytes payload = header_for(source, 10, 0, 0, 1, c.version);
    payload.insert(payload.end(), {0, 0, 0, 0}); // codecs: stored
    payload.insert(payload.end(), c.control.begin(), c.control.end());
    auto out = decode(source, payload);
    ASSERT_FALSE(out) << c.name;
    EXPECT_TRUE(out.error().is(DeltaErrc::corrupt_payload)) << c.name << ": " << out.error().message();
  }
}

// A payload of stored streams: `control` holds entry_count entries in the
// layout of `version`; the difference is all zero (one run).
Bytes stored_payload(char version, ByteSpan source, std::uint64_t target_size, std::uint64_t entries,
                     const std::vector<std::uint64_t>& control, std::uint64_t copied, const std::string& literal,
                     std::uint64_t transform = 0) {
  Bytes payload = header_for(source, target_size, 0, 0, entries, version, transform);
  payload.insert(payload.end(), {0, 0, 0, 0}); // codecs: stored
  auto piece = [&](std::uint8_t stream, const Bytes& raw) {
    if (raw.empty()) return;
    payload.push_back(stream);
    native::put_varint(payload, raw.size());
    native::put_varint(payload, raw.size());
    payload.insert(payload.end(), raw.begin(), raw.end());
  };
  Bytes control_stream, runs;
  for (std::uint64_t v : control)
    native::put_varint(control_stream, v);
  native::put_varint(runs, copied);
  native::put_varint(runs, 0);
  piece(0, control_stream);
  piece(1, runs);
  piece(3, Bytes(literal.begin(), literal.end()));
  payload.push_back(0xFF);
  return payload;
}

TEST(NativeEngine, Version6AllowsMoreEntriesForALargerTarget) {
  const Bytes source = test::random_bytes(4096, 8);
  const std::uint64_t over = native::kMaxControlEntries + 1;
  // Refused for a 1 MiB target, and by version 5 whatever the target; for a
  // 32 MiB one version 6's header passes and the payload ends where its
  // streams should begin.
  for (const auto& [size, version] :
       {std::pair{std::uint64_t{1} << 20, '6'}, std::pair{std::uint64_t{32} << 20, '5'}}) {
    auto refused = decode(source, header_for(source, size, 0, 0, over, version));
    ASSERT_FALSE(refused);
    EXPECT_TRUE(refused.error().is(DeltaErrc::limit_exceeded)) << refused.error().message();
  }
  auto large = decode(source, header_for(source, 32u << 20, 0, 0, over, '6'));
  ASSERT_FALSE(large);
  EXPECT_TRUE(large.error().is(DeltaErrc::corrupt_payload)) << large.error().message();

  // 140,000 copies of source[0, 256) make a 34 MiB target: a program over
  // 131,072 entries, in stored pieces of at most 128 KiB, decodes.
  constexpr std::uint64_t kEntries = 140000, kCopy = 256;
  Bytes control;
  for (std::uint64_t i = 0; i < kEntries; ++i)
    native::put_varint(control, native::zigzag(i == 0 ? 0 : -static_cast<std::int64_t>(kCopy)));
  for (std::uint64_t i = 0; i < kEntries; ++i)
    native::put_varint(control, kCopy);
  for (std::uint64_t i = 0; i < kEntries; ++i)
    native::put_varint(control, 0);
  Bytes payload = header_for(source, kEntries * kCopy, 0, 0, kEntries, '6');
  payload.insert(payload.end(), {0, 0, 0, 0}); // codecs: stored
  auto piece = [&](std::uint8_t stream, ByteSpan raw) {
    payload.push_back(stream);
    native::put_varint(payload, raw.size());
    native::put_varint(payload, raw.size());
    payload.insert(payload.end(), raw.begin(), raw.end());
  };
  for (std::size_t at = 0; at < control.size(); at += native::kPieceSize)
    piece(0, ByteSpan(control).subspan(at, std::min(native::kPieceSize, control.size() - at)));
  Bytes runs;
  native::put_varint(runs, kEntries * kCopy);
  native::put_varint(runs, 0);
  piece(1, runs);
  payload.push_back(0xFF);
  auto out = decode(source, payload, kEntries * kCopy);
  ASSERT_TRUE(out) << out.error().message();
  ASSERT_EQ(out->size(), kEntries * kCopy);
  for (std::uint64_t i = 0; i < kEntries; i += 9999)
    EXPECT_TRUE(
        std::equal(source.begin(), source.begin() + kCopy, out->begin() + static_cast<std::ptrdiff_t>(i * kCopy)))
        << "copy " << i;
}

TEST(NativeEngine, WritesVersion7ForALargeTargetWithAWiderLiteralWindow) {
  // 17 MiB: the source 16 times, 512 KiB found nowhere, the source again,
  // the same 512 KiB again. The literal stream holds the 512 KiB twice, 512
  // KiB apart: version 5's 256 KiB dictionary cannot reach back that far,
  // version 7's (4 MiB for this target) can.
  const Bytes source = test::random_bytes(1u << 20, 10), added = test::random_bytes(512u << 10, 11);
  Bytes target;
  for (int i = 0; i < 16; ++i)
    target.insert(target.end(), source.begin(), source.end());
  target.insert(target.end(), added.begin(), added.end());
  target.insert(target.end(), source.begin(), source.end());
  target.insert(target.end(), added.begin(), added.end());
  ASSERT_EQ(native::literal_window_log(target.size(), 7), 22u);
  const Bytes payload = encode("native", source, target);
  ASSERT_GE(payload.size(), 4u);
  EXPECT_EQ(std::string(payload.begin(), payload.begin() + 4), "DFN7");
  EXPECT_LT(payload.size(), added.size() + added.size() / 4);
  auto out = decode(source, payload, target.size());
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_TRUE(*out == target);
}

TEST(NativeEngine, ApplyMemoryGrowsWithTheTargetOnlyBeyond16MiB) {
  const Engine* engine = find_engine("native");
  ASSERT_NE(engine, nullptr);
  const std::uint64_t small = engine->apply_memory(1u << 20, 1u << 20);
  EXPECT_EQ(engine->apply_memory(1u << 20, native::kLargeTarget), small);
  const std::uint64_t large = engine->apply_memory(1u << 20, std::uint64_t{64} << 20);
  // Half a byte per target byte for the program and its maps, and a 16 MiB
  // literal dictionary (version 7: target / 4, at most 16 MiB).
  EXPECT_GE(large, small + (std::uint64_t{48} << 20) / 2 + (15u << 20));
  EXPECT_LE(large, small + (std::uint64_t{64} << 20) / 2 + (18u << 20));
}

TEST(NativeEngine, ReadsTheControlProgramOfBothVersions) {
  // target = source[100, 150) + "xyz" + source[10, 30): two copies, one
  // literal.
  const Bytes source = test::random_bytes(1000, 4);
  Bytes target(source.begin() + 100, source.begin() + 150);
  target.insert(target.end(), {'x', 'y', 'z'});
  target.insert(target.end(), source.begin() + 10, source.begin() + 30);
  using native::zigzag;
  // Version 2, entry by entry: seek, copy, literal; the second seek goes
  // from 150 back to 10.
  const Bytes v2 = stored_payload('2', source, target.size(), 2, {zigzag(100), 50, 3, zigzag(-140), 20, 0}, 70, "xyz");
  // Version 3, field by field: the changes of diagonal (100 at target 0,
  // then 10 - 53 = -43), the copies, the literals.
  const Bytes v3 = stored_payload('3', source, target.size(), 2, {zigzag(100), zigzag(-143), 50, 20, 3, 0}, 70, "xyz");
  const Bytes v4 = stored_payload('4', source, target.size(), 2, {zigzag(100), zigzag(-143), 50, 20, 3, 0}, 70, "xyz");
  for (const Bytes* payload : {&v2, &v3, &v4}) {
    auto out = decode(source, *payload, target.size());
    ASSERT_TRUE(out) << out.error().message();
    EXPECT_EQ(*out, target);
  }
  // A copy-less entry keeps the diagonal: "xyz" first, then source[10, 30)
  // on diagonal 10 - 3 = 7, written as a change of 7 on the second entry.
  Bytes literal_first{'x', 'y', 'z'};
  literal_first.insert(literal_first.end(), source.begin() + 10, source.begin() + 30);
  const Bytes v3_literal_first =
      stored_payload('3', source, literal_first.size(), 2, {0, zigzag(7), 0, 20, 3, 0}, 20, "xyz");
  auto out = decode(source, v3_literal_first, literal_first.size());
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(*out, literal_first);
}

// A payload the version 4 encoder made for an A32 image whose one segment
// has no flags: version 4 looks for every kind everywhere, so its
// predictions hold although the segment is not marked executable.
TEST(NativeEngine, ReadsVersion4WithItsOwnPredictor) {
  Bytes source = arm_image(3, 120, 120, 0), target = arm_image(3, 120, 40, 9);
  put32(source, 0x34 + 24, 0); // p_flags as that encoder's images had them
  put32(target, 0x34 + 24, 0);
  const Bytes payload = test::read_bytes(test::source_dir() / "tests" / "golden" / "native-v4-arm.bin");
  ASSERT_EQ(std::string(payload.begin(), payload.begin() + 4), "DFN4");
  EXPECT_EQ(payload_kinds(payload), native::kArm32Branch | native::kArm32Literal | native::kAbsolute32);
  auto out = decode(source, payload, target.size());
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(*out, target);
}

// A payload the version 6 encoder made for a 17 MiB target: the 1 MiB
// source 17 times, 64 bytes of each copy changed, then 4 KiB.
TEST(NativeEngine, ReadsVersion6) {
  auto byte_of = [](std::uint64_t i, std::uint32_t salt) {
    const auto x = static_cast<std::uint32_t>(i * 0x9E3779B1u + salt);
    return static_cast<std::uint8_t>((x >> 24) ^ (x >> 11));
  };
  constexpr std::size_t kSource = 1u << 20;
  Bytes source(kSource);
  for (std::size_t i = 0; i < kSource; ++i)
    source[i] = byte_of(i, 0);
  Bytes target;
  for (std::size_t k = 0; k < 17; ++k) {
    Bytes part = source;
    for (std::size_t j = 0; j < 64; ++j)
      part[(k * 7919 + j * 4099) % kSource] ^= 0x5A;
    target.insert(target.end(), part.begin(), part.end());
  }
  for (std::size_t i = 0; i < 4096; ++i)
    target.push_back(byte_of(i, 12345));
  const Bytes payload = test::read_bytes(test::source_dir() / "tests" / "golden" / "native-v6.bin");
  ASSERT_EQ(std::string(payload.begin(), payload.begin() + 4), "DFN6");
  auto out = decode(source, payload, target.size());
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_TRUE(*out == target);
}

TEST(NativeEngine, WritesVersion5) {
  const Bytes source = arm_image(3, 120, 120, 0), target = arm_image(3, 120, 40, 9);
  const Bytes payload = encode("native", source, target);
  ASSERT_GE(payload.size(), 4u);
  EXPECT_EQ(std::string(payload.begin(), payload.begin() + 4), "DFN5");
}

TEST(NativeEngine, UndoesTheLiteralTransformOfVersion4) {
  // target = source[0, 40) + a literal of two x86 calls to target position
  // 0x2000 (one at literal offset 0, one at 9), stored with the transform:
  // each call's field holds 0x2000.
  const Bytes source = test::random_bytes(1000, 6);
  Bytes target(source.begin(), source.begin() + 40);
  std::string literal(16, '\x90');
  std::string stored = literal;
  for (std::size_t at : {0u, 9u}) {
    literal[at] = stored[at] = '\xE8';
    const auto field = static_cast<std::uint32_t>(0x2000 - (40 + at + 5));
    for (int i = 0; i < 4; ++i) {
      literal[at + 1 + i] = static_cast<char>(field >> (8 * i));
      stored[at + 1 + i] = static_cast<char>(0x2000 >> (8 * i));
    }
  }
  target.insert(target.end(), literal.begin(), literal.end());
  const Bytes payload = stored_payload('4', source, target.size(), 1, {0, 40, 16}, 40, stored, 1);
  auto out = decode(source, payload, target.size());
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(*out, target);
}

TEST(NativeEngine, UndoesTheX86_64TransformOfVersion7) {
  // target = source[0, 40) + a literal of a RIP-relative lea (48 8D 05) at
  // literal offset 0 and a call through a slot (FF 15) at 9, both reaching
  // target position 0x3000, stored with the transform: each field holds
  // 0x3000.
  const Bytes source = test::random_bytes(1000, 6);
  Bytes target(source.begin(), source.begin() + 40);
  std::string literal(20, '\x90');
  literal[0] = '\x48', literal[1] = '\x8D', literal[2] = '\x05';
  literal[9] = '\xFF', literal[10] = '\x15';
  std::string stored = literal;
  for (const auto& [field_at, end] : {std::pair{3u, 7u}, std::pair{11u, 15u}}) {
    const auto field = static_cast<std::uint32_t>(0x3000 - (40 + end));
    for (unsigned i = 0; i < 4; ++i) {
      literal[field_at + i] = static_cast<char>(field >> (8 * i));
      stored[field_at + i] = static_cast<char>(0x3000 >> (8 * i));
    }
  }
  target.insert(target.end(), literal.begin(), literal.end());
  const Bytes payload = stored_payload('7', source, target.size(), 1, {0, 40, 20}, 40, stored, 3);
  auto out = decode(source, payload, target.size());
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(*out, target);
}

// x86 code whose new functions call a handful of old ones from many places:
// the literal stream packs smaller with the transform, and the payload says
// it took it.
TEST(NativeEngine, TakesTheLiteralTransformWhereItPacksSmaller) {
  const Bytes source = x64_image(200, 200, 0);
  Bytes target = source;
  std::mt19937 rng(3);
  Bytes added;
  for (int i = 0; i < 4000; ++i) {
    const std::size_t at = target.size() + added.size();
    added.push_back(0xE8);
    const auto callee = static_cast<std::uint32_t>(0x100 + 64 * (rng() % 8));
    const auto field = static_cast<std::uint32_t>(callee - (at + 5));
    for (int b = 0; b < 4; ++b)
      added.push_back(static_cast<std::uint8_t>(field >> (8 * b)));
    for (int b = 0; b < 3; ++b)
      added.push_back(static_cast<std::uint8_t>(rng() % 4));
  }
  target.insert(target.end(), added.begin(), added.end());
  const Bytes payload = encode("native", source, target);
  auto out = decode(source, payload, target.size());
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(*out, target);
  // x86-64 code: the x86-64 transform, which version 7 carries.
  EXPECT_EQ(literal_transform_of(payload), 3u);
  EXPECT_EQ(std::string(payload.begin(), payload.begin() + 4), "DFN7");
}

TEST(BlockPrediction, DoesNotDependOnHowTheBlockIsCut) {
  Bytes source = arm_image(11, 200, 200, 0);
  // An x86 call at 5001 to 3000, inside the first map entry.
  source[5001] = 0xE8;
  put32(source, 5002, static_cast<std::uint32_t>(3000 - (5001 + 5)));
  // Thumb code from 12000 on.
  const Bytes thumb = thumb_image(60, 60, 0);
  std::copy(thumb.begin() + 0x54, thumb.begin() + 0x54 + 12000, source.begin() + 12000);
  // PLT entries among the A32 words and the Thumb code.
  for (std::uint32_t at : {6000u, 6012u, 16000u, 16012u})
    put_plt_entry(source, at, at, 3000 + at / 8);
  // 64-bit pointers to 5000 at 8000 and 8013 (only the aligned one is one).
  for (std::size_t at : {8000, 8013}) {
    put32(source, at, 5000);
    put32(source, at + 4, 0);
  }
  // Pieces of at most 9 bytes take the one-by-one walk; the whole block also
  // takes the fast skips (x86 lead bytes, Thumb candidates). The last set
  // loads the image at 0, so that only words in [4096, image size) are
  // absolute candidates and the Thumb skip has long stretches to pass.
  constexpr native::KindSet kThumbSet =
      native::kThumbBranch | native::kThumbLiteral | native::kArmPltEntry | native::kAbsolute32;
  constexpr native::KindSet kLoadedAtZero = native::kAllReferenceKinds + 1;
  for (native::KindSet kinds :
       {native::KindSet(native::kArm32Branch | native::kAbsolute32 | native::kArm32Literal | native::kArmPltEntry),
        kThumbSet, native::KindSet(native::kX86Relative | native::kX64RipRelative),
        native::KindSet(native::kX86Relative | native::kX64RipRelative | native::kAbsolute64),
        native::KindSet(native::kArm64Branch | native::kAbsolute64), kThumbSet | kLoadedAtZero}) {
    native::Layout layout;
    layout.kinds = kinds & native::kAllReferenceKinds;
    if (kinds & kLoadedAtZero) {
      layout.source = native::AddressSpace({{0, 0, source.size()}});
      layout.target = native::AddressSpace({{0, 0, source.size() + 4000}});
    }
    const native::OffsetMap map({{0, 20000, 512}, {20000, 30000, 24000}});
    ASSERT_TRUE(map.is_valid());
    const std::uint64_t start = 1001, length = source.size() - 2000;
    Bytes whole(length), pieces(length);
    native::BlockPrediction(layout, native::MovedAddresses(layout.source, map, layout.target), source, start, 77,
                            length)
        .fill(whole.data(), length);
    const native::MovedAddresses moved(layout.source, map, layout.target);
    native::BlockPrediction cut(layout, moved, source, start, 77, length);
    std::mt19937 rng(kinds);
    for (std::uint64_t done = 0; done < length;) {
      const std::uint64_t n = std::min<std::uint64_t>(1 + rng() % 9, length - done);
      cut.fill(pieces.data() + done, n);
      done += n;
    }
    EXPECT_EQ(whole, pieces) << kinds;
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
