// The simulator's fault switches against the uploader: each fault is either
// survived (the module ends on the target firmware) or reported with the
// module's own code, and the old firmware is never left half-written.
#include <gtest/gtest.h>

#include <future>

#include "support/sim_harness.hpp"
#include "upload/package_server.hpp"

namespace dfota::test {
namespace {

using upload::UploadErrc;

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

class Faults : public ::testing::Test {
protected:
  upload::UploadOutcome run(const std::string& profile, sim::SimOptions sim_options, upload::UploadOptions options) {
    EXPECT_TRUE(harness_.start(std::move(sim_options))) << harness_.log();
    auto outcome = harness_.upload(options, profile);
    (void)harness_.stop();
    return outcome;
  }
  // Nothing lost: whatever the fault, the module ends on one version, whole.
  void TearDown() override {
    (void)harness_.stop();
    EXPECT_TRUE(same_tree(harness_.firmware(), sample_firmware("v1")) ||
                same_tree(harness_.firmware(), sample_firmware("v2")))
        << "the firmware is neither v1 nor v2\n"
        << harness_.log();
  }
  void expect_firmware(const char* version) {
    std::string difference;
    EXPECT_TRUE(same_tree(harness_.firmware(), sample_firmware(version), &difference)) << difference << "\n"
                                                                                       << harness_.log();
  }
  SimHarness harness_;
};

TEST_F(Faults, PowerLossDuringUpdatingResumesOnTheNextStart) {
  auto sim_options = harness_.options("rg50xq");
  sim_options.faults.power_loss = sim::PowerLoss{sim::PowerLossPhase::updating, 50};
  harness_.hold_time_after_power_loss();
  ASSERT_TRUE(harness_.start(sim_options));
  auto host = std::async(std::launch::async,
                         [&] { return harness_.upload(harness_.upload_options(sample_packages().forward), "rg50xq"); });
  auto ended = harness_.wait_for_end(20000);
  ASSERT_FALSE(ended);
  EXPECT_TRUE(ended.error().is(sim::SimErrc::power_lost)) << ended.error().message();
  expect_firmware("v1"); // the old version, whole: never a mix
  // Power comes back: the module finds its upgrade flag and completes.
  auto again = harness_.options("rg50xq");
  ASSERT_TRUE(harness_.start(again));
  auto outcome = host.get();
  ASSERT_TRUE(harness_.stop());
  ASSERT_FALSE(outcome.error) << outcome.error->message() << "\n" << harness_.log();
  EXPECT_EQ(outcome.report.module_version_after, "EC25EFAR06A07M4G_01.004.01.004");
  EXPECT_NE(harness_.log().find("resuming the upgrade"), std::string::npos);
  expect_firmware("v2");
}

TEST_F(Faults, APackageForAnotherProjectEndsWith505AndKeepsTheOldFirmware) {
  auto options = harness_.upload_options(sample_packages().other_project);
  options.validate = false; // let the module itself refuse it
  auto outcome = run("ec2x", harness_.options("ec2x"), options);
  ASSERT_TRUE(outcome.error);
  EXPECT_TRUE(outcome.error->is(UploadErrc::module_error)) << outcome.error->message();
  EXPECT_EQ(outcome.report.error_code, 505);
  EXPECT_NE(outcome.report.error_meaning.find("check failed"), std::string::npos) << outcome.report.error_meaning;
  // EC2x retries a failed package five times before it gives up.
  EXPECT_EQ(count(harness_.log(), "\"END\", 505"), 5) << harness_.log();
  EXPECT_EQ(outcome.report.retried_codes.size(), 4u);
  expect_firmware("v1");
}

TEST_F(Faults, PreflightRefusesAnotherProjectBeforeSendingAByte) {
  auto outcome = run("ec2x", harness_.options("ec2x"), harness_.upload_options(sample_packages().other_project));
  ASSERT_TRUE(outcome.error);
  EXPECT_TRUE(outcome.error->is(UploadErrc::validation_refused));
  EXPECT_EQ(outcome.report.error_code, 505);
  EXPECT_EQ(harness_.log().find("QFUPL=\""), std::string::npos) << harness_.log();
  expect_firmware("v1");
}

TEST_F(Faults, AsrFamilyRefusesAnotherProjectWith552) {
  auto options = harness_.upload_options(sample_packages().other_project);
  options.validate = false;
  auto outcome = run("ec200t", harness_.options("ec200t"), options);
  ASSERT_TRUE(outcome.error);
  EXPECT_EQ(outcome.report.error_code, 552) << outcome.error->message();
  expect_firmware("v1");
}

TEST_F(Faults, ACodeTheModuleRetriesIsFollowedToSuccess) {
  auto sim_options = harness_.options("rg50xq");
  sim_options.faults.fail_code = 520;
  auto outcome = run("rg50xq", sim_options, harness_.upload_options(sample_packages().forward));
  ASSERT_FALSE(outcome.error) << outcome.error->message() << "\n" << harness_.log();
  EXPECT_EQ(outcome.report.retried_codes, std::vector<int>{520});
  expect_firmware("v2");
}

// RG50xQ note: 520-530 "will reboot and retry to upgrade the firmware until
// the upgrade is successful" -- past the five attempts 502 gets. The host
// follows every retry instead of giving up while the module goes on.
TEST_F(Faults, ACodeRetriedUntilSuccessIsFollowedPastFiveAttempts) {
  auto sim_options = harness_.options("rg50xq");
  sim_options.faults.fail_code = 525;
  sim_options.faults.fail_times = 7;
  auto outcome = run("rg50xq", sim_options, harness_.upload_options(sample_packages().forward));
  ASSERT_FALSE(outcome.error) << outcome.error->message() << "\n" << harness_.log();
  EXPECT_EQ(outcome.report.retried_codes, std::vector<int>(7, 525));
  expect_firmware("v2");

  // 502 is retried five times in all, then final.
  SimHarness limited;
  auto limited_options = limited.options("rg50xq");
  limited_options.faults.fail_code = 502;
  limited_options.faults.fail_times = 7;
  ASSERT_TRUE(limited.start(limited_options));
  auto gave_up = limited.upload(limited.upload_options(sample_packages().forward), "rg50xq");
  ASSERT_TRUE(limited.stop());
  ASSERT_TRUE(gave_up.error);
  EXPECT_EQ(gave_up.report.error_code, 502);
  EXPECT_EQ(gave_up.report.retried_codes.size(), 4u);
  EXPECT_EQ(count(limited.log(), "\"END\",502"), 5) << limited.log();
}

TEST_F(Faults, EndWithAFinalCodeStopsWithItsMeaning) {
  auto sim_options = harness_.options("rg50xq");
  sim_options.faults.fail_code = 510;
  auto outcome = run("rg50xq", sim_options, harness_.upload_options(sample_packages().forward));
  ASSERT_TRUE(outcome.error);
  EXPECT_TRUE(outcome.error->is(UploadErrc::module_error));
  EXPECT_EQ(outcome.report.error_code, 510);
  EXPECT_NE(outcome.error->message().find("510"), std::string::npos);
  EXPECT_FALSE(outcome.report.error_meaning.empty());
  expect_firmware("v1");
}

TEST_F(Faults, GarbledLostAndNoisyReportsAreTolerated) {
  auto sim_options = harness_.options("ec2x");
  sim_options.faults.garble_urcs = 2;
  sim_options.faults.drop_urcs = {"START"};
  sim_options.faults.line_noise = true;
  auto outcome = run("ec2x", sim_options, harness_.upload_options(sample_packages().forward));
  ASSERT_FALSE(outcome.error) << outcome.error->message() << "\n" << harness_.log();
  EXPECT_EQ(outcome.report.garbled_urcs, 2);
  expect_firmware("v2");
}

// Line noise between answers, UPDATING reports cut short and a START that
// never comes, over every method: each family's dialect, command and report
// phases alike.
class NoisyLine : public ::testing::TestWithParam<std::pair<std::string, std::string>> {
protected:
  SimHarness harness_;
};

TEST_P(NoisyLine, TheUpgradeStillCompletes) {
  const auto& [profile, method] = GetParam();
  auto sim_options = harness_.options(profile);
  sim_options.faults.garble_urcs = 3;
  sim_options.faults.drop_urcs = {"START"};
  sim_options.faults.line_noise = true;
  sim_options.seed = 7;
  auto options = harness_.upload_options(sample_packages().forward, method);
  std::unique_ptr<upload::PackageServer> server;
  if (method == "url") {
    auto started = upload::PackageServer::start("127.0.0.1:0", sample_packages().forward);
    ASSERT_TRUE(started) << started.error().message();
    server = std::move(*started);
    options.url = server->url();
  }
  ASSERT_TRUE(harness_.start(sim_options)) << harness_.log();
  auto outcome = harness_.upload(options, profile);
  ASSERT_TRUE(harness_.stop());
  ASSERT_FALSE(outcome.error) << outcome.error->message() << "\n" << harness_.log();
  EXPECT_EQ(outcome.report.module_version_after, "EC25EFAR06A07M4G_01.004.01.004");
  EXPECT_TRUE(same_tree(harness_.firmware(), sample_firmware("v2"))) << harness_.log();
}

INSTANTIATE_TEST_SUITE_P(EveryMethod, NoisyLine,
                         ::testing::Values(std::pair{std::string("ugxx"), std::string("com")},
                                           std::pair{std::string("ec200t"), std::string("file")},
                                           std::pair{std::string("ec2x"), std::string("qfupl")},
                                           std::pair{std::string("rg50xq"), std::string("url")}),
                         [](const auto& param_info) { return param_info.param.first + "_" + param_info.param.second; });

TEST_F(Faults, AChecksumMismatchStopsAndCleansUp) {
  auto sim_options = harness_.options("ec2x");
  sim_options.faults.corrupt_upload = true;
  auto outcome = run("ec2x", sim_options, harness_.upload_options(sample_packages().forward));
  ASSERT_TRUE(outcome.error);
  EXPECT_TRUE(outcome.error->is(UploadErrc::transfer_failed));
  EXPECT_NE(outcome.error->message().find("checksum"), std::string::npos);
  EXPECT_TRUE(fs::is_empty(harness_.dir() / "state" / "ufs")) << "the bad upload stays on the module";
  expect_firmware("v1");
}

// UGxx COM mode: 10 bytes vanish on the line, the module times out waiting
// for them (+CME ERROR: 421) and, having received more than 0 bytes,
// upgrades with what it got (the guide). The host follows that upgrade to
// its end instead of leaving while the module reboots, then fails with the
// timeout and what the module made of the package.
TEST_F(Faults, AModuleTimeoutIs421AndTheUpgradeOfWhatArrivedIsFollowed) {
  auto sim_options = harness_.options("ugxx");
  sim_options.faults.lose_bytes = 10;
  sim_options.port_kind = sim::PortKind::uart; // UGxx shows its FOTA reports on a UART only
  std::vector<std::string> warnings;
  harness_.start(sim_options);
  auto outcome =
      harness_.upload(harness_.upload_options(sample_packages().forward), "ugxx", [&](const upload::UploadEvent& e) {
        if (e.kind == upload::UploadEvent::Kind::warning) warnings.push_back(e.text);
      });
  (void)harness_.stop();
  ASSERT_TRUE(outcome.error);
  EXPECT_TRUE(outcome.error->is(UploadErrc::timeout)) << outcome.error->message();
  EXPECT_EQ(outcome.report.error_code, 421);
  const std::string size = std::to_string(fs::file_size(sample_packages().forward));
  EXPECT_NE(outcome.error->message().find("after " + std::to_string(std::stoull(size) - 10) + " of " + size + " bytes"),
            std::string::npos)
      << outcome.error->message();
  EXPECT_NE(outcome.error->message().find("; then: the upgrade ended with END"), std::string::npos)
      << outcome.error->message() << "\n"
      << harness_.log();
  EXPECT_TRUE(outcome.report.upgrade_started);
  ASSERT_FALSE(warnings.empty());
  EXPECT_NE(warnings.front().find("upgrades with what it received"), std::string::npos) << warnings.front();
  expect_firmware("v1");
}

TEST_F(Faults, AFullFileSystemIsPredictedOrReportedWithTheModulesCode) {
  auto sim_options = harness_.options("rg50xq");
  sim_options.faults.fs_full = true;
  auto predicted = run("rg50xq", sim_options, harness_.upload_options(sample_packages().forward));
  ASSERT_TRUE(predicted.error);
  EXPECT_TRUE(predicted.error->is(UploadErrc::validation_refused));
  EXPECT_EQ(predicted.report.error_code, 511);

  auto options = harness_.upload_options(sample_packages().forward);
  options.validate = false;
  auto reported = run("rg50xq", sim_options, options);
  ASSERT_TRUE(reported.error);
  EXPECT_EQ(reported.report.error_code, 420); // +CME ERROR: 420 from AT+QFUPL
  expect_firmware("v1");
}

TEST_F(Faults, NoSpaceToApplyEndsWith511) {
  // The package reaches the module by --serve; the module has no room to apply it.
  auto server = upload::PackageServer::start("127.0.0.1:0", sample_packages().forward);
  ASSERT_TRUE(server) << server.error().message();
  auto sim_options = harness_.options("rg50xq");
  sim_options.faults.fs_full = true;
  auto options = harness_.upload_options(sample_packages().forward, "url");
  options.url = (*server)->url();
  options.validate = false;
  auto outcome = run("rg50xq", sim_options, options);
  ASSERT_TRUE(outcome.error);
  EXPECT_TRUE(outcome.error->is(UploadErrc::module_error)) << outcome.error->message();
  EXPECT_EQ(outcome.report.error_code, 511);
  EXPECT_EQ((*server)->requests(), 1u);
  expect_firmware("v1");
}

// Just after boot a module may answer its first AT 1.5 s late, after the
// host gave up on it: the answers must not shift by one command (AT+QGMR
// reading ATI's "Revision:" line would blame the package, exit 20).
TEST_F(Faults, AFirstAnswerThatComesLateDoesNotShiftTheAnswers) {
  // EC2x: late only at the start; RG50xQ: late again after each reboot.
  for (const auto& [profile, late_ms] : {std::pair{"ec2x", 1500}, std::pair{"rg50xq", 2500}}) {
    auto sim_options = harness_.options(profile);
    sim_options.faults.late_first_answer = transport::Duration(late_ms);
    auto outcome = run(profile, sim_options, harness_.upload_options(sample_packages().forward));
    ASSERT_FALSE(outcome.error) << profile << ": " << outcome.error->message() << "\n" << harness_.log();
    EXPECT_EQ(outcome.report.module_version_before, "EC25EFAR06A06M4G_01.003.01.003");
    EXPECT_EQ(outcome.report.module_version_after, "EC25EFAR06A07M4G_01.004.01.004");
    expect_firmware("v2");
    fs::remove_all(harness_.firmware()); // the next family starts on v1 again
    fs::copy(sample_firmware("v1"), harness_.firmware(), fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  }
}

// The total timeout fires while reports keep coming: the message names it,
// not the silence between reports that never happened.
TEST_F(Faults, TheTimeoutThatFiredIsTheOneNamed) {
  auto sim_options = harness_.options("rg50xq");
  auto options = harness_.upload_options(sample_packages().forward);
  options.timeouts.total = transport::Duration(20); // fires before the first report
  auto outcome = run("rg50xq", sim_options, options);
  ASSERT_TRUE(outcome.error);
  EXPECT_TRUE(outcome.error->is(UploadErrc::timeout)) << outcome.error->message();
  EXPECT_EQ(outcome.error->message(), "the upgrade did not finish within 0.02 s (--timeout total=0.02)");
}

TEST_F(Faults, AModuleThatNeverAnswersIsAClearError) {
  auto sim_options = harness_.options("ec2x");
  sim_options.faults.no_answer = true;
  auto outcome = run("ec2x", sim_options, harness_.upload_options(sample_packages().forward));
  ASSERT_TRUE(outcome.error);
  EXPECT_TRUE(outcome.error->is(UploadErrc::no_module));
}

TEST_F(Faults, APortThatNeverComesBackTimesOut) {
  auto sim_options = harness_.options("rg50xq");
  sim_options.faults.power_loss = sim::PowerLoss{sim::PowerLossPhase::updating, 10};
  ASSERT_TRUE(harness_.start(sim_options));
  auto options = harness_.upload_options(sample_packages().forward);
  options.timeouts.port_back = transport::Duration(1500);
  auto outcome = harness_.upload(options, "rg50xq");
  (void)harness_.stop();
  ASSERT_TRUE(outcome.error);
  EXPECT_TRUE(outcome.error->is(UploadErrc::port_lost)) << outcome.error->message();
  EXPECT_NE(outcome.error->message().find("did not come back"), std::string::npos);
  expect_firmware("v1");
}

TEST_F(Faults, FileModeWithoutFlowControlLosesDataUnlessTheHostPaces) {
  auto sim_options = harness_.options("ec200t");
  sim_options.no_flow_control = true;
  // The host believes in RTS/CTS and does not pace: bytes overflow.
  auto options = harness_.upload_options(sample_packages().forward);
  options.serial.flow_control = transport::FlowControl::rtscts;
  auto outcome = run("ec200t", sim_options, options);
  ASSERT_TRUE(outcome.error);
  EXPECT_EQ(outcome.report.error_code, 500) << outcome.error->message() << "\n" << harness_.log();
  EXPECT_NE(harness_.log().find("lost: no flow control"), std::string::npos);
  expect_firmware("v1");
}

TEST_F(Faults, ARevisionNotValidYetAndAnOldQgmrAreHandled) {
  auto sim_options = harness_.options("ec2x");
  sim_options.early_revision = transport::Duration(1500);
  auto outcome = run("ec2x", sim_options, harness_.upload_options(sample_packages().forward));
  ASSERT_FALSE(outcome.error) << outcome.error->message() << "\n" << harness_.log();
  EXPECT_EQ(outcome.report.module_version_after, "EC25EFAR06A07M4G_01.004.01.004");

  SimHarness old;
  auto old_options = old.options("ugxx");
  old_options.faults.qgmr_error = true;
  ASSERT_TRUE(old.start(old_options));
  auto fallback = old.upload(old.upload_options(sample_packages().forward), "ugxx");
  ASSERT_TRUE(old.stop());
  ASSERT_FALSE(fallback.error) << fallback.error->message() << "\n" << old.log();
  EXPECT_EQ(fallback.report.module_version_after, "EC25EFAR06A07M4G"); // AT+CGMR: no sub-version
}

TEST_F(Faults, ASlowLinkTakesItsTime) {
  auto sim_options = harness_.options("ec2x");
  sim_options.baud = 115200;
  auto outcome = run("ec2x", sim_options, harness_.upload_options(sample_packages().forward));
  ASSERT_FALSE(outcome.error) << outcome.error->message();
  const double wire = static_cast<double>(fs::file_size(sample_packages().forward)) / 11520.0;
  EXPECT_GE(outcome.report.upload_seconds, wire * 0.9);
  expect_firmware("v2");
}

} // namespace
} // namespace dfota::test
