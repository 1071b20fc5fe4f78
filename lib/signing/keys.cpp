#include "signing/keys.hpp"

#include <cerrno>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/files.hpp"
#include "core/hash.hpp"

namespace dfota::signing {

namespace {

constexpr std::size_t kMaxKeyFileSize = 64u << 10;

EVP_PKEY* raw(const std::shared_ptr<void>& key) { return static_cast<EVP_PKEY*>(key.get()); }

std::shared_ptr<void> own(EVP_PKEY* key) {
  return std::shared_ptr<void>(key, [](void* p) { EVP_PKEY_free(static_cast<EVP_PKEY*>(p)); });
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

// The key's type, if it is one we sign with.
Expected<KeyType> type_of(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "ED25519")) return KeyType::ed25519;
  if (EVP_PKEY_is_a(key, "EC")) {
    char group[64] = {};
    std::size_t length = 0;
    if (EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof group, &length) == 1 &&
        std::string(group) == "prime256v1")
      return KeyType::ecdsa_p256;
    return make_error(SigningErrc::unsupported_key, "EC keys must be on curve P-256 (prime256v1)");
  }
  return make_error(SigningErrc::unsupported_key, "keys must be Ed25519 or ECDSA P-256");
}

const EVP_MD* digest_for(KeyType type) { return type == KeyType::ed25519 ? nullptr : EVP_sha256(); }

Expected<std::string> read_key_text(const std::filesystem::path& path) {
  auto bytes = read_file(path.string(), kMaxKeyFileSize);
  if (!bytes) {
    if (bytes.error().is(CoreErrc::limit_exceeded))
      return make_error(SigningErrc::key_invalid, path.string() + ": larger than a key file can be");
    return make_error(SigningErrc::key_unreadable, bytes.error().message()); // read_file names the file
  }
  return std::string(bytes->begin(), bytes->end());
}

// Writes `text` to a new file with `mode`; never replaces an existing file.
Status write_new_file(const std::filesystem::path& path, const std::string& text, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    if (errno == EEXIST)
      return make_error(CoreErrc::already_exists, path.string() + " exists; keys are never overwritten");
    return system_error(path.string(), errno);
  }
  ::fchmod(fd, mode); // the umask must not widen or narrow what we promise
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int saved = errno;
      ::close(fd);
      ::unlink(path.c_str());
      return system_error(path.string(), saved);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int saved = errno;
    ::unlink(path.c_str());
    return system_error(path.string(), saved);
  }
  return {};
}

} // namespace

const char* to_string(KeyType type) { return type == KeyType::ed25519 ? "ed25519" : "ecdsa-p256"; }

Expected<KeyType> key_type_from_string(const std::string& name) {
  if (name == "ed25519") return KeyType::ed25519;
  if (name == "ecdsa-p256") return KeyType::ecdsa_p256;
  return make_error(SigningErrc::unsupported_key, "unknown key type \"" + name + "\" (ed25519, ecdsa-p256)");
}

PublicKey::PublicKey(std::shared_ptr<void> key, KeyType type) : key_(std::move(key)), type_(type) {
  unsigned char* der = nullptr;
  const int n = i2d_PUBKEY(raw(key_), &der);
  if (n > 0) {
    fingerprint_ = "SHA256:" + sha256_hex(ByteSpan(der, static_cast<std::size_t>(n)));
    OPENSSL_free(der);
  }
}

std::string PublicKey::pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), raw(key_)) != 1) return {};
  return bio_text(bio.get());
}

bool PublicKey::verifies(ByteSpan message, ByteSpan signature) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, digest_for(type_), nullptr, raw(key_)) != 1) return false;
  return EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(), message.size()) == 1;
}

PublicKey PrivateKey::public_key() const {
  // Re-read the public half through its DER form so that the PublicKey never
  // holds private material.
  unsigned char* der = nullptr;
  const int n = i2d_PUBKEY(raw(key_), &der);
  const unsigned char* cursor = der;
  EVP_PKEY* pub = n > 0 ? d2i_PUBKEY(nullptr, &cursor, n) : nullptr;
  OPENSSL_free(der);
  return PublicKey(own(pub), type_);
}

std::string PrivateKey::pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), raw(key_), nullptr, nullptr, 0, nullptr, nullptr) != 1) return {};
  return bio_text(bio.get());
}

Expected<Bytes> PrivateKey::sign(ByteSpan message) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, digest_for(type_), nullptr, raw(key_)) != 1)
    return make_error(SigningErrc::crypto_failed, "cannot start signing");
  std::size_t length = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &length, message.data(), message.size()) != 1)
    return make_error(SigningErrc::crypto_failed, "cannot size the signature");
  Bytes signature(length);
  if (EVP_DigestSign(ctx.get(), signature.data(), &length, message.data(), message.size()) != 1)
    return make_error(SigningErrc::crypto_failed, "signing failed");
  signature.resize(length);
  return signature;
}

Expected<PrivateKey> generate_key(KeyType type) {
  EVP_PKEY* key = type == KeyType::ed25519 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
                                           : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (key == nullptr) return make_error(SigningErrc::crypto_failed, "key generation failed");
  return PrivateKey(own(key), type);
}

Expected<PrivateKey> parse_private_key(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  // No passphrase callback: an encrypted key is refused rather than prompted for.
  EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(
                            bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr)
                      : nullptr;
  if (key == nullptr)
    return make_error(SigningErrc::key_invalid, "not an unencrypted PEM private key (PKCS#8 or traditional)");
  auto owned = own(key);
  auto type = type_of(key);
  if (!type) return type.error();
  return PrivateKey(std::move(owned), *type);
}

Expected<PublicKey> parse_public_key(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EVP_PKEY* key = bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (key == nullptr) {
    if (pem.find("PRIVATE KEY") != std::string_view::npos)
      return make_error(SigningErrc::key_invalid,
                        "a private key where a public key belongs (use the .pub/public file)");
    return make_error(SigningErrc::key_invalid, "not a PEM public key (-----BEGIN PUBLIC KEY-----)");
  }
  auto owned = own(key);
  auto type = type_of(key);
  if (!type) return type.error();
  return PublicKey(std::move(owned), *type);
}

Expected<PrivateKey> load_private_key(const std::filesystem::path& path) {
  auto text = read_key_text(path);
  if (!text) return text.error();
  auto key = parse_private_key(*text);
  OPENSSL_cleanse(text->data(), text->size());
  if (!key) return key.error().with_context(path.string());
  return key;
}

Expected<PublicKey> load_public_key(const std::filesystem::path& path) {
  auto text = read_key_text(path);
  if (!text) return text.error();
  auto key = parse_public_key(*text);
  if (!key) return key.error().with_context(path.string());
  return key;
}

bool readable_by_others(const std::filesystem::path& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)) != 0;
}

Status write_key_pair(const PrivateKey& key, const std::filesystem::path& private_path,
                      const std::filesystem::path& public_path) {
  std::error_code ec;
  if (std::filesystem::exists(public_path, ec))
    return make_error(CoreErrc::already_exists, public_path.string() + " exists; keys are never overwritten");
  std::string secret = key.pem();
  if (secret.empty()) return make_error(SigningErrc::crypto_failed, "cannot encode the private key");
  auto wrote = write_new_file(private_path, secret, 0600);
  OPENSSL_cleanse(secret.data(), secret.size());
  if (!wrote) return wrote;
  if (auto ok = write_new_file(public_path, key.public_key().pem(), 0644); !ok) {
    ::unlink(private_path.c_str());
    return ok;
  }
  return {};
}

} // namespace dfota::signing
