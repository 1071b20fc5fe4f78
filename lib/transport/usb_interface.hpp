// Which USB interface a tty belongs to, read from sysfs, so that a module's
// port that re-enumerates under another name after a reboot (ttyUSB2 ->
// ttyUSB6; Qualcomm modules re-enumerate twice, into recovery and back) is
// found again by its device and interface rather than by its name.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "transport/transport.hpp"

namespace dfota::transport {

struct UsbInterface {
  std::string device;    // the USB device's sysfs name, its bus and port path: "1-2", "3-1.4"
  std::string interface; // bInterfaceNumber, as sysfs prints it: "02"
  bool operator==(const UsbInterface&) const = default;
};

// Where sysfs and the device nodes are; tests pass a fake tree.
struct SysfsRoots {
  std::filesystem::path sys = "/sys";
  std::filesystem::path dev = "/dev";
};

// The USB interface behind the tty `port` (/dev/ttyUSB2, or a link to it
// such as a /dev/serial/by-path name): sys/class/tty/<name>/device, up to
// the directory with bInterfaceNumber, whose parent is the device. Nothing
// for a tty that is not on USB (a UART, a pseudo-terminal) or a path that is
// not a tty.
std::optional<UsbInterface> usb_interface_of(const std::filesystem::path& port, const SysfsRoots& roots = {});

// The kind of tty `port` is: usb when usb_interface_of() finds it, uart for
// a tty sysfs knows with a device behind it that is not on USB (ttyS0,
// ttyAMA0); nullopt when the host cannot tell (a pseudo-terminal, a
// console, a path sysfs does not know).
std::optional<PortKind> port_kind_of(const std::filesystem::path& port, const SysfsRoots& roots = {});

// The tty on `usb` now, as roots.dev/<name>; nothing while there is none.
std::optional<std::filesystem::path> tty_on(const UsbInterface& usb, const SysfsRoots& roots = {});

} // namespace dfota::transport
