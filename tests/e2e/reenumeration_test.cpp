// A module whose AT port comes back under another tty name at each reboot
// (ttyUSB2 -> ttyUSB6 -> ttyUSB10, as Qualcomm modules re-enumerate twice:
// into recovery, then back): the uploader finds it again by its USB device
// and interface. The kernel's side is a fake sysfs, changed as the simulator
// reboots (from its log, on its own thread, so that the names change exactly
// when its port goes and comes).
#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>

#include "support/fake_sysfs.hpp"
#include "support/sim_harness.hpp"
#include "transport/port_opener.hpp"

namespace dfota::test {
namespace {

TEST(Reenumeration, APortThatComesBackUnderAnotherNameIsFoundByItsUsbInterface) {
  SimHarness harness{SimHarness::Wire::pty};
  FakeSysfs sysfs(harness.dir() / "root");
  std::mutex mutex;
  std::vector<std::string> names;
  std::string current;
  auto options = harness.options("ec2x");
  options.reboot_delay = transport::Duration(300);
  auto harness_log = options.log;
  options.log = [&](at::Direction direction, std::string_view text) {
    harness_log(direction, text);
    const std::string full = sim::module_log_line(direction, text);
    const std::string_view line = full;
    std::lock_guard lock(mutex);
    if (line.starts_with("* rebooting") && !current.empty()) {
      sysfs.remove_tty(current); // the port goes with the reboot
      current.clear();
    }
    const auto arrow = line.find(" -> ");
    if (line.starts_with("* port up at") && arrow != std::string_view::npos) {
      current = "ttyUSB" + std::to_string(2 + 4 * names.size());
      sysfs.add_tty(current, "1-2", "02", std::string(line.substr(arrow + 4)));
      names.push_back(current);
    }
  };
  ASSERT_TRUE(harness.start(options)) << harness.log();
  {
    std::error_code ec;
    const auto pts = std::filesystem::read_symlink(harness.link(), ec);
    ASSERT_FALSE(ec);
    std::lock_guard lock(mutex);
    current = "ttyUSB2";
    sysfs.add_tty(current, "1-2", "02", pts);
    names.push_back(current);
  }
  auto upload_options = harness.upload_options(sample_packages().forward);
  upload_options.port = sysfs.dev("ttyUSB2").string();
  std::vector<std::string> port_events;
  auto ports = transport::make_system_ports(sysfs.roots());
  const auto outcome = upload::run_upload(
      upload_options, nullptr, registry(),
      [&](const upload::UploadEvent& e) {
        if (e.kind == upload::UploadEvent::Kind::port) port_events.push_back(e.text);
      },
      {}, transport::steady_clock(), *ports);
  ASSERT_TRUE(harness.stop());
  EXPECT_FALSE(outcome.error) << outcome.error->message() << "\n" << harness.log();
  EXPECT_EQ(outcome.report.module_version_after, "EC25EFAR06A07M4G_01.004.01.004");
  std::lock_guard lock(mutex);
  ASSERT_GE(names.size(), 3u) << "the module re-enumerates twice (recovery, then back)";
  for (std::size_t i = 1; i < names.size(); ++i) {
    const std::string back = "port back as " + sysfs.dev(names[i]).string() + " (same USB interface, another name)";
    EXPECT_NE(std::find(port_events.begin(), port_events.end(), back), port_events.end())
        << back << "\n"
        << ::testing::PrintToString(port_events);
  }
}

} // namespace
} // namespace dfota::test
