#include "signing/signature_document.hpp"

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

namespace dfota::signing {

namespace {

constexpr const char* kFormat = "dfota-signature";
constexpr int kVersion = 1;

std::string base64(ByteSpan bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<Bytes> unbase64(const std::string& text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  Bytes out(text.size() / 4 * 3);
  const int n =
      EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts padding as zero bytes: drop them.
  std::size_t size = static_cast<std::size_t>(n);
  if (text.ends_with("=="))
    size -= 2;
  else if (text.ends_with("="))
    size -= 1;
  out.resize(size);
  return out;
}

Error invalid(const std::string& what) { return make_error(SigningErrc::signature_invalid, "manifest.sig: " + what); }

bool is_fingerprint(const std::string& text) {
  if (text.size() != 7 + 64 || !text.starts_with("SHA256:")) return false;
  for (std::size_t i = 7; i < text.size(); ++i) {
    const char c = text[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

} // namespace

Expected<SignatureDocument> sign_document(const PrivateKey& key, ByteSpan message) {
  auto signature = key.sign(message);
  if (!signature) return signature.error();
  return SignatureDocument{key.type(), key.public_key().fingerprint(), std::move(*signature)};
}

std::string to_text(const SignatureDocument& document) {
  nlohmann::ordered_json j;
  j["format"] = kFormat;
  j["version"] = kVersion;
  j["algorithm"] = to_string(document.algorithm);
  j["key"] = document.key_fingerprint;
  j["signature"] = base64(document.signature);
  return j.dump() + "\n";
}

Expected<SignatureDocument> parse_signature_document(ByteSpan text) {
  if (text.size() > kMaxSignatureDocumentSize) return invalid("larger than a signature can be");
  const auto j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return invalid("not a JSON object");
  auto string_field = [&](const char* name) -> std::optional<std::string> {
    auto it = j.find(name);
    if (it == j.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  if (string_field("format") != std::string(kFormat)) return invalid("\"format\" is not \"dfota-signature\"");
  auto version = j.find("version");
  if (version == j.end() || !version->is_number_integer() || version->get<long long>() != kVersion)
    return invalid("unsupported \"version\" (this program reads version 1)");
  auto algorithm = string_field("algorithm");
  if (!algorithm) return invalid("no \"algorithm\"");
  auto type = key_type_from_string(*algorithm);
  if (!type) return invalid("unknown algorithm \"" + *algorithm + "\"");
  auto key = string_field("key");
  if (!key || !is_fingerprint(*key)) return invalid("\"key\" is not a SHA256:<64 hex digits> fingerprint");
  auto encoded = string_field("signature");
  if (!encoded) return invalid("no \"signature\"");
  auto signature = unbase64(*encoded);
  if (!signature || signature->empty() || signature->size() > 256) return invalid("\"signature\" is not base64");
  return SignatureDocument{*type, *key, std::move(*signature)};
}

Expected<PublicKey> verify_document(const SignatureDocument& document, ByteSpan message,
                                    const std::vector<PublicKey>& trusted) {
  for (const PublicKey& key : trusted) {
    if (key.fingerprint() != document.key_fingerprint) continue;
    if (key.type() == document.algorithm && key.verifies(message, document.signature)) return key;
    return make_error(SigningErrc::bad_signature,
                      "the signature by trusted key " + key.fingerprint() +
                          " does not verify: the manifest was changed after signing (or the signature was)");
  }
  return make_error(SigningErrc::untrusted_key,
                    "signed by key " + document.key_fingerprint + ", which is not among the trusted keys given");
}

} // namespace dfota::signing
