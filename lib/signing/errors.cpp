// The signing area's error category, in a file of its own so that a program
// can map errors to exit codes without linking the rest of the area.
#include "signing/keys.hpp"

#include <string>

namespace dfota::signing {

namespace {
const char* describe(SigningErrc value) {
  switch (value) {
  case SigningErrc::key_unreadable: return "key file cannot be read";
  case SigningErrc::key_invalid: return "not a PEM key of the expected kind";
  case SigningErrc::unsupported_key: return "unsupported key algorithm";
  case SigningErrc::unsigned_package: return "package is not signed";
  case SigningErrc::bad_signature: return "signature does not verify";
  case SigningErrc::untrusted_key: return "signed by a key that is not trusted";
  case SigningErrc::signature_invalid: return "malformed signature document";
  case SigningErrc::crypto_failed: return "cryptographic operation failed";
  }
  return nullptr;
}
} // namespace

const std::error_category& signing_category() {
  static const EnumErrorCategory<SigningErrc> category("signing", describe, "unknown signing error");
  return category;
}

std::error_code make_error_code(SigningErrc value) { return {static_cast<int>(value), signing_category()}; }

} // namespace dfota::signing
