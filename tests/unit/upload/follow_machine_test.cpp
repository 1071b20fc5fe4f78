// The follow machine fed the guides' transcripts with their times, and the
// port going and coming back: each decision without a port or a clock.
#include "upload/follow_machine.hpp"

#include <gtest/gtest.h>

#include "support/sim_harness.hpp"

namespace dfota::upload {
namespace {

using Kind = FollowAction::Kind;
using transport::Duration;
using transport::TimePoint;
using namespace std::chrono_literals;

constexpr const char* kBefore = "EC25EFAR06A06M4G_01.003.01.003";
constexpr const char* kTarget = "EC25EFAR06A07M4G_01.004.01.004";

class Follow : public ::testing::Test {
protected:
  void start(const char* profile_id, bool url = false, Duration total = 1800s) {
    const profiles::Profile& profile = **test::registry().find(profile_id);
    tracker_.emplace(profile);
    FollowFacts facts;
    facts.profile = &profile;
    facts.total = total;
    facts.urc_gap = 90s;
    facts.url_method = url;
    facts.version_before = kBefore;
    facts.target_stated = true;
    facts.target_version = kTarget;
    facts.reached_target = [](const std::string& v) { return v == kTarget; };
    start_ = now_;
    machine_.emplace(std::move(facts), *tracker_, now_);
  }
  FollowAction next() { return machine_->next(now_); }
  // Reports `line` at `after` past the last time, while the machine waits.
  void report(const std::string& line, Duration after = 1s) {
    const FollowAction action = next();
    ASSERT_EQ(action.kind, Kind::wait_report) << line;
    now_ += after;
    ASSERT_LE(now_, action.until) << line;
    machine_->report(line, now_);
  }
  // Nothing until the wait's end.
  void quiet() {
    const FollowAction action = next();
    ASSERT_EQ(action.kind, Kind::wait_report);
    now_ = action.until;
    machine_->quiet(now_);
  }
  void reboot(Duration away = 5s) {
    ASSERT_EQ(next().kind, Kind::wait_report);
    machine_->port_gone();
    ASSERT_EQ(next().kind, Kind::reopen_port);
    now_ += away;
    machine_->port_back(now_);
  }
  void answer(const std::optional<std::string>& version) {
    ASSERT_EQ(next().kind, Kind::ask_revision);
    now_ += 100ms;
    machine_->revision(version, now_);
  }

  TimePoint now_ = TimePoint(1000h);
  TimePoint start_;
  std::optional<FotaTracker> tracker_;
  std::optional<FollowMachine> machine_;
};

TEST_F(Follow, Ec2xThroughItsRebootToTheTarget) {
  start("ec2x");
  report(R"(+QIND: "FOTA","START")");
  report(R"(+QIND: "FOTA","UPDATING", 50)", 20s);
  report(R"(+QIND: "FOTA","UPDATING", 100)", 20s);
  report(R"(+QIND: "FOTA","END",0)");
  reboot();
  answer(kTarget);
  const FollowAction done = next();
  EXPECT_EQ(done.kind, Kind::done);
  EXPECT_EQ(done.version, kTarget);
  EXPECT_EQ(machine_->reboots(), 1);
}

TEST_F(Follow, RdyAfterEnd0IsConfirmedAndTheWrongRevisionNamed) {
  start("ugxx");
  report(R"(+QIND: "FOTA","START")");
  report(R"(+QIND: "FOTA","END",0)");
  report("RDY");
  ASSERT_EQ(next().kind, Kind::confirm);
  machine_->confirmed(kBefore);
  const FollowAction failed = next();
  EXPECT_EQ(failed.kind, Kind::failed);
  EXPECT_EQ(failed.code, UploadErrc::wrong_version);
  EXPECT_EQ(failed.message, std::string("the module runs ") + kBefore + ", not " + kTarget);
}

TEST_F(Follow, TheModulesCodeEndsIt) {
  start("rg50xq");
  report(R"(+QIND: "FOTA","START")");
  report(R"(+QIND: "FOTA","END",504)");
  const FollowAction failed = next();
  EXPECT_EQ(failed.kind, Kind::failed);
  EXPECT_EQ(failed.code, UploadErrc::module_error);
  EXPECT_EQ(failed.module_code, 504);
  EXPECT_EQ(failed.scope, "fota");
  EXPECT_EQ(failed.message, "the upgrade ended with END 504");
}

TEST_F(Follow, ReportsEvery50MsStillEndAtTheTotalTimeoutNamedAsSuch) {
  start("ec2x", false, 15s);
  report(R"(+QIND: "FOTA","START")", 0ms);
  int reports = 0;
  for (; reports < 1000 && next().kind == Kind::wait_report; ++reports)
    report(R"(+QIND: "FOTA","UPDATING", 1)", 50ms);
  EXPECT_EQ(reports, 300); // 15 s of them
  const FollowAction failed = next();
  EXPECT_EQ(failed.kind, Kind::failed);
  EXPECT_EQ(failed.code, UploadErrc::timeout);
  EXPECT_EQ(failed.message, "the upgrade did not finish within 15 s (--timeout total=15)");
}

TEST_F(Follow, SilenceBeforeAnyReportIsTheUrcTimeout) {
  start("ec2x");
  quiet();
  const FollowAction failed = next();
  EXPECT_EQ(failed.kind, Kind::failed);
  EXPECT_EQ(failed.message, "no report from the module for 90 s (--timeout urc=90)");
}

TEST_F(Follow, AUrlDownloadThatNeverStartsIsBoundedByTheUgxxGuide) {
  start("ugxx", true);
  const FollowAction wait = next();
  EXPECT_EQ(wait.until - now_, 90s);
  quiet();
  const FollowAction failed = next();
  EXPECT_EQ(failed.kind, Kind::failed);
  EXPECT_NE(failed.message.find("did not start the download (no FTPSTART or HTTPSTART) within 90 s (the UGxx"),
            std::string::npos)
      << failed.message;
}

TEST_F(Follow, APortBackAsAnotherModuleIsNotOurs) {
  start("ec2x");
  report(R"(+QIND: "FOTA","END",0)");
  reboot();
  answer("EG25GGBR07A08M2G_01.001.01.001");
  const FollowAction failed = next();
  EXPECT_EQ(failed.kind, Kind::failed);
  EXPECT_EQ(failed.code, UploadErrc::port_lost);
  EXPECT_NE(failed.message.find("the port came back as another module"), std::string::npos) << failed.message;
}

TEST_F(Follow, Rg50xqSilentAfterItsRebootGetsTheGuidesFirstUrcTime) {
  start("rg50xq");
  report(R"(+QIND: "FOTA","START")");
  reboot();
  // Neither reporting nor answering: asked after each 3 s of quiet.
  for (int i = 0; i < 200 && next().kind != Kind::failed; ++i) {
    if (next().kind == Kind::ask_revision) {
      answer(std::nullopt);
    } else {
      quiet();
    }
  }
  const FollowAction failed = next();
  ASSERT_EQ(failed.kind, Kind::failed);
  EXPECT_EQ(failed.code, UploadErrc::timeout);
  EXPECT_GT(now_, start_ + 90s);
  EXPECT_LT(now_, start_ + 100s);
  EXPECT_NE(failed.message.find("RG50xQ/RM5xxQ guide: the first URC after the reboot comes within 90 s"),
            std::string::npos)
      << failed.message;
}

TEST_F(Follow, AModuleThatKeepsItsOldRevisionAndReportsNothingIsWrongVersion) {
  start("ec2x");
  report(R"(+QIND: "FOTA","START")");
  reboot();
  answer(kBefore); // not yet: the module may still be upgrading
  EXPECT_EQ(next().kind, Kind::wait_report);
  for (int i = 0; i < 40 && next().kind != Kind::failed; ++i) {
    quiet();
    answer(kBefore);
  }
  const FollowAction failed = next();
  ASSERT_EQ(failed.kind, Kind::failed);
  EXPECT_EQ(failed.code, UploadErrc::wrong_version);
  EXPECT_EQ(failed.message, std::string("the module still runs ") + kBefore + " and reports nothing");
}

} // namespace
} // namespace dfota::upload
