#include "package/package_signature.hpp"

#include <unistd.h>

#include "core/hash.hpp"
#include "package/errors.hpp"

namespace dfota::package {

namespace fs = std::filesystem;

namespace {

// Reads a payload stream to its end; the VerifiedReader fails on a mismatch.
Status drain(Reader& reader) {
  Bytes buffer(64u << 10);
  for (;;) {
    auto n = reader.read(buffer);
    if (!n) return n.error();
    if (*n == 0) return {};
  }
}

} // namespace

Expected<std::optional<signing::SignatureDocument>> read_signature(const ZipReader& zip) {
  if (zip.find(kSignatureEntry) == nullptr) return std::optional<signing::SignatureDocument>{};
  auto bytes = zip.read_entry(kSignatureEntry, signing::kMaxSignatureDocumentSize);
  if (!bytes) {
    if (bytes.error().is(PackageErrc::limit_exceeded))
      return make_error(signing::SigningErrc::signature_invalid, "manifest.sig: larger than a signature can be");
    return bytes.error();
  }
  auto document = signing::parse_signature_document(*bytes);
  if (!document) return document.error();
  return std::optional<signing::SignatureDocument>(std::move(*document));
}

Expected<signing::PublicKey> verify_package(const OpenedPackage& package,
                                            const std::vector<signing::PublicKey>& trusted) {
  auto document = read_signature(package.zip);
  if (!document) return document.error();
  if (!*document)
    return make_error(signing::SigningErrc::unsigned_package,
                      "the package is not signed, and trusted keys were given (sign it with `dfota sign`)");
  auto key = signing::verify_document(**document, package.manifest_bytes, trusted);
  if (!key) return key.error();

  auto check = [&](const std::optional<Payload>& payload) -> Status {
    if (!payload) return {};
    auto reader = open_payload(package.zip, *payload);
    if (!reader) return reader.error();
    return drain(**reader);
  };
  for (const auto& p : package.manifest.partitions) {
    if (auto ok = check(p.payload); !ok) return ok.error();
    for (const auto& f : p.files) {
      if (auto ok = check(f.payload); !ok) return ok.error();
    }
  }
  if (!package.manifest.firmware_json.sha256.empty()) {
    auto json = package.zip.read_entry(kFirmwareJsonEntry, package.manifest.firmware_json.size);
    if (!json) return json.error();
    if (json->size() != package.manifest.firmware_json.size ||
        sha256_hex(*json) != package.manifest.firmware_json.sha256)
      return make_error(PackageErrc::payload_mismatch,
                        std::string(kFirmwareJsonEntry) + " differs from the signed manifest");
  }
  return key;
}

Expected<signing::PublicKey> verify_package(const fs::path& package, const std::vector<signing::PublicKey>& trusted) {
  auto opened = open_package(package);
  if (!opened) return opened.error();
  return verify_package(*opened, trusted);
}

Expected<signing::SignatureDocument> sign_package(const fs::path& package, const signing::PrivateKey& key,
                                                  const fs::path& output) {
  auto opened = open_package(package);
  if (!opened) return opened.error();
  auto document = signing::sign_document(key, opened->manifest_bytes);
  if (!document) return document.error();
  const std::string text = signing::to_text(*document);

  // Written beside the output, renamed over it only when complete.
  const fs::path temporary = output.string() + ".signing-" + std::to_string(::getpid());
  auto zip = ZipWriter::create(temporary);
  if (!zip) return zip.error();
  for (const ZipEntryInfo& entry : opened->zip.entries()) {
    if (entry.name == kSignatureEntry) continue;
    if (auto ok = zip->add_entry_from(opened->zip, entry.name); !ok) return ok.error();
    if (entry.name == kManifestEntry) {
      if (auto ok = zip->add_bytes(kSignatureEntry, Bytes(text.begin(), text.end())); !ok) return ok.error();
    }
  }
  if (auto ok = zip->close(); !ok) {
    std::error_code ec;
    fs::remove(temporary, ec);
    return ok.error();
  }
  std::error_code ec;
  fs::rename(temporary, output, ec);
  if (ec) {
    fs::remove(temporary, ec);
    return make_error(CoreErrc::io_error, output.string() + ": cannot replace it: " + ec.message());
  }
  return document;
}

} // namespace dfota::package
