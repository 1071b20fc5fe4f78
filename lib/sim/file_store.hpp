// The module's user file system (UFS, and the SD card where the family has
// one) as AT+QFUPL/QFLST/QFDEL/QFLDS see it, kept in a directory so that it
// survives a restart of the simulator.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "at/requests.hpp"
#include "core/error.hpp"

namespace dfota::sim {

// The module's two stores, as AT+QFUPL names them: its user file system and
// its SD card.
using Area = at::Storage;

struct StoredEntry {
  std::string name;
  std::uint64_t size = 0;
};

class FileStore {
public:
  // `root` is created when missing; `capacity` bytes in all.
  static Expected<FileStore> open(const std::filesystem::path& root, std::uint64_t capacity, bool full);

  // "UFS:name" or "name" -> ufs; "SD:name" -> sd. Nothing for an invalid name
  // (empty, a path, too long, unprintable).
  std::optional<std::filesystem::path> resolve(const std::string& name, std::size_t max_length) const;
  // A module path for AT+QFOTADL ("/data/ufs/x.zip") -> the file, when it
  // starts with one of `prefixes` and names a plain file; under
  // `sd_card_prefix` (Profile::sd_card_path, "" for none) it is on the card.
  std::optional<std::filesystem::path> resolve_module_path(const std::string& path,
                                                           const std::vector<std::string>& prefixes,
                                                           const std::string& sd_card_prefix = "") const;

  // The store a name of AT+QFUPL/QFLST/QFDEL is in ("SD:..." the SD card,
  // "UFS:..." or no prefix the file system) and the name without its prefix.
  static Area area_of(const std::string& name);
  static std::string without_store_prefix(const std::string& name);
  // The files of `area`, sorted by name; each area holds `capacity` bytes.
  std::vector<StoredEntry> list(Area area = Area::ufs) const;
  std::uint64_t used(Area area = Area::ufs) const;
  std::uint64_t free(Area area = Area::ufs) const;
  std::uint64_t capacity() const { return capacity_; }

private:
  std::filesystem::path root_;
  std::uint64_t capacity_ = 0;
  bool full_ = false;
};

} // namespace dfota::sim
