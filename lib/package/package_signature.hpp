// Signed packages: manifest.sig holds a signature of the exact bytes of
// manifest.json, and the manifest holds the SHA-256 of every payload, so one
// signature covers the whole package (formats/package-v1.md, "Signature").
#pragma once

#include <filesystem>
#include <optional>
#include <vector>

#include "package/package_reader.hpp"
#include "signing/signature_document.hpp"

namespace dfota::package {

// What manifest.sig says, without checking it: nullopt when the package has
// none; SigningErrc::signature_invalid when it is malformed.
Expected<std::optional<signing::SignatureDocument>> read_signature(const ZipReader& zip);

// The check `validate`, `apply` and `upload` run first when given trusted
// keys: the package is signed, the signature verifies with one of `trusted`,
// and every payload (and firmware.json) matches the manifest. Returns the
// key that verified. Errors: SigningErrc::unsigned_package, untrusted_key,
// bad_signature, signature_invalid; PackageErrc::payload_mismatch. Reads only.
Expected<signing::PublicKey> verify_package(const OpenedPackage& package,
                                            const std::vector<signing::PublicKey>& trusted);

// The same from a path: opens the package first.
Expected<signing::PublicKey> verify_package(const std::filesystem::path& package,
                                            const std::vector<signing::PublicKey>& trusted);

// Adds manifest.sig, the signature of `manifest_bytes` by `key`, to `zip`:
// the one place a signature entry is written (builder and sign_package).
Expected<signing::SignatureDocument> add_signature(ZipWriter& zip, const signing::PrivateKey& key,
                                                   ByteSpan manifest_bytes);

// Writes `package` signed by `key` to `output` (which may be `package`
// itself): the same entries in the same order, manifest.sig (new or
// replacing an old one) right after manifest.json. The package is opened and
// checked like any other first. `output` is replaced only when the signed
// copy is complete.
Expected<signing::SignatureDocument> sign_package(const std::filesystem::path& package, const signing::PrivateKey& key,
                                                  const std::filesystem::path& output);

} // namespace dfota::package
