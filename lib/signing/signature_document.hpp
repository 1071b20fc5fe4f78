// The detached signature a package carries as manifest.sig
// (formats/package-v1.md, "Signature"): a small JSON document naming the
// algorithm and the signing key's fingerprint, with the signature in base64.
#pragma once

#include <string>

#include "core/bytes.hpp"
#include "core/error.hpp"
#include "signing/keys.hpp"

namespace dfota::signing {

inline constexpr std::size_t kMaxSignatureDocumentSize = 16u << 10;

struct SignatureDocument {
  KeyType algorithm = KeyType::ed25519;
  std::string key_fingerprint; // "SHA256:<64 hex>"
  Bytes signature;
};

// Signs `message` (the exact manifest bytes) with `key`.
Expected<SignatureDocument> sign_document(const PrivateKey& key, ByteSpan message);

// Canonical JSON text, one line and a newline.
std::string to_text(const SignatureDocument& document);

// Fails with SigningErrc::signature_invalid on anything but a well-formed
// document of at most kMaxSignatureDocumentSize bytes.
Expected<SignatureDocument> parse_signature_document(ByteSpan text);

// Checks `document` against `message` with the trusted keys: passes when one
// key with the document's fingerprint verifies it. Fails with
// SigningErrc::untrusted_key when no trusted key has that fingerprint and
// SigningErrc::bad_signature when the matching key does not verify.
Expected<PublicKey> verify_document(const SignatureDocument& document, ByteSpan message,
                                    const std::vector<PublicKey>& trusted);

} // namespace dfota::signing
