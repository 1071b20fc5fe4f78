#include "transport/usb_interface.hpp"

#include <fstream>

namespace dfota::transport {

namespace fs = std::filesystem;

namespace {

std::string first_line(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' '))
    line.pop_back();
  return line;
}

// The interface of the tty called `name` in sys/class/tty.
std::optional<UsbInterface> interface_of_tty(const std::string& name, const SysfsRoots& roots) {
  std::error_code ec;
  fs::path at = fs::canonical(roots.sys / "class" / "tty" / name / "device", ec);
  if (ec) return std::nullopt;
  // Up from the tty's device (a usb-serial port, or the interface itself for
  // cdc-acm) to the interface, which states bInterfaceNumber.
  for (int depth = 0; depth < 4 && !at.empty() && at != at.root_path(); ++depth, at = at.parent_path()) {
    if (!fs::exists(at / "bInterfaceNumber", ec)) continue;
    const fs::path device = at.parent_path();
    if (!fs::exists(device / "idVendor", ec)) return std::nullopt;
    return UsbInterface{device.filename().string(), first_line(at / "bInterfaceNumber")};
  }
  return std::nullopt;
}

} // namespace

namespace {
// The path's own name, else the name of each link it leads through
// (/dev/serial/by-path/...-port0 -> ../../ttyUSB2): the first that sysfs
// knows as a tty.
std::optional<std::string> sysfs_tty_name(const fs::path& port, const SysfsRoots& roots) {
  std::error_code ec;
  fs::path at = port;
  for (int hop = 0; hop < 8; ++hop) {
    const std::string name = at.filename().string();
    if (!name.empty() && fs::exists(roots.sys / "class" / "tty" / name, ec)) return name;
    if (!fs::is_symlink(at, ec)) break;
    const fs::path target = fs::read_symlink(at, ec);
    if (ec) break;
    at = target.is_absolute() ? target : at.parent_path() / target;
  }
  return std::nullopt;
}
} // namespace

std::optional<UsbInterface> usb_interface_of(const fs::path& port, const SysfsRoots& roots) {
  const auto name = sysfs_tty_name(port, roots);
  if (!name) return std::nullopt;
  return interface_of_tty(*name, roots);
}

std::optional<PortKind> port_kind_of(const fs::path& port, const SysfsRoots& roots) {
  const auto name = sysfs_tty_name(port, roots);
  if (!name) return std::nullopt;
  if (interface_of_tty(*name, roots)) return PortKind::usb;
  std::error_code ec;
  // A tty with a device behind it (ttyS0, ttyAMA0); consoles and
  // pseudo-terminals have none.
  if (fs::exists(roots.sys / "class" / "tty" / *name / "device", ec)) return PortKind::uart;
  return std::nullopt;
}

std::optional<fs::path> tty_on(const UsbInterface& usb, const SysfsRoots& roots) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(roots.sys / "class" / "tty", ec)) {
    const std::string name = entry.path().filename().string();
    if (interface_of_tty(name, roots) == usb && fs::exists(roots.dev / name, ec)) return roots.dev / name;
  }
  return std::nullopt;
}

} // namespace dfota::transport
