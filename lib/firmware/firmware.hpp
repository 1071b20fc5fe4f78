// A firmware version on disk: a directory whose top-level files are `image`
// partitions, whose top-level directories are `tree` partitions, and whose
// firmware.json names the project and version.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/hash.hpp"

namespace dfota::firmware {

enum class FirmwareErrc {
  not_a_firmware = 1, // not a directory, or no firmware.json
  bad_firmware_json,  // firmware.json is not JSON or lacks project/version
  unsupported_entry,  // a device, socket, FIFO or unusable name
};
const std::error_category& firmware_category();
std::error_code make_error_code(FirmwareErrc value);

inline constexpr const char* kFirmwareJson = "firmware.json";

enum class PartitionKind { image, tree };
const char* to_string(PartitionKind kind);

enum class EntryType { file, directory, symlink };
const char* to_string(EntryType type);

// Permission bits as four octal digits ("0644"), as manifests and listings write them.
std::string mode_text(unsigned mode);

struct Partition {
  std::string name;
  PartitionKind kind = PartitionKind::image;
  unsigned mode = 0644;   // permission bits (07777)
  std::uint64_t size = 0; // images: file size; trees: 0
};

struct FirmwareInfo {
  std::string project;
  std::string version;
};

// Parses the text of a firmware.json.
Expected<FirmwareInfo> parse_firmware_json(ByteSpan text);

struct Firmware {
  std::filesystem::path root;
  FirmwareInfo info;
  Bytes firmware_json; // exact bytes of firmware.json
  unsigned firmware_json_mode = 0644;
  std::vector<Partition> partitions; // sorted by name, firmware.json excluded
};

// Reads the layout of a firmware directory (not the partition contents).
Expected<Firmware> open_firmware(const std::filesystem::path& root);

// One entry of a tree partition, described without its contents.
struct TreeEntry {
  std::string path; // relative, '/'-separated
  EntryType type = EntryType::file;
  unsigned mode = 0644;
  std::uint64_t size = 0;  // files only
  std::string link_target; // symlinks only
};

// Lists a tree partition recursively, sorted by path, without following
// symbolic links. Directories are listed too so that empty ones and their
// modes survive.
Expected<std::vector<TreeEntry>> list_tree(const std::filesystem::path& dir);

// The versions of the canonical listing (formats/package-v1.md, "tree").
// Version 1 wrote link targets and paths as they are, so a link target
// holding a TAB or LF could imitate lines of the listing and two different
// trees could share a digest; version 2 escapes '\\', TAB, LF and CR in
// them. Packages of format 1.0 use version 1, later ones version 2.
enum class ListingVersion { v1 = 1, v2 = 2 };
inline constexpr ListingVersion kCurrentListing = ListingVersion::v2;

// One line per entry (type, mode, size, content SHA-256 or link target,
// path), the canonical text whose SHA-256 and MD5 identify a tree partition.
// `file_sha256[i]` is the content hash of entries[i] (empty for non-files).
std::string tree_listing(const std::vector<TreeEntry>& entries, const std::vector<std::string>& file_sha256,
                         ListingVersion version = kCurrentListing);

// Hashes every file of a tree partition and returns the digests of its
// canonical listing; `size` is the sum of the file sizes.
Expected<Digests> digest_tree(const std::filesystem::path& dir, ListingVersion version = kCurrentListing);

// Digests of an image partition's bytes.
Expected<Digests> digest_file(const std::filesystem::path& path);

} // namespace dfota::firmware

template <> struct std::is_error_code_enum<dfota::firmware::FirmwareErrc> : std::true_type {};
