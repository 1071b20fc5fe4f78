// Signing keys and detached signatures (OpenSSL EVP). Ed25519 by default;
// ECDSA P-256 with SHA-256 for teams whose HSM or PKI needs it. Keys are
// PEM files: PKCS#8 for private keys, SubjectPublicKeyInfo for public ones.
// Nothing here ever returns a private key's bytes in an error message.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace dfota::signing {

enum class SigningErrc {
  key_unreadable = 1, // a key file cannot be read
  key_invalid,        // a key file is not a PEM key of the expected kind
  unsupported_key,    // a key of an algorithm this program does not sign with
  unsigned_package,   // a signature was required and the package has none
  bad_signature,      // the signature does not verify: the manifest was changed
  untrusted_key,      // signed, but by none of the trusted keys
  signature_invalid,  // manifest.sig is not a signature document
  crypto_failed,      // OpenSSL failed for another reason
};
const std::error_category& signing_category();
std::error_code make_error_code(SigningErrc value);

enum class KeyType { ed25519, ecdsa_p256 };
// "ed25519" or "ecdsa-p256" (the names keygen --type takes).
const char* to_string(KeyType type);
Expected<KeyType> key_type_from_string(const std::string& name);

// A public key. Copies share the same immutable OpenSSL key.
class PublicKey {
public:
  KeyType type() const { return type_; }
  // "SHA256:" + lowercase hex of the SHA-256 of the DER SubjectPublicKeyInfo:
  // the same for the key however it is stored.
  const std::string& fingerprint() const { return fingerprint_; }
  std::string pem() const;
  // True when `signature` is this key's signature of `message`.
  bool verifies(ByteSpan message, ByteSpan signature) const;

private:
  friend class PrivateKey;
  friend Expected<PublicKey> parse_public_key(std::string_view pem);
  PublicKey(std::shared_ptr<void> key, KeyType type);
  std::shared_ptr<void> key_; // EVP_PKEY
  KeyType type_;
  std::string fingerprint_;
};

// A private key. Copies share the same immutable OpenSSL key.
class PrivateKey {
public:
  KeyType type() const { return type_; }
  PublicKey public_key() const;
  // PKCS#8 PEM, unencrypted: for writing the key file only.
  std::string pem() const;
  // Ed25519 signs the message itself; ECDSA its SHA-256 (DER signature).
  Expected<Bytes> sign(ByteSpan message) const;

private:
  friend Expected<PrivateKey> generate_key(KeyType type);
  friend Expected<PrivateKey> parse_private_key(std::string_view pem);
  PrivateKey(std::shared_ptr<void> key, KeyType type) : key_(std::move(key)), type_(type) {}
  std::shared_ptr<void> key_; // EVP_PKEY
  KeyType type_;
};

Expected<PrivateKey> generate_key(KeyType type);
Expected<PrivateKey> parse_private_key(std::string_view pem);
Expected<PublicKey> parse_public_key(std::string_view pem);

// From files. A private key file must be at most 64 KiB; errors name the
// path, never the contents.
Expected<PrivateKey> load_private_key(const std::filesystem::path& path);
Expected<PublicKey> load_public_key(const std::filesystem::path& path);

// True when the file's mode lets the group or others read it.
bool readable_by_others(const std::filesystem::path& path);

// Writes a new key pair: the private key with mode 0600, the public key
// 0644. Fails with CoreErrc::already_exists if either file exists, so that a
// key is never overwritten; on failure neither file is left behind.
Status write_key_pair(const PrivateKey& key, const std::filesystem::path& private_path,
                      const std::filesystem::path& public_path);

} // namespace dfota::signing

template <> struct std::is_error_code_enum<dfota::signing::SigningErrc> : std::true_type {};
