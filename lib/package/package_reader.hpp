// Opening one of our packages: the container, its manifest, and streams over
// payloads that check themselves against the manifest.
#pragma once

#include <filesystem>
#include <memory>

#include "package/manifest.hpp"
#include "package/zip_container.hpp"

namespace dfota::package {

struct OpenedPackage {
  ZipReader zip;
  Manifest manifest;
  Bytes manifest_bytes; // exact bytes, as a signature covers them
};

// Opens the container and parses the manifest. Fails on unsafe or duplicate
// entry names, a missing or invalid manifest, an unknown major version, and
// payloads that the manifest names but the container lacks or sizes
// differently.
Expected<OpenedPackage> open_package(const std::filesystem::path& path);

// A stream over a payload entry that fails with PackageErrc::payload_mismatch
// at its end when the bytes read differ from `expected` in size or SHA-256.
Expected<std::unique_ptr<Reader>> open_payload(const ZipReader& zip, const Payload& expected);

} // namespace dfota::package
