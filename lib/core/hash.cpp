#include "core/hash.hpp"

#include <cstdio>
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/md5.h>
#include <openssl/sha.h>

namespace dfota {

std::string to_hex(ByteSpan bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

// OpenSSL's direct SHA-256 and MD5 functions, not EVP: the first EVP digest
// of a process initialises the provider machinery, which costs about 2 ms
// and 2 MiB of resident memory in every command that hashes (measured with
// OpenSSL 3.0 on x86-64), at the same speed (both take the SHA extensions).
// OpenSSL 3 marks these functions deprecated and keeps them through 3.x.
struct Digest::Impl {
  Kind kind;
  SHA256_CTX sha256;
  MD5_CTX md5;
};

Digest::Digest(Kind kind) : impl_(std::make_unique<Impl>()) {
  impl_->kind = kind;
  if (kind == Kind::sha256) {
    SHA256_Init(&impl_->sha256);
  } else {
    MD5_Init(&impl_->md5);
  }
}

Digest::~Digest() = default;

void Digest::update(ByteSpan data) {
  if (data.empty()) return;
  if (impl_->kind == Kind::sha256) {
    SHA256_Update(&impl_->sha256, data.data(), data.size());
  } else {
    MD5_Update(&impl_->md5, data.data(), data.size());
  }
}

std::string Digest::finish_hex() {
  if (impl_->kind == Kind::sha256) {
    unsigned char out[SHA256_DIGEST_LENGTH];
    SHA256_Final(out, &impl_->sha256);
    return to_hex({out, sizeof out});
  }
  unsigned char out[MD5_DIGEST_LENGTH];
  MD5_Final(out, &impl_->md5);
  return to_hex({out, sizeof out});
}

Sha256 sha256(ByteSpan data) {
  static_assert(std::tuple_size_v<Sha256> == SHA256_DIGEST_LENGTH);
  SHA256_CTX context;
  SHA256_Init(&context);
  SHA256_Update(&context, data.data(), data.size());
  Sha256 out{};
  SHA256_Final(out.data(), &context);
  return out;
}

std::string sha256_hex(ByteSpan data) { return to_hex(sha256(data)); }

std::string md5_hex(ByteSpan data) {
  Digest d(Digest::Kind::md5);
  d.update(data);
  return d.finish_hex();
}

void ModuleChecksum::update(ByteSpan data) {
  std::size_t i = 0;
  if (odd_ && !data.empty()) {
    sum_ ^= static_cast<std::uint16_t>(pending_ << 8 | data[0]);
    odd_ = false;
    i = 1;
  }
  for (; i + 1 < data.size(); i += 2) {
    sum_ ^= static_cast<std::uint16_t>(data[i] << 8 | data[i + 1]);
  }
  if (i < data.size()) {
    pending_ = data[i];
    odd_ = true;
  }
}

std::uint16_t ModuleChecksum::value() const { return odd_ ? static_cast<std::uint16_t>(sum_ ^ (pending_ << 8)) : sum_; }

std::string ModuleChecksum::hex() const { return checksum_hex(value()); }

std::string checksum_hex(std::uint16_t value) {
  char text[8];
  std::snprintf(text, sizeof text, "%x", value);
  return text;
}

std::uint16_t module_checksum(ByteSpan data) {
  ModuleChecksum c;
  c.update(data);
  return c.value();
}

Expected<std::uint16_t> parse_module_checksum(std::string_view text) {
  while (!text.empty() && text.front() == ' ')
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\r' || text.back() == '\n'))
    text.remove_suffix(1);
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) text.remove_prefix(2);
  if (text.empty()) return make_error(CoreErrc::invalid_input, "empty checksum");
  unsigned value = 0;
  for (char c : text) {
    int digit;
    if (c >= '0' && c <= '9')
      digit = c - '0';
    else if (c >= 'a' && c <= 'f')
      digit = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      digit = c - 'A' + 10;
    else
      return make_error(CoreErrc::invalid_input, "checksum is not hexadecimal: " + std::string(text));
    value = value * 16 + static_cast<unsigned>(digit);
    if (value > 0xffff) return make_error(CoreErrc::invalid_input, "checksum exceeds 16 bits: " + std::string(text));
  }
  return static_cast<std::uint16_t>(value);
}

DigestWriter::DigestWriter() : sha256_(Digest::Kind::sha256), md5_(Digest::Kind::md5) {}

Status DigestWriter::write(ByteSpan data) {
  sha256_.update(data);
  md5_.update(data);
  checksum_.update(data);
  size_ += data.size();
  return {};
}

Digests DigestWriter::finish() { return Digests{size_, sha256_.finish_hex(), md5_.finish_hex(), checksum_.value()}; }

Digests digest_bytes(ByteSpan data) {
  DigestWriter w;
  (void)w.write(data);
  return w.finish();
}

Expected<Digests> digest_stream(Reader& reader) {
  DigestWriter w;
  auto copied = copy_stream(reader, w);
  if (!copied) return copied.error();
  return w.finish();
}

} // namespace dfota
