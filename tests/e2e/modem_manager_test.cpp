// The uploader beside ModemManager: a private system bus with ModemManager
// on it (python-dbusmock, tests/support/modemmanager_mock.py) managing the
// simulated module's real pty. With --modemmanager auto or inhibit the
// uploader asks it to leave the module alone before the port is opened and
// lets go once the upgrade has ended; what each policy does when
// ModemManager is absent, manages another port or refuses.
#include <gtest/gtest.h>

#include <csignal>
#include <sys/wait.h>
#include <thread>

#include "host/modem_manager.hpp"
#include "support/loopback_servers.hpp"
#include "support/private_bus.hpp"
#include "support/sim_harness.hpp"

namespace dfota::test {
namespace {

const char* kDevice = "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-3";

struct UploadRun {
  upload::UploadOutcome outcome;
  std::vector<upload::UploadEvent> events;
  bool upgraded = false; // the firmware is now v2
};

// Starts a simulated EC2x on `harness`.
void start(SimHarness& harness) { ASSERT_TRUE(harness.start(harness.options("ec2x"))) << harness.log(); }

// Uploads the sample package to the started simulated module with `policy`,
// then stops it.
UploadRun upload_with(SimHarness& harness, host::ModemManagerPolicy policy) {
  UploadRun run;
  auto options = harness.upload_options(sample_packages().forward);
  options.modem_manager = policy;
  run.outcome = upload::run_upload(options, *registry().find("ec2x"), registry(),
                                   [&](const upload::UploadEvent& e) { run.events.push_back(e); });
  EXPECT_TRUE(harness.stop());
  run.upgraded = same_tree(harness.firmware(), sample_firmware("v2"));
  return run;
}

// The simulated module's port as ModemManager names it ("pts/3").
std::string port_name(const SimHarness& harness) { return host::modem_manager_port_name(harness.link().string()); }

bool said(const UploadRun& run, upload::UploadEvent::Kind kind, const std::string& part) {
  for (const auto& e : run.events)
    if (e.kind == kind && e.text.find(part) != std::string::npos) return true;
  return false;
}

class ModemManagerTest : public ::testing::Test {
protected:
  void SetUp() override {
    if (!private_bus_available()) GTEST_SKIP() << "dbus-daemon or python3-dbusmock missing (.ci/install-deps)";
  }
};

TEST_F(ModemManagerTest, TheModuleIsInhibitedFromBeforeThePortOpensUntilTheUpgradeEnds) {
  SimHarness harness{SimHarness::Wire::pty};
  PrivateSystemBus bus(harness.dir() / "bus");
  ASSERT_TRUE(bus.ready());
  ASSERT_FALSE(port_name(harness).empty());
  // The pty exists once the simulator runs: start ModemManager knowing it.
  ASSERT_TRUE(harness.start(harness.options("ec2x"))) << harness.log();
  ASSERT_TRUE(bus.start_modem_manager(kDevice, {"cdc-wdm0", port_name(harness), "wwan0"}));
  auto options = harness.upload_options(sample_packages().forward);
  std::vector<std::string> steps;
  std::vector<std::string> calls_when_opening;
  auto outcome = upload::run_upload(options, *registry().find("ec2x"), registry(), [&](const upload::UploadEvent& e) {
    steps.push_back(e.text);
    if (e.text.rfind("opening ", 0) == 0) calls_when_opening = bus.inhibit_calls();
  });
  ASSERT_TRUE(harness.stop());
  ASSERT_FALSE(outcome.error) << outcome.error->message();
  EXPECT_TRUE(same_tree(harness.firmware(), sample_firmware("v2")));
  // Inhibited before the port opened, released after the upgrade.
  EXPECT_EQ(calls_when_opening, (std::vector<std::string>{std::string(kDevice) + " True"}));
  EXPECT_EQ(bus.inhibit_calls(),
            (std::vector<std::string>{std::string(kDevice) + " True", std::string(kDevice) + " False"}));
  ASSERT_FALSE(steps.empty());
  EXPECT_NE(steps.front().find("ModemManager leaves " + std::string(kDevice)), std::string::npos) << steps.front();
}

TEST_F(ModemManagerTest, WithoutModemManagerAutoGoesOnAndInhibitSendsNothing) {
  {
    SimHarness harness{SimHarness::Wire::pty};
    PrivateSystemBus bus(harness.dir() / "bus"); // a bus, no ModemManager on it
    ASSERT_TRUE(bus.ready());
    start(harness);
    const UploadRun automatic = upload_with(harness, host::ModemManagerPolicy::automatic);
    EXPECT_FALSE(automatic.outcome.error);
    EXPECT_TRUE(automatic.upgraded);
    EXPECT_FALSE(said(automatic, upload::UploadEvent::Kind::warning, "ModemManager"));
  }
  {
    SimHarness harness{SimHarness::Wire::pty};
    PrivateSystemBus bus(harness.dir() / "bus");
    ASSERT_TRUE(bus.ready());
    start(harness);
    const UploadRun inhibit = upload_with(harness, host::ModemManagerPolicy::inhibit);
    ASSERT_TRUE(inhibit.outcome.error);
    EXPECT_TRUE(inhibit.outcome.error->is(upload::UploadErrc::modem_manager));
    EXPECT_NE(inhibit.outcome.error->message().find("ModemManager does not run"), std::string::npos)
        << inhibit.outcome.error->message();
    EXPECT_FALSE(inhibit.outcome.report.upgrade_started);
    EXPECT_FALSE(inhibit.upgraded);
  }
  {
    // No system bus at all: the same as no ModemManager.
    SimHarness harness{SimHarness::Wire::pty};
    ::setenv("DBUS_SYSTEM_BUS_ADDRESS", ("unix:path=" + (harness.dir() / "no-bus").string()).c_str(), 1);
    start(harness);
    const UploadRun automatic = upload_with(harness, host::ModemManagerPolicy::automatic);
    ::unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
    EXPECT_FALSE(automatic.outcome.error);
    EXPECT_TRUE(automatic.upgraded);
  }
}

TEST_F(ModemManagerTest, AModuleModemManagerDoesNotManageIsLeftAsItIs) {
  SimHarness harness{SimHarness::Wire::pty};
  PrivateSystemBus bus(harness.dir() / "bus");
  ASSERT_TRUE(bus.ready());
  ASSERT_TRUE(bus.start_modem_manager(kDevice, {"ttyUSB9"}));
  start(harness);
  const UploadRun automatic = upload_with(harness, host::ModemManagerPolicy::automatic);
  EXPECT_FALSE(automatic.outcome.error);
  EXPECT_TRUE(automatic.upgraded);
  EXPECT_TRUE(bus.inhibit_calls().empty());

  SimHarness second{SimHarness::Wire::pty};
  start(second);
  const std::string name = port_name(second); // while the pty exists
  const UploadRun inhibit = upload_with(second, host::ModemManagerPolicy::inhibit);
  ASSERT_TRUE(inhibit.outcome.error);
  EXPECT_NE(inhibit.outcome.error->message().find("manages no modem with port " + name), std::string::npos)
      << inhibit.outcome.error->message();
  EXPECT_FALSE(inhibit.upgraded);
}

TEST_F(ModemManagerTest, ARefusalIsWarnedAboutUnderAutoAndFailsUnderInhibit) {
  for (const auto policy : {host::ModemManagerPolicy::automatic, host::ModemManagerPolicy::inhibit}) {
    SimHarness harness{SimHarness::Wire::pty};
    PrivateSystemBus bus(harness.dir() / "bus");
    ASSERT_TRUE(bus.ready());
    start(harness);
    ASSERT_TRUE(bus.start_modem_manager(kDevice, {port_name(harness)}, /*refuse=*/true));
    const UploadRun run = upload_with(harness, policy);
    if (policy == host::ModemManagerPolicy::automatic) {
      EXPECT_FALSE(run.outcome.error);
      EXPECT_TRUE(run.upgraded);
      EXPECT_TRUE(said(run, upload::UploadEvent::Kind::warning, "Core.WrongState"));
    } else {
      ASSERT_TRUE(run.outcome.error);
      EXPECT_TRUE(run.outcome.error->is(upload::UploadErrc::modem_manager));
      EXPECT_NE(run.outcome.error->message().find("would not leave " + std::string(kDevice) + " alone"),
                std::string::npos)
          << run.outcome.error->message();
      EXPECT_FALSE(run.upgraded);
    }
  }
}

TEST_F(ModemManagerTest, AFailedUploadGivesTheModuleBack) {
  SimHarness harness{SimHarness::Wire::pty};
  PrivateSystemBus bus(harness.dir() / "bus");
  ASSERT_TRUE(bus.ready());
  start(harness);
  ASSERT_TRUE(bus.start_modem_manager(kDevice, {port_name(harness)}));
  auto options = harness.upload_options(sample_packages().forward);
  options.from_version = "EC25EFAR06A05M4G"; // not what the module runs: refused before anything is sent
  auto outcome = upload::run_upload(options, *registry().find("ec2x"), registry());
  ASSERT_TRUE(harness.stop());
  ASSERT_TRUE(outcome.error);
  EXPECT_TRUE(outcome.error->is(upload::UploadErrc::validation_refused));
  EXPECT_EQ(bus.inhibit_calls(),
            (std::vector<std::string>{std::string(kDevice) + " True", std::string(kDevice) + " False"}));
}

// `dfota upload` interrupted while the module reboots: the program gives
// the module back to ModemManager before it ends by the signal.
TEST_F(ModemManagerTest, AnInterruptedUploadGivesTheModuleBack) {
  SimHarness harness{SimHarness::Wire::pty};
  PrivateSystemBus bus(harness.dir() / "bus");
  ASSERT_TRUE(bus.ready());
  auto sim_options = harness.options("ec2x");
  sim_options.reboot_delay = transport::Duration(60000); // the module stays away: the host waits for it
  ASSERT_TRUE(harness.start(sim_options)) << harness.log();
  ASSERT_TRUE(bus.start_modem_manager(kDevice, {port_name(harness)}));
  const fs::path output = harness.dir() / "upload.out";
  ChildProcess upload({DFOTA_PROGRAM, "upload", sample_packages().forward.string(), "--port", harness.link().string(),
                       "--guard-ms", "200"},
                      output);
  ASSERT_TRUE(upload.running());
  bool rebooting = false;
  for (int i = 0; i < 1000 && !rebooting; ++i) { // 10 s
    rebooting = read_text(output).find("port gone") != std::string::npos;
    if (!rebooting) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(rebooting) << read_text(output);
  EXPECT_EQ(bus.inhibit_calls(), (std::vector<std::string>{std::string(kDevice) + " True"}));
  ::kill(upload.pid(), SIGINT);
  int status = 0;
  for (int i = 0; i < 1000 && ::waitpid(upload.pid(), &status, WNOHANG) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  upload.release();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT) << status << "\n" << read_text(output);
  EXPECT_EQ(bus.inhibit_calls(),
            (std::vector<std::string>{std::string(kDevice) + " True", std::string(kDevice) + " False"}));
  ASSERT_TRUE(harness.stop());
}

TEST(ModemManagerPortName, IsTheDevicePathUnderDevWithSymlinksResolved) {
  EXPECT_EQ(host::modem_manager_port_name("/dev/ttyUSB2"), "ttyUSB2");
  EXPECT_EQ(host::modem_manager_port_name("tcp:127.0.0.1:5000"), "");
  ScratchDir dir;
  fs::create_symlink("/dev/null", dir / "by-id-link");
  EXPECT_EQ(host::modem_manager_port_name((dir / "by-id-link").string()), "null");
  EXPECT_EQ(host::parse_modem_manager_policy("inhibit"), host::ModemManagerPolicy::inhibit);
  EXPECT_EQ(host::parse_modem_manager_policy("auto"), host::ModemManagerPolicy::automatic);
  EXPECT_EQ(host::parse_modem_manager_policy("ignore"), host::ModemManagerPolicy::ignore);
  EXPECT_FALSE(host::parse_modem_manager_policy("Inhibit"));
}

} // namespace
} // namespace dfota::test
