#include "transport/port_names.hpp"

#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace dfota::test {
namespace {

using transport::by_path_name;

TEST(PortNames, AStableNameIsFoundForTheDeviceItLeadsTo) {
  ScratchDir dir;
  fs::create_directories(dir / "dev" / "serial" / "by-path");
  write_text(dir / "dev" / "ttyUSB2", "");
  write_text(dir / "dev" / "ttyUSB3", "");
  const fs::path by_path = dir / "dev" / "serial" / "by-path";
  fs::create_symlink("../../ttyUSB2", by_path / "pci-0000:00:14.0-usb-0:2:1.2-port0");
  fs::create_symlink("../../ttyUSB2", by_path / "pci-0000:00:14.0-usb-0:2:1.2");
  fs::create_symlink("../../ttyUSB3", by_path / "pci-0000:00:14.0-usb-0:2:1.3-port0");
  fs::create_symlink("../../ttyUSB9", by_path / "pci-0000:00:14.0-usb-0:3:1.2-port0"); // dangling

  EXPECT_EQ(by_path_name((dir / "dev" / "ttyUSB2").string(), by_path),
            (by_path / "pci-0000:00:14.0-usb-0:2:1.2").string());
  EXPECT_EQ(by_path_name((dir / "dev" / "ttyUSB3").string(), by_path),
            (by_path / "pci-0000:00:14.0-usb-0:2:1.3-port0").string());
  const std::string given = (by_path / "pci-0000:00:14.0-usb-0:2:1.3-port0").string();
  EXPECT_EQ(by_path_name(given, by_path), given);
}

TEST(PortNames, NoStableNameIsNoName) {
  ScratchDir dir;
  write_text(dir / "ttyUSB0", "");
  EXPECT_FALSE(by_path_name((dir / "ttyUSB0").string(), dir / "no-such-dir"));
  EXPECT_FALSE(by_path_name("tcp:127.0.0.1:7000", dir.path()));
  EXPECT_FALSE(by_path_name((dir / "absent").string(), dir / "by-path"));
  EXPECT_FALSE(by_path_name("", dir.path()));
}

} // namespace
} // namespace dfota::test
