// Power cut at points spread over the whole upgrade, for every way a package
// reaches a module: while it arrives, with the flag set, during UPDATING, with
// the new version half in place, with it in place but the flag still set, and
// during the reboot after END. Each time the module boots on the complete old
// or the complete new firmware, and the host's run (or a second run, when the
// cut came during the transfer) completes the upgrade.
#include <gtest/gtest.h>

#include <future>

#include "sim/firmware_slot.hpp"
#include "support/sim_harness.hpp"

namespace dfota::test {
namespace {

using sim::PowerLoss;
using sim::PowerLossPhase;

struct Point {
  std::string name;
  std::string profile;
  std::string method;
  PowerLoss loss;
  SimHarness::Wire wire = SimHarness::Wire::memory;
};

std::ostream& operator<<(std::ostream& out, const Point& p) { return out << p.name; }

class PowerLossAnywhere : public ::testing::TestWithParam<Point> {
protected:
  // Which sample version the firmware is, whole; "" when it is neither.
  std::string firmware_version() const {
    if (same_tree(harness_.firmware(), sample_firmware("v1"))) return "v1";
    if (same_tree(harness_.firmware(), sample_firmware("v2"))) return "v2";
    return "";
  }
  SimHarness harness_{GetParam().wire};
};

TEST_P(PowerLossAnywhere, TheModuleKeepsOneWholeVersionAndTheUpgradeCompletes) {
  const Point& point = GetParam();
  const fs::path package = sample_packages().forward;
  auto faulty = harness_.options(point.profile);
  faulty.faults.power_loss = point.loss;
  harness_.hold_time_after_power_loss();
  ASSERT_TRUE(harness_.start(faulty)) << harness_.log();
  auto host = std::async(std::launch::async, [&] {
    return harness_.upload(harness_.upload_options(package, point.method), point.profile);
  });
  auto ended = harness_.wait_for_end(30000);
  ASSERT_FALSE(ended) << "the power cut never came\n" << harness_.log();
  ASSERT_TRUE(ended.error().is(sim::SimErrc::power_lost)) << ended.error().message();
  EXPECT_NE(harness_.log().find("* power lost"), std::string::npos);

  // What the next boot finds: the slot completes or rolls back a half-done
  // replacement, then the firmware must be one version, whole.
  ASSERT_TRUE(sim::FirmwareSlot::open(harness_.firmware(), harness_.dir() / "state"));
  const std::string after_cut = firmware_version();
  EXPECT_FALSE(after_cut.empty()) << "a mix of versions after a cut at " << point.name;
  const bool during_transfer = point.loss.phase == PowerLossPhase::upload;
  if (during_transfer) {
    EXPECT_EQ(after_cut, "v1");
  }

  // Power comes back.
  ASSERT_TRUE(harness_.start(harness_.options(point.profile))) << harness_.log();
  auto first = host.get();
  if (during_transfer) {
    // The host saw its port vanish mid-transfer and says so; a second run
    // (deleting whatever half-file the module kept) succeeds.
    ASSERT_TRUE(first.error.has_value()) << harness_.log();
    EXPECT_FALSE(first.report.ok);
    auto second = harness_.upload(harness_.upload_options(package, point.method), point.profile);
    ASSERT_FALSE(second.error) << second.error->message() << "\n" << harness_.log();
    EXPECT_EQ(second.report.module_version_after, "EC25EFAR06A07M4G_01.004.01.004");
  } else {
    ASSERT_FALSE(first.error) << first.error->message() << "\n" << harness_.log();
    EXPECT_EQ(first.report.module_version_after, "EC25EFAR06A07M4G_01.004.01.004");
  }
  ASSERT_TRUE(harness_.stop());
  EXPECT_EQ(firmware_version(), "v2") << harness_.log();

  // Nothing half-written is left: no staging or moved-aside firmware beside
  // the firmware, and every package file the module keeps is whole.
  const Bytes whole = read_bytes(package);
  for (const auto& entry : fs::recursive_directory_iterator(harness_.dir())) {
    const std::string name = entry.path().filename().string();
    EXPECT_EQ(name.find(".dfota-old"), std::string::npos) << entry.path();
    EXPECT_EQ(name.find(".partial-"), std::string::npos) << entry.path();
    EXPECT_EQ(name.find("staging"), std::string::npos) << entry.path();
    if (entry.is_regular_file() && entry.path().string().find("/state/") != std::string::npos &&
        (name == package.filename().string() || name == "package.bin")) {
      EXPECT_EQ(read_bytes(entry.path()), whole) << entry.path() << " is a cut-short package";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(TenPoints, PowerLossAnywhere,
                         ::testing::Values(Point{"upload_30_qfupl", "rg50xq", "qfupl", {PowerLossPhase::upload, 30}},
                                           Point{"upload_90_com", "ugxx", "com", {PowerLossPhase::upload, 90}},
                                           Point{"upload_60_file", "ec200t", "file", {PowerLossPhase::upload, 60}},
                                           Point{"flagged", "ec2x", "qfupl", {PowerLossPhase::flagged, 0}},
                                           Point{"updating_1", "rg50xq", "qfupl", {PowerLossPhase::updating, 1}},
                                           Point{"updating_35", "ugxx", "com", {PowerLossPhase::updating, 35}},
                                           Point{"updating_70", "ec200t", "file", {PowerLossPhase::updating, 70}},
                                           Point{"updating_99", "ec2x", "qfupl", {PowerLossPhase::updating, 99}},
                                           Point{"swap", "rg50xq", "qfupl", {PowerLossPhase::swap, 0}},
                                           Point{"commit", "ec2x", "qfupl", {PowerLossPhase::commit, 0}},
                                           Point{"reboot", "ec200t", "file", {PowerLossPhase::reboot, 0}}),
                         [](const auto& param_info) { return param_info.param.name; });

// The same over a real pseudo-terminal, on real time: the port really goes
// and a new simulator process would find the same firmware and state.
INSTANTIATE_TEST_SUITE_P(OverARealTerminal, PowerLossAnywhere,
                         ::testing::Values(Point{
                             "updating_50_pty", "ugxx", "com", {PowerLossPhase::updating, 50}, SimHarness::Wire::pty}),
                         [](const auto& param_info) { return param_info.param.name; });

TEST(PowerLossSwitch, ParsesEveryPhaseAndRefusesTheRest) {
  for (const char* text : {"upload:30", "flagged", "updating:0", "updating:100", "swap", "commit", "reboot"}) {
    auto point = sim::parse_power_loss(text);
    ASSERT_TRUE(point) << text;
    EXPECT_EQ(sim::to_string(*point), text);
  }
  for (const char* text : {"", "updating", "updating:101", "upload:x", "swap:3", "lightning"}) {
    auto point = sim::parse_power_loss(text);
    ASSERT_FALSE(point) << text;
    EXPECT_NE(point.error().message().find("power loss"), std::string::npos);
  }
}

} // namespace
} // namespace dfota::test
