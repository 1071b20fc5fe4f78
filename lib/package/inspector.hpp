// Describing any package: ours in full, a vendor's zip as far as its layout
// is recognised (Android recovery update.zip, A/B payload.bin), any other zip
// as a plain listing.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/hash.hpp"
#include "package/manifest.hpp"
#include "package/zip_container.hpp"
#include "signing/signature_document.hpp"

namespace dfota::package {

enum class Layout {
  dfota,            // this project's format
  android_recovery, // META-INF/com/google/android/update-binary (+ updater-script)
  android_ab,       // payload.bin + payload_properties.txt
  zip,              // a zip of unknown layout
};
const char* to_string(Layout layout);
const char* describe(Layout layout);

struct Inspection {
  std::filesystem::path path;
  Digests file; // of the whole package file
  Layout layout = Layout::zip;
  std::optional<Manifest> manifest; // dfota layout only
  bool has_signature = false;       // manifest.sig present
  // What manifest.sig claims (not verified: that needs a trusted key), or
  // why it cannot be read.
  std::optional<signing::SignatureDocument> signature;
  std::string signature_problem;
  std::vector<ZipEntryInfo> entries;
  // What a foreign layout tells about itself, in reading order
  // (for example pre-build, post-build, ota-type, payload version).
  std::vector<std::pair<std::string, std::string>> facts;
};

// Fails on what is not a readable zip (see ZipReader::open) and on a package
// of our layout that is damaged (see open_package); a foreign zip never fails.
Expected<Inspection> inspect_package(const std::filesystem::path& path);

} // namespace dfota::package
