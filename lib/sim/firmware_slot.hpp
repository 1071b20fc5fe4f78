// The module's firmware directory and its upgrade flag. The firmware is
// replaced atomically (at any instant the directory holds the old or the new
// version, never a mix), and the flag survives a power loss so that the next
// start resumes the upgrade, as the RG50xQ note describes.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "firmware/firmware.hpp"

namespace dfota::sim {

// The upgrade the module has been told to do and has not finished.
struct UpgradeFlag {
  std::filesystem::path package;
  bool delete_package_after = false; // COM/FILE/URL downloads; a UFS file stays
  int attempts = 0;                  // failed attempts that count toward the family's retries
};

class FirmwareSlot {
public:
  // Finishes or rolls back a replacement that a power loss interrupted and
  // removes a half-written staging directory, then reads the firmware.
  static Expected<FirmwareSlot> open(const std::filesystem::path& firmware, const std::filesystem::path& state);

  // `firmware` as an absolute path without "." or ".." or a trailing slash.
  static std::filesystem::path normalized(const std::filesystem::path& firmware);

  const firmware::FirmwareInfo& info() const { return info_; }
  const std::filesystem::path& root() const { return root_; }
  // Where apply_package writes the new version (absent until it does).
  std::filesystem::path staging() const;
  // Puts the staged version in place of the current one atomically and
  // re-reads firmware.json.
  Status replace_with_staging();
  // The first half of the two-step replacement (the current version moved
  // aside, the staged one not yet in place): what a power cut between the
  // steps leaves, for the fault switch. open() completes it.
  Status move_current_aside();
  // Drops a staging directory left by a failed or interrupted apply.
  void discard_staging();

  std::optional<UpgradeFlag> flag() const;
  Status set_flag(const UpgradeFlag& flag);
  void clear_flag();

private:
  std::filesystem::path root_;
  std::filesystem::path flag_path_;
  firmware::FirmwareInfo info_;
  std::filesystem::path sibling(const char* suffix) const;
  // Where the first step of a two-step replacement puts the current version.
  std::filesystem::path moved_aside() const { return sibling(".dfota-old"); }
  Status reload();
};

} // namespace dfota::sim
