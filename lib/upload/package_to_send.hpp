// The package as the modules receive it, read and checked once and shared by
// every module of a fleet (one buffer, not one copy per module).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "core/bytes.hpp"
#include "core/error.hpp"
#include "core/hash.hpp"

namespace dfota::upload {

struct PackageToSend {
  std::filesystem::path path;
  Bytes bytes;                // the whole file, as sent
  ModuleChecksum checksum;    // as the module computes it over `bytes`
  std::string target_version; // from the manifest: what the module must run afterwards
};

// Opens `path` as a dfota package (its container and manifest checked, the
// package's errors as they are) and reads it whole, at most 4 GiB. Immutable
// once returned, so threads share it freely.
Expected<std::shared_ptr<const PackageToSend>> load_package_to_send(const std::filesystem::path& path);

} // namespace dfota::upload
