#include <gtest/gtest.h>

#include "core/hash.hpp"
#include "support/test_support.hpp"

namespace dfota {
namespace {

// Vectors computed by hand from the definition in module-facts.md:
// w = b[i] << 8 | b[i+1]; ck ^= w; an odd last byte is the high half.
struct ChecksumCase {
  Bytes data;
  std::uint16_t expected;
};

TEST(ModuleChecksum, HandComputedVectors) {
  const std::vector<ChecksumCase> cases{
      {{}, 0x0000},
      {{0xab}, 0xab00}, // odd: high byte
      {{0x12, 0x34}, 0x1234},
      {{0x12, 0x34, 0x56}, 0x1234 ^ 0x5600},       // = 0x4434
      {{0x01, 0x02, 0x03, 0x04}, 0x0102 ^ 0x0304}, // = 0x0206
      {{0xff, 0xff, 0xff, 0xff}, 0x0000},
      {{0xde, 0xad, 0xbe, 0xef, 0x01}, 0xdead ^ 0xbeef ^ 0x0100}, // = 0x6142
  };
  EXPECT_EQ(0x1234 ^ 0x5600, 0x4434);
  for (const auto& c : cases) {
    EXPECT_EQ(module_checksum(c.data), c.expected) << to_hex(c.data);
  }
}

TEST(ModuleChecksum, PiecesOfAnySizeGiveTheSameResult) {
  for (std::size_t length : {0u, 1u, 2u, 3u, 1023u, 1024u, 4097u}) {
    Bytes data = test::random_bytes(length, static_cast<std::uint32_t>(length));
    const std::uint16_t whole = module_checksum(data);
    for (std::size_t piece : {1u, 2u, 3u, 7u, 1000u}) {
      ModuleChecksum c;
      for (std::size_t at = 0; at < data.size(); at += piece) {
        c.update(ByteSpan(data).subspan(at, std::min(piece, data.size() - at)));
      }
      EXPECT_EQ(c.value(), whole) << "length " << length << " piece " << piece;
    }
  }
}

TEST(ModuleChecksum, PrintsAsModulesDo) {
  ModuleChecksum c;
  c.update(Bytes{0x2d, 0x19});
  EXPECT_EQ(c.hex(), "2d19");
  ModuleChecksum small;
  small.update(Bytes{0x00, 0x0f});
  EXPECT_EQ(small.hex(), "f");
}

TEST(ModuleChecksum, ParsesTolerantly) {
  EXPECT_EQ(*parse_module_checksum("b34a"), 0xb34a);
  EXPECT_EQ(*parse_module_checksum(" b34a"), 0xb34a); // "+QFOTADL: 345200, b34a"
  EXPECT_EQ(*parse_module_checksum("B34A"), 0xb34a);
  EXPECT_EQ(*parse_module_checksum("0b34a"), 0xb34a);
  EXPECT_EQ(*parse_module_checksum("0x2D19\r\n"), 0x2d19);
  EXPECT_EQ(*parse_module_checksum("f"), 0x000f);
  EXPECT_FALSE(parse_module_checksum(""));
  EXPECT_FALSE(parse_module_checksum("xyz"));
  EXPECT_FALSE(parse_module_checksum("10000"));
}

TEST(Digest, KnownVectors) {
  EXPECT_EQ(sha256_hex(as_bytes("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(md5_hex(as_bytes("abc")), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(sha256_hex(as_bytes("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(md5_hex(as_bytes("")), "d41d8cd98f00b204e9800998ecf8427e");
  // Two blocks (FIPS 180-2 and RFC 1321 vectors).
  EXPECT_EQ(sha256_hex(as_bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(md5_hex(as_bytes("12345678901234567890123456789012345678901234567890123456789012345678901234567890")),
            "57edf4a22be3c955ac49da2e2107b67a");
}

TEST(Digest, DigestWriterMatchesOneShotHashes) {
  Bytes data = test::random_bytes(100001, 9);
  DigestWriter w;
  for (std::size_t at = 0; at < data.size(); at += 4096) {
    ASSERT_TRUE(w.write(ByteSpan(data).subspan(at, std::min<std::size_t>(4096, data.size() - at))));
  }
  Digests d = w.finish();
  EXPECT_EQ(d.size, data.size());
  EXPECT_EQ(d.sha256, sha256_hex(data));
  EXPECT_EQ(d.md5, md5_hex(data));
  EXPECT_EQ(d.module_checksum, module_checksum(data));
}

} // namespace
} // namespace dfota
