// The module's upgrade: the flag on flash, the attempts (with the family's
// retries), really applying the package to the firmware slot with the
// project's library, the reports (+QIND START, UPDATING, END) and the
// reboots around them. The power-loss fault strikes here at any phase; the
// flag on flash lets a new simulator resume.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "package/package_reader.hpp"
#include "sim/module.hpp"

namespace dfota::sim {

class Upgrader {
public:
  explicit Upgrader(Module& module) : module_(module) {}

  // Sets the upgrade flag for `package` (removed once the upgrade ends when
  // `delete_after`) and upgrades; returns when the module is back up, or
  // without power.
  void begin(const std::filesystem::path& package, bool delete_after);
  // Attempts until success, a final failure or a power loss, then reboots
  // into the firmware it has. Also what a module does on boot with the flag
  // set.
  void run();

private:
  // One attempt: 0, an END code, or -1 for power lost or the module stopping.
  int attempt(const UpgradeFlag& flag);
  // The END code the module refuses the package with, or 0.
  int check_package(const package::OpenedPackage& opened, std::uint64_t package_size);
  // Applies a checked package to the slot, reporting UPDATING as it goes.
  int apply(const package::OpenedPackage& opened, const UpgradeFlag& flag);
  // A vendor's package (--vendor-upgrade-to REV): nothing inside is
  // checked or applied; the firmware is staged as it is with revision REV
  // and put in place through the same phases (and power-loss points).
  int apply_vendor(const UpgradeFlag& flag, const std::string& revision);
  // The staged firmware goes in place (power-loss points swap and commit).
  int put_in_place(const std::function<void(int)>& report);

  Module& module_;
};

} // namespace dfota::sim
