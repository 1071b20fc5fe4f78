// The package manifest (formats/package-v1.md, formats/manifest.schema.json):
// the model, its canonical JSON text, and a strict parser that refuses unknown
// major versions and ignores unknown fields.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "firmware/firmware.hpp"
#include "package/errors.hpp"

namespace dfota::package {

inline constexpr const char* kFormatName = "dfota-package";
inline constexpr int kFormatMajor = 1;
inline constexpr int kFormatMinor = 1; // 1.1: trees by listing version 2
inline constexpr const char* kManifestEntry = "manifest.json";
inline constexpr const char* kSignatureEntry = "manifest.sig";
inline constexpr const char* kFirmwareJsonEntry = "target/firmware.json";
inline constexpr std::uint64_t kMaxManifestSize = 16u << 20;

enum class Operation { delta, full, unchanged, remove };
const char* to_string(Operation op);

// Size and hashes of one side (source or target) of a partition or file.
struct Content {
  std::uint64_t size = 0;
  std::string sha256;
  std::string md5;
  bool operator==(const Content&) const = default;
};

// How a payload is stored in the package and what it decodes with.
struct Payload {
  std::string engine; // "native", "zstd", "vcdiff", "full"
  std::string path;   // entry name in the zip
  std::uint64_t size = 0;
  std::string sha256;
};

// A member of a tree partition.
struct TreeFile {
  std::string path;
  firmware::EntryType type = firmware::EntryType::file;
  Operation op = Operation::unchanged;
  unsigned mode = 0644;           // target mode (source mode for remove)
  std::string link_target;        // symlinks
  std::optional<Payload> payload; // delta and full files
  std::optional<Content> source;  // files present in the source
  std::optional<Content> target;  // files present in the target
};

struct PartitionEntry {
  std::string name;
  firmware::PartitionKind kind = firmware::PartitionKind::image;
  Operation op = Operation::unchanged;
  unsigned mode = 0644;
  std::optional<Payload> payload; // images with delta or full
  std::optional<Content> source;  // absent when the partition is new
  std::optional<Content> target;  // absent when the partition is removed
  std::uint64_t apply_memory = 0; // working memory to apply, bytes
  std::vector<TreeFile> files;    // tree partitions

  // Payload bytes of this partition (its own, or the sum over its files).
  std::uint64_t payload_bytes() const;
};

struct Manifest {
  int format_major = kFormatMajor;
  int format_minor = kFormatMinor;
  std::string project;
  std::string source_version;
  std::string target_version;
  std::string family; // optional module family id
  std::uint64_t space_needed = 0;
  std::uint64_t largest_partition = 0;
  std::uint64_t apply_memory = 0;
  Content firmware_json; // the target's firmware.json
  unsigned firmware_json_mode = 0644;
  std::vector<PartitionEntry> partitions;

  std::uint64_t payload_bytes() const;
};

// What a module must have free before the package is sent to it: the package
// itself, stored first, plus the space to apply it (`space_needed`). The one
// figure inspect, validate, the reports and the simulator's check agree on.
// The canonical tree listing a manifest's tree digests use: version 1 in
// format 1.0 packages, version 2 from 1.1 on.
inline firmware::ListingVersion listing_version(const Manifest& manifest) {
  return manifest.format_major == 1 && manifest.format_minor == 0 ? firmware::ListingVersion::v1
                                                                  : firmware::ListingVersion::v2;
}

inline std::uint64_t module_space_needed(std::uint64_t package_size, const Manifest& manifest) {
  return package_size + manifest.space_needed;
}

// The canonical text: fixed key order, two-space indent, trailing newline.
std::string to_json_text(const Manifest& manifest);

// Parses and checks a manifest: types, required fields, a known major
// version, safe payload and file paths, no duplicate names.
Expected<Manifest> parse_manifest(ByteSpan text);

} // namespace dfota::package
