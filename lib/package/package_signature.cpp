#include "package/package_signature.hpp"

#include <cerrno>
#include <cstdio>

#include "core/files.hpp"
#include "core/hash.hpp"
#include "package/errors.hpp"

namespace dfota::package {

namespace fs = std::filesystem;

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

  // Each payload read to its end: open_payload's reader fails on a mismatch.
  auto check = [&](const std::optional<Payload>& payload) -> Status {
    if (!payload) return {};
    auto reader = open_payload(package.zip, *payload);
    if (!reader) return reader.error();
    CountingWriter sink;
    if (auto copied = copy_stream(**reader, sink); !copied) return copied.error();
    return {};
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

Expected<signing::SignatureDocument> add_signature(ZipWriter& zip, const signing::PrivateKey& key,
                                                   ByteSpan manifest_bytes) {
  auto document = signing::sign_document(key, manifest_bytes);
  if (!document) return document.error();
  const std::string text = signing::to_text(*document);
  if (auto ok = zip.add_bytes(kSignatureEntry, Bytes(text.begin(), text.end())); !ok) return ok.error();
  return document;
}

Expected<signing::SignatureDocument> sign_package(const fs::path& package, const signing::PrivateKey& key,
                                                  const fs::path& output) {
  auto opened = open_package(package);
  if (!opened) return opened.error();
  // The signed copy is made in a hidden sibling of `output` and renamed onto
  // it only when whole, also when `output` is the package being read.
  auto work = TempDir::create_beside(output);
  if (!work) return work.error();
  const fs::path archive = work->path() / "package.zip";
  auto zip = ZipWriter::create(archive);
  if (!zip) return zip.error();
  std::optional<signing::SignatureDocument> document;
  for (const ZipEntryInfo& entry : opened->zip.entries()) {
    if (entry.name == kSignatureEntry) continue;
    if (auto ok = zip->add_entry_from(opened->zip, entry.name); !ok) return ok.error();
    if (entry.name == kManifestEntry) {
      auto added = add_signature(*zip, key, opened->manifest_bytes);
      if (!added) return added.error();
      document = std::move(*added);
    }
  }
  if (auto ok = zip->close(); !ok) return ok.error();
  if (::rename(archive.c_str(), output.c_str()) != 0) return system_error("cannot create " + output.string(), errno);
  return std::move(*document); // open_package guarantees a manifest entry
}

} // namespace dfota::package
