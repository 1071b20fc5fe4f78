// Every family x every method its guide describes: the uploader takes the
// simulated module from sample v1 to v2, and the module's firmware
// directory then equals v2. In memory on virtual time, and one family each
// over a real pseudo-terminal.
#include <gtest/gtest.h>

#include "support/loopback_servers.hpp"
#include "support/sim_harness.hpp"
#include "upload/package_to_send.hpp"

namespace dfota::test {
namespace {

struct Case {
  const char* profile;
  const char* method; // com, file, qfupl, ftp, http, https
  sim::PortKind port = sim::PortKind::usb;
  SimHarness::Wire wire = SimHarness::Wire::memory;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.profile << "/" << c.method << (c.port == sim::PortKind::uart ? "/uart" : "")
      << (c.wire == SimHarness::Wire::pty ? "/pty" : "");
}

std::string name_of(const ::testing::TestParamInfo<Case>& info) {
  return std::string(info.param.profile) + "_" + info.param.method +
         (info.param.port == sim::PortKind::uart ? "_uart" : "") +
         (info.param.wire == SimHarness::Wire::pty ? "_pty" : "");
}

// Servers shared by the URL cases.
class Servers {
public:
  static Servers& get() {
    static Servers servers;
    return servers;
  }
  ScratchDir dir;
  fs::path root = dir / "www";
  std::unique_ptr<FtpServer> ftp;
  std::unique_ptr<HttpServer> http;
  std::unique_ptr<HttpServer> https;

private:
  Servers() {
    fs::create_directories(root);
    fs::copy_file(sample_packages().forward, root / "update.zip");
    ftp = std::make_unique<FtpServer>(root, dir / "ftp");
    http = std::make_unique<HttpServer>(root, dir / "http", false);
    https = std::make_unique<HttpServer>(root, dir / "https", true);
  }
};

class Upgrade : public ::testing::TestWithParam<Case> {};

TEST_P(Upgrade, TakesTheModuleToTheTargetFirmware) {
  const Case c = GetParam();
  SimHarness harness(c.wire);
  auto sim_options = harness.options(c.profile);
  sim_options.port_kind = c.port;
  auto options = harness.upload_options(sample_packages().forward, c.method);
  const std::string method = c.method;
  if (method == "ftp" || method == "http" || method == "https") {
    auto& servers = Servers::get();
    options.method = "url";
    if (method == "ftp") {
      ASSERT_TRUE(servers.ftp->ready()) << "vsftpd did not start";
      options.url = servers.ftp->url("update.zip");
    } else if (method == "http") {
      ASSERT_TRUE(servers.http->ready());
      options.url = servers.http->url("update.zip");
    } else {
      ASSERT_TRUE(servers.https->ready());
      options.url = servers.https->url("update.zip");
      sim_options.ca_file = servers.https->ca_file();
    }
    options.apn = "internet";
    options.cid = 1;
  }
  ASSERT_TRUE(harness.start(sim_options)) << harness.log();
  std::vector<std::string> events;
  auto outcome = harness.upload(options, c.profile, [&](const upload::UploadEvent& e) { events.push_back(e.text); });
  ASSERT_TRUE(harness.stop());
  ASSERT_FALSE(outcome.error) << outcome.error->message() << "\n" << harness.log();
  EXPECT_TRUE(outcome.report.ok);
  EXPECT_EQ(outcome.report.module_version_before, "EC25EFAR06A06M4G_01.003.01.003");
  EXPECT_EQ(outcome.report.module_version_after, "EC25EFAR06A07M4G_01.004.01.004");
  std::string difference;
  EXPECT_TRUE(same_tree(harness.firmware(), sample_firmware("v2"), &difference)) << difference;
  if (method == "com" || method == "qfupl" || method == "file") {
    EXPECT_EQ(outcome.report.upload_bytes, fs::file_size(sample_packages().forward));
  }
  // No password in anything the uploader says.
  for (const auto& e : events)
    EXPECT_EQ(e.find("secret"), std::string::npos) << e;
  EXPECT_EQ(outcome.report.error_message.find("secret"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(EveryFamilyAndMethod, Upgrade,
                         ::testing::Values(Case{"ugxx", "com"}, Case{"ugxx", "com", sim::PortKind::uart},
                                           Case{"ugxx", "ftp"}, Case{"ugxx", "http"}, Case{"ec2x", "qfupl"},
                                           Case{"ec2x", "ftp"}, Case{"ec2x", "http"}, Case{"ec200t", "file"},
                                           Case{"ec200t", "ftp"}, Case{"ec200t", "http"}, Case{"ec200t", "https"},
                                           Case{"rg50xq", "qfupl"}, Case{"rg50xq", "ftp"}, Case{"rg50xq", "http"},
                                           Case{"rg50xq", "https"}),
                         name_of);

// One family each over a real pseudo-terminal, on real time: what the
// in-memory port stands for (termios, hang-ups, the link's symlink).
constexpr auto kPty = SimHarness::Wire::pty;
INSTANTIATE_TEST_SUITE_P(OverARealTerminal, Upgrade,
                         ::testing::Values(Case{"ugxx", "com", sim::PortKind::usb, kPty},
                                           Case{"ec2x", "qfupl", sim::PortKind::usb, kPty},
                                           Case{"ec200t", "file", sim::PortKind::uart, kPty},
                                           Case{"rg50xq", "http", sim::PortKind::usb, kPty}),
                         name_of);

TEST(Upgrade, AndBackWithTheReversePackage) {
  SimHarness harness;
  ASSERT_TRUE(harness.start(harness.options("rg50xq")));
  auto forward = harness.upload(harness.upload_options(sample_packages().forward), "rg50xq");
  ASSERT_FALSE(forward.error) << forward.error->message();
  auto back = harness.upload(harness.upload_options(sample_packages().reverse), "rg50xq");
  ASSERT_FALSE(back.error) << back.error->message() << "\n" << harness.log();
  ASSERT_TRUE(harness.stop());
  EXPECT_EQ(back.report.module_version_after, "EC25EFAR06A06M4G_01.003.01.003");
  EXPECT_TRUE(same_tree(harness.firmware(), sample_firmware("v1")));
}

// A fleet's package is read and examined once: a module's run (pre-flight
// included) needs nothing more of the file.
TEST(Upgrade, TheLoadedPackageIsAllAModulesRunReads) {
  SimHarness harness;
  ASSERT_TRUE(harness.start(harness.options("ec2x")));
  const fs::path package = harness.dir() / "update-v1-to-v2.zip";
  fs::copy_file(sample_packages().forward, package);
  auto options = harness.upload_options(package, "qfupl");
  auto loaded = upload::load_package_to_send(package);
  ASSERT_TRUE(loaded) << loaded.error().message();
  options.loaded = *loaded;
  fs::remove(package);
  auto outcome = harness.upload(options, "ec2x");
  ASSERT_TRUE(harness.stop());
  ASSERT_FALSE(outcome.error) << outcome.error->message() << "\n" << harness.log();
  EXPECT_TRUE(same_tree(harness.firmware(), sample_firmware("v2")));
  bool payloads_checked = false;
  for (const auto& f : outcome.report.findings)
    payloads_checked |= f.rule == "payloads" && f.verdict == validate::Verdict::pass;
  EXPECT_TRUE(payloads_checked);
}

// The harness's ports, reported to be on `kind` (they tell nothing).
class PortsOfKind final : public transport::PortOpener {
public:
  PortsOfKind(transport::PortOpener& ports, transport::PortKind kind) : ports_(ports), kind_(kind) {}
  Expected<std::unique_ptr<transport::Transport>> open(const std::string& spec, const transport::SerialOptions& o,
                                                       transport::TimePoint deadline,
                                                       transport::Clock& clock) override {
    return ports_.open(spec, o, deadline, clock);
  }
  Expected<std::unique_ptr<transport::Transport>> reopen_when_back(const std::string& spec,
                                                                   const transport::SerialOptions& o,
                                                                   transport::TimePoint deadline,
                                                                   transport::Clock& clock) override {
    return ports_.reopen_when_back(spec, o, deadline, clock);
  }
  std::optional<transport::PortKind> kind_of(const std::string&) const override { return kind_; }

private:
  transport::PortOpener& ports_;
  transport::PortKind kind_;
};

// FILE mode with --flow-control rtscts (EC200T guide): AT+IFC=2,2 on a
// UART, AT+QCFG="usbifc",2,2 on USB, each read back before a byte is sent;
// where the host cannot tell, both. The simulated module paces the link by
// the setting of the port it is reached on.
TEST(FlowControl, IsSetByTheCommandOfThePortAndReadBack) {
  struct PortCase {
    std::optional<transport::PortKind> host_sees;
    sim::PortKind module_on;
    std::vector<std::string> sent, not_sent;
  };
  const PortCase cases[] = {
      {transport::PortKind::uart, sim::PortKind::uart, {"AT+IFC=2,2", "AT+IFC?"}, {"usbifc"}},
      {transport::PortKind::usb, sim::PortKind::usb, {"AT+QCFG=\"usbifc\",2,2", "AT+QCFG=\"usbifc\""}, {"AT+IFC"}},
      {std::nullopt, sim::PortKind::usb, {"AT+IFC=2,2", "AT+QCFG=\"usbifc\",2,2"}, {}},
  };
  for (const PortCase& c : cases) {
    SimHarness harness;
    auto sim_options = harness.options("ec200t");
    sim_options.port_kind = c.module_on;
    ASSERT_TRUE(harness.start(sim_options)) << harness.log();
    auto options = harness.upload_options(sample_packages().forward, "file");
    options.serial.flow_control = transport::FlowControl::rtscts;
    std::string sent;
    at::ConversationLog log = [&](at::Direction d, std::string_view line) {
      if (d == at::Direction::to_module) sent += std::string(line) + "\n";
    };
    std::optional<PortsOfKind> ports;
    if (c.host_sees) ports.emplace(harness.ports(), *c.host_sees);
    auto outcome = harness.upload(options, "ec200t", {}, log, ports ? &*ports : nullptr);
    ASSERT_TRUE(harness.stop());
    ASSERT_FALSE(outcome.error) << outcome.error->message() << "\n" << harness.log();
    EXPECT_TRUE(same_tree(harness.firmware(), sample_firmware("v2")));
    for (const auto& line : c.sent)
      EXPECT_NE(sent.find(line), std::string::npos) << line << " not in\n" << sent;
    for (const auto& part : c.not_sent)
      EXPECT_EQ(sent.find(part), std::string::npos) << part << " in\n" << sent;
  }
}

// EC200T guide: "Before sending AT+QFOTADL=<FILE:<length>>, customers need to
// set hardware flow control. If not, the speed ... should be limited": FILE
// mode without it is a warning naming the pace, with it none.
TEST(FlowControl, FileModeWithoutItIsAWarningNamingThePace) {
  for (const bool rtscts : {false, true}) {
    SimHarness harness;
    ASSERT_TRUE(harness.start(harness.options("ec200t"))) << harness.log();
    auto options = harness.upload_options(sample_packages().forward, "file");
    if (rtscts) options.serial.flow_control = transport::FlowControl::rtscts;
    std::vector<std::string> warnings;
    auto outcome = harness.upload(options, "ec200t", [&](const upload::UploadEvent& e) {
      if (e.kind == upload::UploadEvent::Kind::warning) warnings.push_back(e.text);
    });
    ASSERT_TRUE(harness.stop());
    ASSERT_FALSE(outcome.error) << outcome.error->message() << "\n" << harness.log();
    std::string all;
    for (const auto& w : warnings)
      all += w + "\n";
    if (rtscts) {
      EXPECT_EQ(all.find("flow control"), std::string::npos) << all;
    } else {
      EXPECT_NE(all.find("EC200T/UC200T guide asks for hardware flow control before FILE mode"), std::string::npos)
          << all;
      EXPECT_NE(all.find("at 14.2 kB/s, under the guide's 15 kB/s"), std::string::npos) << all;
    }
  }
}

// EC2x guide: a local package "should be started with "/data/ufs/" in UFS or
// should be started with "/media/card/" in SD card". --sd-card puts it on the
// card; families whose guide names no card refuse it before anything is sent.
TEST(SdCard, Ec2xTakesThePackageFromTheCardAndOthersRefuseIt) {
  {
    SimHarness harness;
    ASSERT_TRUE(harness.start(harness.options("ec2x"))) << harness.log();
    auto options = harness.upload_options(sample_packages().forward, "qfupl");
    options.sd_card = true;
    std::string sent;
    at::ConversationLog log = [&](at::Direction d, std::string_view line) {
      if (d == at::Direction::to_module) sent += std::string(line) + "\n";
    };
    auto outcome = harness.upload(options, "ec2x", {}, log);
    ASSERT_TRUE(harness.stop());
    ASSERT_FALSE(outcome.error) << outcome.error->message() << "\n" << harness.log();
    EXPECT_TRUE(same_tree(harness.firmware(), sample_firmware("v2")));
    const std::string name = sample_packages().forward.filename().string();
    for (const std::string& line :
         std::vector<std::string>{"AT+QFLDS=\"SD\"", "AT+QFLST=\"SD:" + name + "\"", "AT+QFDEL=\"SD:" + name + "\"",
                                  "AT+QFUPL=\"SD:" + name + "\"", "AT+QFOTADL=\"/media/card/" + name + "\""})
      EXPECT_NE(sent.find(line), std::string::npos) << line << " not in\n" << sent;
    EXPECT_EQ(sent.find("/data/ufs/"), std::string::npos) << sent;
    // The simulator reads /media/card/ from its card only: the upgrade shows the file was there.
  }
  {
    SimHarness harness;
    ASSERT_TRUE(harness.start(harness.options("rg50xq"))) << harness.log();
    auto options = harness.upload_options(sample_packages().forward, "qfupl");
    options.sd_card = true;
    std::string sent;
    at::ConversationLog log = [&](at::Direction d, std::string_view line) {
      if (d == at::Direction::to_module) sent += std::string(line) + "\n";
    };
    auto outcome = harness.upload(options, "rg50xq", {}, log);
    ASSERT_TRUE(harness.stop());
    ASSERT_TRUE(outcome.error);
    EXPECT_TRUE(outcome.error->is(upload::UploadErrc::not_supported)) << outcome.error->message();
    EXPECT_NE(outcome.error->message().find("names no SD card path"), std::string::npos);
    EXPECT_EQ(sent.find("AT+QFUPL"), std::string::npos) << sent;
    EXPECT_TRUE(same_tree(harness.firmware(), sample_firmware("v1")));
  }
}

} // namespace
} // namespace dfota::test
