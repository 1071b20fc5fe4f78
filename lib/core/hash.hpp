// SHA-256 and MD5 (OpenSSL) and the module's 16-bit XOR checksum, each
// usable incrementally so that they can sit behind a Writer.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "core/bytes.hpp"

namespace dfota {

std::string to_hex(ByteSpan bytes);

// Incremental message digest. Kind is fixed at construction.
class Digest {
public:
  enum class Kind { sha256, md5 };
  explicit Digest(Kind kind);
  ~Digest();
  Digest(const Digest&) = delete;
  Digest& operator=(const Digest&) = delete;

  void update(ByteSpan data);
  // Lowercase hex of the digest; the object must not be updated afterwards.
  std::string finish_hex();

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string sha256_hex(ByteSpan data);
using Sha256 = std::array<std::uint8_t, 32>;
Sha256 sha256(ByteSpan data);
std::string md5_hex(ByteSpan data);

// The checksum modules report in `+QFUPL: <size>,<checksum>` and
// `+QFOTADL: <size>,<checksum>`: XOR of big-endian 16-bit words; with an odd
// length the last byte is the high half of a final word whose low half is 0.
// Feeding the data in pieces of any size gives the same result.
class ModuleChecksum {
public:
  void update(ByteSpan data);
  std::uint16_t value() const;
  // As modules print it: lowercase hex, no prefix, no leading zeros ("2d19").
  std::string hex() const;

private:
  std::uint16_t sum_ = 0;
  bool odd_ = false; // a high byte is waiting for its low half
  std::uint8_t pending_ = 0;
};

std::uint16_t module_checksum(ByteSpan data);

// A checksum as modules print it: lowercase hex, no prefix, no leading zeros.
std::string checksum_hex(std::uint16_t value);

// Parses a checksum as a module prints it, tolerating case, leading zeros,
// surrounding spaces and a 0x prefix. Fails on anything else or above 0xffff.
Expected<std::uint16_t> parse_module_checksum(std::string_view text);

// Size, SHA-256, MD5 and module checksum of everything written to it.
struct Digests {
  std::uint64_t size = 0;
  std::string sha256;
  std::string md5;
  std::uint16_t module_checksum = 0;
};

class DigestWriter final : public Writer {
public:
  DigestWriter();
  Status write(ByteSpan data) override;
  Digests finish();

private:
  Digest sha256_;
  Digest md5_;
  ModuleChecksum checksum_;
  std::uint64_t size_ = 0;
};

Digests digest_bytes(ByteSpan data);
Expected<Digests> digest_stream(Reader& reader);

} // namespace dfota
