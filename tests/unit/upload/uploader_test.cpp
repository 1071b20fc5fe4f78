// The uploader against a scripted module on a ManualClock: the whole URL
// upgrade in-process, and the hostile modules that must not confuse it.
#include "upload/uploader.hpp"

#include <gtest/gtest.h>

#include "support/fake_module.hpp"
#include "support/sim_harness.hpp"

namespace dfota::test {
namespace {

using transport::Duration;
using Reply = FakeModule::Reply;

const std::string kV1 = "EC25EFAR06A06M4G_01.003.01.003";
const std::string kV2 = "EC25EFAR06A07M4G_01.004.01.004";

std::string answer(const std::string& lines) {
  return lines.empty() ? "\r\nOK\r\n" : "\r\n" + lines + "\r\n\r\nOK\r\n";
}
std::string fota(const std::string& stage) { return "\r\n+QIND: \"FOTA\"," + stage + "\r\n"; }

// An RG50xQ on v1 that downloads, reports and comes up on v2 without a
// reboot the host could see.
class UploaderTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto loaded = profiles::Registry::load(source_dir() / "formats");
    ASSERT_TRUE(loaded) << loaded.error().message();
    registry_ = std::make_unique<profiles::Registry>(std::move(*loaded));
    options_.package = sample_packages().forward;
    options_.port = "fake";
    options_.method = "url";
    options_.url = "http://192.0.2.10/update.zip";
  }

  // The module's answers; `upgrade` is what follows AT+QFOTADL.
  std::vector<Reply> module(const std::string& command) {
    if (command == "AT+QGMR") return {{Duration(10), answer(version_)}};
    if (command == "ATI") return {{Duration(10), answer("Quectel\r\nRG500Q\r\nRevision: " + version_.substr(0, 16))}};
    if (command == "AT+CMEE?") return {{Duration(10), answer("+CMEE: 1")}};
    if (command.rfind("AT+QFOTADL=", 0) == 0) {
      std::vector<Reply> replies{{Duration(20), answer("")},
                                 {Duration(100), fota("\"HTTPSTART\"")},
                                 {Duration(1000), fota("\"HTTPEnd\",0")},
                                 {Duration(100), fota("\"START\"")}};
      for (int percent = 10; percent <= 100; percent += 10)
        replies.push_back({Duration(50), fota("\"UPDATING\"," + std::to_string(percent))});
      replies.push_back({Duration(50), fota("\"END\",0")});
      version_ = kV2; // the module answers as v2 from here on
      return replies;
    }
    return {{Duration(10), answer("")}}; // AT, ATE0, AT+CMEE=1, ...
  }

  upload::UploadOutcome upload(FakeModule& fake, const std::string& family = "rg50xq") {
    FakeModule::Ports ports(fake);
    return upload::run_upload(options_, *registry_->find(family), *registry_, {}, {}, clock_, ports);
  }

  transport::ManualClock clock_;
  std::unique_ptr<profiles::Registry> registry_;
  upload::UploadOptions options_;
  std::string version_ = kV1;
};

TEST_F(UploaderTest, AUrlUpgradeRunsInProcessOnTheManualClock) {
  FakeModule fake(clock_, [this](const std::string& c) { return module(c); });
  const auto start = clock_.now();
  auto outcome = upload(fake);
  ASSERT_FALSE(outcome.error) << outcome.error->message();
  EXPECT_EQ(outcome.report.module_version_before, kV1);
  EXPECT_EQ(outcome.report.module_version_after, kV2);
  EXPECT_EQ(outcome.report.method, "url");
  const std::vector<std::string> first{"AT",  "ATE0",    "AT+CMEE=1",
                                       "ATI", "AT+QGMR", "AT+QFOTADL=\"http://192.0.2.10/update.zip\""};
  ASSERT_GE(fake.commands().size(), first.size());
  EXPECT_EQ(std::vector<std::string>(fake.commands().begin(), fake.commands().begin() + 6), first);
  EXPECT_EQ(fake.commands().back(), "AT+QGMR") << "the new revision confirmed";
  EXPECT_LT(clock_.now() - start, Duration(10000)) << "manual time only";
}

// Just after boot the module answers its first AT 1.5 s late (after the
// host's 1 s): every later answer would be one command off, and AT+QGMR
// would read ATI's "Revision:" line.
TEST_F(UploaderTest, AFirstAnswerThatComesLateShiftsNothing) {
  bool first = true;
  FakeModule fake(clock_, [&](const std::string& c) {
    auto replies = module(c);
    if (first) replies.front().after = Duration(1500);
    first = false;
    return replies;
  });
  auto outcome = upload(fake);
  ASSERT_FALSE(outcome.error) << outcome.error->message();
  EXPECT_EQ(outcome.report.module_version_before, kV1);
  EXPECT_EQ(outcome.report.module_version_after, kV2);
  EXPECT_NE(std::find(fake.commands().begin(), fake.commands().end(), "AT+CMEE?"), fake.commands().end())
      << "the channel resynchronised";
}

// Reports every 50 ms, never an END: the total timeout fires, and it is the
// one named (not 90 s of silence that never happened).
TEST_F(UploaderTest, TheTotalTimeoutIsNamedWhileReportsKeepComing) {
  FakeModule fake(clock_, [this](const std::string& c) {
    if (c.rfind("AT+QFOTADL=", 0) != 0) return module(c);
    std::vector<Reply> replies{{Duration(20), answer("")}, {Duration(100), fota("\"START\"")}};
    for (int i = 0; i < 1000; ++i) // 50 s of UPDATING 1..99 %
      replies.push_back({Duration(50), fota("\"UPDATING\"," + std::to_string(1 + i % 99))});
    return replies;
  });
  options_.timeouts.total = Duration(15000);
  const auto start = clock_.now();
  auto outcome = upload(fake);
  ASSERT_TRUE(outcome.error);
  EXPECT_TRUE(outcome.error->is(upload::UploadErrc::timeout)) << outcome.error->message();
  EXPECT_EQ(outcome.error->message(), "the upgrade did not finish within 15 s (--timeout total=15)");
  EXPECT_LT(clock_.now() - start, Duration(16000));
}

// The UGxx guide gives AT+QFOTADL up to 90 s to answer: the uploader waits
// that long for a UGxx, and names the command when a family's time runs out.
TEST_F(UploaderTest, AtQfotadlGetsTheFamilysResponseTime) {
  auto slow = [this](const std::string& c) {
    auto replies = module(c);
    if (c.rfind("AT+QFOTADL=", 0) == 0) replies.front().after = Duration(60000);
    return replies;
  };
  FakeModule ugxx(clock_, slow);
  auto outcome = upload(ugxx, "ugxx");
  ASSERT_FALSE(outcome.error) << outcome.error->message();
  EXPECT_EQ(outcome.report.module_version_after, kV2);

  version_ = kV1;
  FakeModule ec2x(clock_, slow); // its guide states no response time: --timeout command (5 s)
  outcome = upload(ec2x, "ec2x");
  ASSERT_TRUE(outcome.error);
  EXPECT_TRUE(outcome.error->is(transport::TransportErrc::timeout)) << outcome.error->message();
  EXPECT_EQ(outcome.error->message(), "fake: no answer to AT+QFOTADL=\"http://192.0.2.10/update.zip\" within 5 s");
}

// A module that floods the line without an end of line: the deadlines hold,
// the run ends with a clear error instead of running on.
TEST_F(UploaderTest, AModuleThatNeverStopsSendingCannotHoldTheRunOpen) {
  FakeModule fake(clock_, [](const std::string&) {
    std::vector<Reply> flood;
    for (int i = 0; i < 2000; ++i)
      flood.push_back({Duration(1), std::string(1024, 'x')});
    return flood;
  });
  const auto start = clock_.now();
  auto outcome = upload(fake);
  ASSERT_TRUE(outcome.error);
  EXPECT_TRUE(outcome.error->is(upload::UploadErrc::no_module)) << outcome.error->message();
  EXPECT_LT(clock_.now() - start, Duration(120000));
}

// FILE mode with RTS/CTS asked for, against a module that takes the
// commands but reads back flow control off: nothing is sent.
TEST_F(UploaderTest, FlowControlNotReadBackStopsBeforeTheTransfer) {
  options_.method = "file";
  options_.url.reset();
  options_.serial.flow_control = transport::FlowControl::rtscts;
  FakeModule fake(clock_, [this](const std::string& c) -> std::vector<Reply> {
    if (c == "ATI") return {{Duration(10), answer("Quectel\r\nEC200T\r\nRevision: " + version_.substr(0, 16))}};
    if (c == "AT+IFC?") return {{Duration(10), answer("+IFC: 0,0")}};
    if (c == "AT+QCFG=\"usbifc\"") return {{Duration(10), "\r\nERROR\r\n"}};
    if (c == "AT+QFLDS=\"UFS\"") return {{Duration(10), answer("+QFLDS: 50000000,60000000")}};
    return module(c);
  });
  auto outcome = upload(fake, "ec200t");
  ASSERT_TRUE(outcome.error);
  EXPECT_TRUE(outcome.error->is(upload::UploadErrc::not_supported)) << outcome.error->message();
  EXPECT_NE(outcome.error->message().find("AT+IFC? reads 0,0"), std::string::npos) << outcome.error->message();
  // A scripted port tells no kind: both commands, both read back.
  const auto& sent = fake.commands();
  for (const char* command : {"AT+IFC=2,2", "AT+QCFG=\"usbifc\",2,2", "AT+IFC?", "AT+QCFG=\"usbifc\""})
    EXPECT_NE(std::find(sent.begin(), sent.end(), command), sent.end()) << command;
  for (const auto& command : sent)
    EXPECT_EQ(command.rfind("AT+QFOTADL", 0), std::string::npos) << "sent after an unconfirmed flow control";
  EXPECT_FALSE(outcome.report.upgrade_started);
}

// A module that reboots after START and comes back as a port that reports
// and answers nothing: the RG50xQ note bounds the first URC after the
// reboot (90 s); a family whose guide is silent gets the URC gap. Neither is
// waited on until the total timeout (30 minutes).
TEST_F(UploaderTest, AModuleSilentAfterItsRebootIsNotWaitedOnForever) {
  for (const std::string family : {"rg50xq", "ec2x"}) {
    bool rebooted = false;
    FakeModule fake(clock_, [&](const std::string& c) -> std::vector<Reply> {
      if (rebooted) return {}; // nothing, ever again
      if (c.rfind("AT+QFOTADL=", 0) == 0) {
        rebooted = true;
        return {{Duration(20), answer("")},
                {Duration(100), fota("\"HTTPSTART\"")},
                {Duration(1000), fota("\"HTTPEnd\",0")},
                {Duration(100), fota("\"START\"")},
                {Duration(100), "", true}};
      }
      if (c == "ATI" && family == "ec2x")
        return {{Duration(10), answer("Quectel\r\nEC25\r\nRevision: " + version_.substr(0, 16))}};
      return module(c);
    });
    const auto start = clock_.now();
    auto outcome = upload(fake, family);
    ASSERT_TRUE(outcome.error) << family;
    EXPECT_TRUE(outcome.error->is(upload::UploadErrc::timeout)) << outcome.error->message();
    EXPECT_NE(outcome.error->message().find("came back from its reboot but has reported and answered nothing"),
              std::string::npos)
        << outcome.error->message();
    if (family == "rg50xq")
      EXPECT_NE(outcome.error->message().find("first URC after the reboot comes within 90 s"), std::string::npos)
          << outcome.error->message();
    else
      EXPECT_NE(outcome.error->message().find("--timeout urc"), std::string::npos) << outcome.error->message();
    EXPECT_LT(clock_.now() - start, Duration(120000)) << family << ": waited past the limit";
  }
}

// After the reboot the port comes back as another module (a rack renumbered
// ttyUSBn): it is not taken for ours, whatever it reports.
TEST_F(UploaderTest, APortThatComesBackAsAnotherModuleIsNotTakenForOurs) {
  bool rebooted = false;
  FakeModule fake(clock_, [&](const std::string& c) -> std::vector<Reply> {
    if (rebooted && c == "AT+QGMR") return {{Duration(10), answer("EG91EXGAR08A05M1G_01.002.01.002")}};
    if (rebooted) return {{Duration(10), answer("")}};
    if (c.rfind("AT+QFOTADL=", 0) == 0) {
      rebooted = true;
      return {{Duration(20), answer("")},
              {Duration(100), fota("\"HTTPSTART\"")},
              {Duration(1000), fota("\"HTTPEnd\",0")},
              {Duration(100), "", true}};
    }
    return module(c);
  });
  auto outcome = upload(fake);
  ASSERT_TRUE(outcome.error);
  EXPECT_TRUE(outcome.error->is(upload::UploadErrc::port_lost)) << outcome.error->message();
  EXPECT_EQ(outcome.error->message(),
            "the port came back as another module: it runs EG91EXGAR08A05M1G_01.002.01.002 (project EG91EXGA), the "
            "upgrade started on a module of project EC25EFA; name the port by /dev/serial/by-path or by-id so that "
            "it stays with its module");
}

// A URL download that never starts: the UGxx guide's 90 s bound it, other
// families the URC gap; the RG50xQ failure names its note on the first APN.
TEST_F(UploaderTest, AUrlDownloadThatNeverStartsIsBoundedAndNamesTheGuidesNote) {
  auto never_starts = [this](const std::string& c) {
    if (c.rfind("AT+QFOTADL=", 0) == 0) return std::vector<Reply>{{Duration(20), answer("")}};
    return module(c);
  };
  options_.timeouts.urc_gap = Duration(200000);
  FakeModule ugxx(clock_, never_starts);
  auto start = clock_.now();
  auto outcome = upload(ugxx, "ugxx");
  ASSERT_TRUE(outcome.error);
  EXPECT_TRUE(outcome.error->is(upload::UploadErrc::timeout)) << outcome.error->message();
  EXPECT_EQ(outcome.error->message(), "the module did not start the download (no FTPSTART or HTTPSTART) within 90 s "
                                      "(the UGxx (UG95/UG96) guide's maximum)");
  EXPECT_LT(clock_.now() - start, Duration(100000));

  options_.timeouts.urc_gap = Duration(30000);
  FakeModule rg50xq(clock_, never_starts);
  start = clock_.now();
  outcome = upload(rg50xq, "rg50xq");
  ASSERT_TRUE(outcome.error);
  EXPECT_TRUE(outcome.error->is(upload::UploadErrc::timeout)) << outcome.error->message();
  EXPECT_NE(outcome.error->message().find("did not start the download (no FTPSTART or HTTPSTART) within 30 s "
                                          "(--timeout urc=30); RG50xQ note: the first APN is used"),
            std::string::npos)
      << outcome.error->message();
  EXPECT_LT(clock_.now() - start, Duration(40000));
}

// UGxx guide: "you need to activate a PDP context ID for FTP/HTTP
// connection ... configured by AT+QCFG="fota/cid"". The uploader reads the
// context and its APN first and warns when none is set; other families'
// guides are silent, and nothing is asked of them.
TEST_F(UploaderTest, UgxxHasItsPdpContextReadBeforeADownload) {
  for (const std::string apn : {"", "internet"}) {
    version_ = kV1;
    FakeModule fake(clock_, [&](const std::string& c) {
      if (c == "AT+QCFG=\"fota/cid\"") return std::vector<Reply>{{Duration(10), answer("+QCFG: \"fota/cid\",3")}};
      if (c == "AT+QICSGP=3")
        return std::vector<Reply>{{Duration(10), answer("+QICSGP: 1,\"" + apn + "\",\"\",\"\",1")}};
      return module(c);
    });
    FakeModule::Ports ports(fake);
    std::vector<std::string> warnings, steps;
    auto outcome = upload::run_upload(
        options_, *registry_->find("ugxx"), *registry_,
        [&](const upload::UploadEvent& e) {
          if (e.kind == upload::UploadEvent::Kind::warning) warnings.push_back(e.text);
          if (e.kind == upload::UploadEvent::Kind::step) steps.push_back(e.text);
        },
        {}, clock_, ports);
    ASSERT_FALSE(outcome.error) << outcome.error->message();
    const auto sent = fake.commands();
    const auto cid_read = std::find(sent.begin(), sent.end(), "AT+QCFG=\"fota/cid\"");
    ASSERT_NE(cid_read, sent.end());
    EXPECT_EQ(*(cid_read + 1), "AT+QICSGP=3");
    EXPECT_EQ((cid_read + 2)->rfind("AT+QFOTADL=", 0), 0u);
    std::string said;
    for (const auto& w : warnings)
      said += w + "\n";
    if (apn.empty()) {
      EXPECT_NE(said.find("context 3 (AT+QCFG=\"fota/cid\") has no APN: give --apn"), std::string::npos) << said;
    } else {
      EXPECT_EQ(said.find("APN"), std::string::npos) << said;
      EXPECT_NE(std::find(steps.begin(), steps.end(), "the module downloads over PDP context 3, APN internet"),
                steps.end());
    }
  }
  version_ = kV1;
  FakeModule ec2x(clock_, [this](const std::string& c) { return module(c); });
  auto outcome = upload(ec2x, "ec2x");
  ASSERT_FALSE(outcome.error) << outcome.error->message();
  for (const auto& c : ec2x.commands())
    EXPECT_TRUE(c.find("QICSGP") == std::string::npos && c.find("fota/cid") == std::string::npos) << c;
}

} // namespace
} // namespace dfota::test
