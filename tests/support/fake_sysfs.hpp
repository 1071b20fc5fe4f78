// A fake sysfs and /dev for USB ttys, as the kernel lays them out:
// sys/devices/.../usb1/<device>/<device>:1.<n>/<tty>, with
// sys/class/tty/<tty>/device leading there and dev/<tty> the node (here a
// link to whatever the test opens: a pseudo-terminal, or nothing).
#pragma once

#include <filesystem>
#include <string>

#include "transport/usb_interface.hpp"

namespace dfota::test {

class FakeSysfs {
public:
  explicit FakeSysfs(std::filesystem::path root);
  transport::SysfsRoots roots() const { return {root_ / "sys", root_ / "dev"}; }
  // Adds tty `name` on interface `interface` of USB device `device`, its
  // dev node a link to `node` (may be empty: a plain file).
  void add_tty(const std::string& name, const std::string& device, const std::string& interface,
               const std::filesystem::path& node = {});
  // Removes the tty, as the kernel does when the device goes away.
  void remove_tty(const std::string& name);
  std::filesystem::path dev(const std::string& name) const { return root_ / "dev" / name; }

private:
  std::filesystem::path root_;
};

} // namespace dfota::test
