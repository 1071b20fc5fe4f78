#include "firmware/firmware.hpp"

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include "core/files.hpp"

namespace dfota::firmware {

namespace fs = std::filesystem;

namespace {

bool usable_name(const std::string& name) {
  return std::none_of(name.begin(), name.end(),
                      [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

Expected<struct stat> lstat_path(const fs::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return system_error(path.string(), errno);
  return st;
}
} // namespace

const char* to_string(PartitionKind kind) { return kind == PartitionKind::image ? "image" : "tree"; }

const char* to_string(EntryType type) {
  switch (type) {
  case EntryType::file: return "file";
  case EntryType::directory: return "dir";
  case EntryType::symlink: return "symlink";
  }
  return "?";
}

std::string mode_text(unsigned mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", mode & 07777);
  return text;
}

Expected<FirmwareInfo> parse_firmware_json(ByteSpan text) {
  auto json = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return make_error(FirmwareErrc::bad_firmware_json, "firmware.json is not a JSON object");
  }
  FirmwareInfo info;
  for (auto [key, target] : {std::pair{"project", &info.project}, std::pair{"version", &info.version}}) {
    auto it = json.find(key);
    if (it == json.end() || !it->is_string() || it->get<std::string>().empty()) {
      return make_error(FirmwareErrc::bad_firmware_json, std::string("firmware.json has no \"") + key + "\" string");
    }
    *target = it->get<std::string>();
  }
  return info;
}

Expected<Firmware> open_firmware(const fs::path& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    return make_error(FirmwareErrc::not_a_firmware, root.string() + " is not a directory");
  }
  Firmware firmware;
  firmware.root = root;
  const fs::path json_path = root / kFirmwareJson;
  auto json_stat = lstat_path(json_path);
  if (!json_stat || !S_ISREG(json_stat->st_mode)) {
    return make_error(FirmwareErrc::not_a_firmware, root.string() + " has no firmware.json");
  }
  auto json_bytes = read_file(json_path.string(), 1 << 20);
  if (!json_bytes) return json_bytes.error();
  auto info = parse_firmware_json(*json_bytes);
  if (!info) return info.error().with_context(json_path.string());
  firmware.info = *info;
  firmware.firmware_json = std::move(*json_bytes);
  firmware.firmware_json_mode = json_stat->st_mode & 07777;

  for (const auto& entry : fs::directory_iterator(root, ec)) {
    std::string name = entry.path().filename().string();
    if (name == kFirmwareJson) continue;
    if (!usable_name(name)) {
      return make_error(FirmwareErrc::unsupported_entry, "unsupported file name in " + root.string());
    }
    auto st = lstat_path(entry.path());
    if (!st) return st.error();
    Partition partition;
    partition.name = name;
    partition.mode = st->st_mode & 07777;
    if (S_ISREG(st->st_mode)) {
      partition.kind = PartitionKind::image;
      partition.size = static_cast<std::uint64_t>(st->st_size);
    } else if (S_ISDIR(st->st_mode)) {
      partition.kind = PartitionKind::tree;
    } else {
      return make_error(FirmwareErrc::unsupported_entry,
                        entry.path().string() + ": a top-level entry must be a regular file or a directory");
    }
    firmware.partitions.push_back(std::move(partition));
  }
  if (ec) return system_error(root.string(), ec.value());
  std::sort(firmware.partitions.begin(), firmware.partitions.end(),
            [](const Partition& a, const Partition& b) { return a.name < b.name; });
  return firmware;
}

namespace {
Status list_tree_into(const fs::path& base, const std::string& prefix, std::vector<TreeEntry>& out) {
  std::error_code ec;
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(base / prefix, ec)) {
    names.push_back(entry.path().filename().string());
  }
  if (ec) return system_error((base / prefix).string(), ec.value());
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    if (!usable_name(name)) {
      return make_error(FirmwareErrc::unsupported_entry, "unsupported file name in " + (base / prefix).string());
    }
    std::string rel = prefix.empty() ? name : prefix + "/" + name;
    fs::path full = base / rel;
    auto st = lstat_path(full);
    if (!st) return st.error();
    TreeEntry entry;
    entry.path = rel;
    entry.mode = st->st_mode & 07777;
    if (S_ISREG(st->st_mode)) {
      entry.type = EntryType::file;
      entry.size = static_cast<std::uint64_t>(st->st_size);
      out.push_back(std::move(entry));
    } else if (S_ISLNK(st->st_mode)) {
      entry.type = EntryType::symlink;
      entry.link_target = fs::read_symlink(full, ec).string();
      if (ec) return system_error(full.string(), ec.value());
      out.push_back(std::move(entry));
    } else if (S_ISDIR(st->st_mode)) {
      entry.type = EntryType::directory;
      out.push_back(std::move(entry));
      if (auto ok = list_tree_into(base, rel, out); !ok) return ok;
    } else {
      return make_error(FirmwareErrc::unsupported_entry,
                        full.string() + ": only files, directories and symbolic links are supported");
    }
  }
  return {};
}
} // namespace

Expected<std::vector<TreeEntry>> list_tree(const fs::path& dir) {
  std::vector<TreeEntry> entries;
  if (auto ok = list_tree_into(dir, "", entries); !ok) return ok.error();
  return entries;
}

namespace {

// A listing field as version 2 writes it: '\\', TAB, LF and CR escaped, so
// that no field can end early or start a line.
std::string listing_field(const std::string& field, ListingVersion version) {
  if (version == ListingVersion::v1) return field;
  std::string out;
  out.reserve(field.size());
  for (char c : field) {
    switch (c) {
    case '\\': out += "\\\\"; break;
    case '\t': out += "\\t"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    default: out += c;
    }
  }
  return out;
}

} // namespace

std::string tree_listing(const std::vector<TreeEntry>& entries, const std::vector<std::string>& file_sha256,
                         ListingVersion version) {
  std::string text;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    text += to_string(e.type);
    text += '\t';
    text += mode_text(e.mode);
    text += '\t';
    text += std::to_string(e.type == EntryType::file ? e.size : 0);
    text += '\t';
    text += e.type == EntryType::file ? file_sha256[i] : listing_field(e.link_target, version);
    text += '\t';
    text += listing_field(e.path, version);
    text += '\n';
  }
  return text;
}

Expected<Digests> digest_file(const fs::path& path) {
  auto reader = FdReader::open(path.string());
  if (!reader) return reader.error();
  auto digests = digest_stream(**reader);
  if (!digests) return digests.error().with_context(path.string());
  return digests;
}

Expected<Digests> digest_tree(const fs::path& dir, ListingVersion version) {
  auto entries = list_tree(dir);
  if (!entries) return entries.error();
  std::vector<std::string> hashes(entries->size());
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < entries->size(); ++i) {
    const auto& e = (*entries)[i];
    if (e.type != EntryType::file) continue;
    auto d = digest_file(dir / e.path);
    if (!d) return d.error();
    hashes[i] = d->sha256;
    total += d->size;
  }
  std::string listing = tree_listing(*entries, hashes, version);
  Digests digests = digest_bytes(as_bytes(listing));
  digests.size = total;
  return digests;
}

} // namespace dfota::firmware
