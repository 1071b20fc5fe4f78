#include "sim/firmware_slot.hpp"

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <nlohmann/json.hpp>

#include "core/files.hpp"

namespace dfota::sim {

namespace fs = std::filesystem;

fs::path FirmwareSlot::sibling(const char* suffix) const {
  return root_.parent_path() / ("." + root_.filename().string() + suffix);
}

fs::path FirmwareSlot::staging() const { return sibling(".dfota-new"); }

Status FirmwareSlot::reload() {
  auto opened = firmware::open_firmware(root_);
  if (!opened) return opened.error();
  info_ = opened->info;
  return {};
}

fs::path FirmwareSlot::normalized(const fs::path& firmware) {
  std::error_code ec;
  fs::path root = fs::absolute(firmware, ec).lexically_normal();
  return root.filename().empty() ? root.parent_path() : root;
}

Expected<FirmwareSlot> FirmwareSlot::open(const fs::path& firmware, const fs::path& state) {
  FirmwareSlot slot;
  std::error_code ec;
  slot.root_ = normalized(firmware);
  slot.flag_path_ = state / "fota" / "upgrade-flag.json";
  fs::create_directories(state / "fota", ec);
  if (ec) return system_error((state / "fota").string(), ec.value());
  // An interrupted two-step replacement (no RENAME_EXCHANGE): the old
  // version was moved aside and the new one not yet moved in.
  const fs::path old = slot.moved_aside();
  if (!fs::exists(slot.root_, ec) && fs::exists(old, ec)) {
    if (fs::exists(slot.staging(), ec) && ::rename(slot.staging().c_str(), slot.root_.c_str()) == 0) {
      fs::remove_all(old, ec);
    } else if (::rename(old.c_str(), slot.root_.c_str()) != 0) {
      return system_error(slot.root_.string(), errno);
    }
  }
  fs::remove_all(old, ec);
  slot.discard_staging();
  if (auto ok = slot.reload(); !ok) return ok.error();
  return slot;
}

void FirmwareSlot::discard_staging() {
  std::error_code ec;
  fs::remove_all(staging(), ec);
  // apply_package's own half-written work directories, left by a power loss.
  for (const auto& entry : fs::directory_iterator(root_.parent_path(), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("." + staging().filename().string() + ".partial-", 0) == 0) fs::remove_all(entry.path(), ec);
  }
}

Status FirmwareSlot::replace_with_staging() {
  if (::renameat2(AT_FDCWD, staging().c_str(), AT_FDCWD, root_.c_str(), RENAME_EXCHANGE) == 0) {
    std::error_code ec;
    fs::remove_all(staging(), ec); // now the old version
    return reload();
  }
  if (errno != EINVAL && errno != ENOSYS) return system_error(root_.string(), errno);
  // File systems without RENAME_EXCHANGE: two renames; open() completes
  // them after a power loss in between.
  if (auto ok = move_current_aside(); !ok) return ok;
  if (::rename(staging().c_str(), root_.c_str()) != 0) return system_error(root_.string(), errno);
  std::error_code ec;
  fs::remove_all(moved_aside(), ec);
  return reload();
}

Status FirmwareSlot::move_current_aside() {
  if (::rename(root_.c_str(), moved_aside().c_str()) != 0) return system_error(root_.string(), errno);
  return {};
}

std::optional<UpgradeFlag> FirmwareSlot::flag() const {
  auto bytes = read_file(flag_path_.string(), 1 << 16);
  if (!bytes) return std::nullopt;
  auto doc = nlohmann::json::parse(bytes->begin(), bytes->end(), nullptr, false);
  if (!doc.is_object() || !doc.contains("package") || !doc["package"].is_string()) return std::nullopt;
  UpgradeFlag flag;
  flag.package = doc["package"].get<std::string>();
  flag.delete_package_after = doc.value("delete_package_after", false);
  flag.attempts = doc.value("attempts", 0);
  return flag;
}

Status FirmwareSlot::set_flag(const UpgradeFlag& flag) {
  nlohmann::json doc{{"package", flag.package.string()},
                     {"delete_package_after", flag.delete_package_after},
                     {"attempts", flag.attempts}};
  auto file = OutputFile::create(flag_path_);
  if (!file) return file.error();
  if (auto ok = file->writer().write(as_bytes(doc.dump())); !ok) return ok;
  return file->commit();
}

void FirmwareSlot::clear_flag() {
  std::error_code ec;
  fs::remove(flag_path_, ec);
}

} // namespace dfota::sim
