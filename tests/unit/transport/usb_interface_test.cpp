#include <gtest/gtest.h>

#include "support/fake_sysfs.hpp"
#include "support/test_support.hpp"
#include "transport/usb_interface.hpp"

namespace dfota::transport {
namespace {

namespace fs = std::filesystem;

TEST(UsbInterface, ATtyIsKnownByItsDeviceAndInterfaceAndFoundUnderANewName) {
  test::ScratchDir dir;
  test::FakeSysfs sysfs(dir.path());
  sysfs.add_tty("ttyUSB0", "1-2", "00");
  sysfs.add_tty("ttyUSB2", "1-2", "02");
  sysfs.add_tty("ttyUSB3", "1-3", "02"); // another module, same interface number
  const auto usb = usb_interface_of(sysfs.dev("ttyUSB2"), sysfs.roots());
  ASSERT_TRUE(usb);
  EXPECT_EQ(usb->device, "1-2");
  EXPECT_EQ(usb->interface, "02");
  // A by-path link leads to it as well.
  fs::create_directories(dir / "dev" / "serial" / "by-path");
  fs::create_symlink("../../ttyUSB2", dir / "dev" / "serial" / "by-path" / "pci-0000:00:14.0-usb-0:2:1.2-port0");
  EXPECT_EQ(usb_interface_of(dir / "dev" / "serial" / "by-path" / "pci-0000:00:14.0-usb-0:2:1.2-port0", sysfs.roots()),
            usb);

  // The module reboots: ttyUSB2 goes, and its interface comes back as ttyUSB6.
  sysfs.remove_tty("ttyUSB2");
  EXPECT_FALSE(tty_on(*usb, sysfs.roots())) << "nothing while the module is away";
  sysfs.add_tty("ttyUSB6", "1-2", "02");
  EXPECT_EQ(tty_on(*usb, sysfs.roots()), sysfs.dev("ttyUSB6"));
}

TEST(UsbInterface, WhatIsNotOnUsbHasNone) {
  test::ScratchDir dir;
  test::FakeSysfs sysfs(dir.path());
  // A UART: a tty whose device has no USB interface above it.
  fs::create_directories(dir / "sys" / "devices" / "platform" / "serial8250" / "tty" / "ttyS0");
  fs::create_directories(dir / "sys" / "class" / "tty" / "ttyS0");
  fs::create_directory_symlink(dir / "sys" / "devices" / "platform" / "serial8250",
                               dir / "sys" / "class" / "tty" / "ttyS0" / "device");
  test::write_text(dir / "dev" / "ttyS0", "");
  EXPECT_FALSE(usb_interface_of(dir / "dev" / "ttyS0", sysfs.roots()));
  EXPECT_FALSE(usb_interface_of(dir / "dev" / "missing", sysfs.roots()));
  test::write_text(dir / "plain-file", "");
  EXPECT_FALSE(usb_interface_of(dir / "plain-file", sysfs.roots()));
  // The real sysfs on this machine: a pseudo-terminal is on no USB device.
  EXPECT_FALSE(usb_interface_of("/dev/ptmx"));
}

TEST(UsbInterface, APortIsToldUsbOrUartWhereSysfsSays) {
  test::ScratchDir dir;
  test::FakeSysfs sysfs(dir.path());
  sysfs.add_tty("ttyUSB2", "1-3", "02");
  EXPECT_EQ(port_kind_of(sysfs.dev("ttyUSB2"), sysfs.roots()), PortKind::usb);
  // A UART has a device that is not on USB.
  fs::create_directories(dir / "sys" / "devices" / "platform" / "serial8250");
  fs::create_directories(dir / "sys" / "class" / "tty" / "ttyS0");
  fs::create_directory_symlink(dir / "sys" / "devices" / "platform" / "serial8250",
                               dir / "sys" / "class" / "tty" / "ttyS0" / "device");
  test::write_text(dir / "dev" / "ttyS0", "");
  EXPECT_EQ(port_kind_of(dir / "dev" / "ttyS0", sysfs.roots()), PortKind::uart);
  // A tty with no device behind it (a console, a pseudo-terminal), or
  // nothing sysfs knows: the host cannot tell.
  fs::create_directories(dir / "sys" / "class" / "tty" / "tty1");
  test::write_text(dir / "dev" / "tty1", "");
  EXPECT_FALSE(port_kind_of(dir / "dev" / "tty1", sysfs.roots()));
  EXPECT_FALSE(port_kind_of(dir / "dev" / "missing", sysfs.roots()));
  EXPECT_FALSE(port_kind_of("/dev/ptmx"));
  EXPECT_FALSE(port_kind_of("tcp:127.0.0.1:5000"));
}

} // namespace
} // namespace dfota::transport
