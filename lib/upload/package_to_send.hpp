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

namespace dfota::upload {

struct PackageToSend {
  std::filesystem::path path;
  Bytes bytes;             // the whole file, as sent
  ModuleChecksum checksum; // as the module computes it over `bytes`
  // dfota, or a vendor's package (a recovery or A/B zip, an opaque .bin).
  package::Layout layout = package::Layout::dfota;
  // What the module must run afterwards: a dfota manifest's target, or what
  // a vendor zip's META-INF/com/android/metadata states as `post-build` when
  // that is a module revision; empty when the package states none.
  std::string target_version;
  std::string source_version; // likewise, what it must run before (`pre-build`)
  // Where the two came from, for people: "manifest", "META-INF/com/android/metadata", or "".
  std::string versions_from;
};

// Reads the package at `path` whole, at most 4 GiB: any non-empty regular
// file. A dfota package has its container and manifest checked (its errors
// as they are); a zip that is damaged fails as one; anything else is a
// vendor package sent as it is. Immutable once returned, so threads share it
// freely.
Expected<std::shared_ptr<const PackageToSend>> load_package_to_send(const std::filesystem::path& path);

} // namespace dfota::upload
