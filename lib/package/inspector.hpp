// Describing any package: ours in full, a vendor's zip as far as its layout
// is recognised (Android recovery update.zip, A/B payload.bin), any other zip
// as a plain listing, and a file that is no zip at all (the ASR and Unisoc
// families' .bin and .pack packages) as an opaque vendor package.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/hash.hpp"
#include "delta/engine.hpp"
#include "package/manifest.hpp"
#include "package/zip_container.hpp"
#include "signing/signature_document.hpp"

namespace dfota::package {

enum class Layout {
  dfota,            // this project's format
  android_recovery, // META-INF/com/google/android/update-binary (+ updater-script)
  android_ab,       // payload.bin + payload_properties.txt
  zip,              // a zip of unknown layout
  opaque,           // not a zip: a vendor's .bin or .pack, described by its size and digests only
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
  // What each payload of our layout states about its form (the native
  // engine's layer and streams, delta::Engine::describe_payload), by entry
  // name; payloads that state nothing are left out, and one whose header
  // cannot be read has the single fact "unreadable" saying why.
  std::map<std::string, std::vector<delta::PayloadFact>> payload_forms;
};

// Fails on what cannot be read, on a damaged zip (see ZipReader::open) and
// on a package of our layout that is damaged (see open_package); a foreign
// zip and a non-empty regular file that is no zip never fail.
Expected<Inspection> inspect_package(const std::filesystem::path& path);
// The same without `file` (left empty): no pass over the whole file, for a
// caller that reads it anyway.
Expected<Inspection> inspect_layout(const std::filesystem::path& path);

// True when the file begins as a zip does (a local file header, or the end
// record of an empty zip): such a file is a zip, damaged or not, never an
// opaque package.
Expected<bool> looks_like_zip(const std::filesystem::path& path);

} // namespace dfota::package
