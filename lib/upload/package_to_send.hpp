// The package as the modules receive it, read and checked once and shared by
// every module of a fleet (one buffer, not one copy per module).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "core/bytes.hpp"
#include "core/error.hpp"
#include "core/hash.hpp"
#include "package/inspector.hpp"
#include "validate/package_facts.hpp"

namespace dfota::upload {

struct PackageToSend {
  std::filesystem::path path;
  Bytes bytes;                // the whole file, as sent
  std::uint16_t checksum = 0; // as the module computes it over `bytes`
  // dfota, or a vendor's package (a recovery or A/B zip, an opaque .bin).
  package::Layout layout = package::Layout::dfota;
  // What the module must run afterwards: a dfota manifest's target, or what
  // a vendor zip's META-INF/com/android/metadata states as `post-build` when
  // that is a module revision; empty when the package states none.
  std::string target_version;
  std::string source_version; // likewise, what it must run before (`pre-build`)
  // Where the two came from, for people: "manifest", "META-INF/com/android/metadata", or "".
  std::string versions_from;
  // Its digests (from `bytes`), manifest and container findings, for every
  // module's pre-flight: no module reads or hashes the file again.
  std::shared_ptr<const validate::PackageFacts> facts;
};

// Reads the package at `path` whole, at most 4 GiB: any non-empty regular
// file. A dfota package has its container and manifest checked (its errors
// as they are); a zip that is damaged fails as one; anything else is a
// vendor package sent as it is. The file is hashed once, from the bytes
// read, and its payloads are read once for the pre-flight's facts.
// Immutable once returned, so threads share it freely.
Expected<std::shared_ptr<const PackageToSend>> load_package_to_send(const std::filesystem::path& path);

} // namespace dfota::upload
