// The simulator's answers as a host sees them on the wire, command by
// command, in each family's dialect.
#include "sim/simulator.hpp"

#include <gtest/gtest.h>

#include "at/channel.hpp"
#include "core/hash.hpp"
#include "support/sim_harness.hpp"
#include "transport/serial_port.hpp"

namespace dfota::sim {
namespace {

using transport::Duration;

class Wire : public ::testing::Test {
protected:
  void open(const std::string& profile, std::function<void(SimOptions&)> tweak = {}) {
    auto options = harness_.options(profile);
    if (tweak) tweak(options);
    ASSERT_TRUE(harness_.start(options)) << harness_.log();
    host_takes_part_ = harness_.take_part_as_host();
    auto port = harness_.ports().open(harness_.link().string(), transport::SerialOptions{},
                                      clock().deadline_in(Duration(1000)), clock());
    ASSERT_TRUE(port) << port.error().message();
    port_ = std::move(*port);
    channel_.emplace(*port_, clock());
  }
  at::Response ask(const std::string& command) {
    auto r = channel_->command(command, Duration(3000));
    EXPECT_TRUE(r) << command << ": " << (r ? "" : r.error().message());
    return r ? *r : at::Response{};
  }
  // Raw bytes until `count` arrived or 1 s passed.
  std::string raw(std::size_t count) {
    std::string out;
    const auto deadline = clock().deadline_in(Duration(1000));
    while (out.size() < count) {
      // Never more than asked for: what follows (a final answer) stays for the channel.
      std::uint8_t buffer[256];
      auto n =
          channel_->read_data(std::span<std::uint8_t>(buffer, std::min(sizeof buffer, count - out.size())), deadline);
      if (!n) break;
      out.append(reinterpret_cast<char*>(buffer), *n);
    }
    return out;
  }
  test::SimHarness harness_;
  transport::Clock& clock() { return harness_.clock(); }
  std::unique_ptr<test::SimHarness::HostTakesPart> host_takes_part_;
  std::unique_ptr<transport::Transport> port_;
  std::optional<at::Channel> channel_;
};

TEST_F(Wire, EchoIdentityAndErrors) {
  open("ec2x");
  // Echo is on at start, as on real modules.
  ASSERT_TRUE(port_->write_all(as_bytes("AT\r"), clock().deadline_in(Duration(1000))));
  EXPECT_EQ(raw(9), "AT\r\r\nOK\r\n");
  EXPECT_TRUE(ask("ATE0").ok());
  auto ati = ask("ATI");
  EXPECT_EQ(ati.info, (std::vector<std::string>{"Quectel", "EC25", "Revision: EC25EFAR06A06M4G"}));
  EXPECT_EQ(ask("AT+QGMR").info, std::vector<std::string>{"EC25EFAR06A06M4G_01.003.01.003"});
  EXPECT_EQ(ask("AT+CGMR").info, std::vector<std::string>{"EC25EFAR06A06M4G"});
  EXPECT_EQ(ask("AT+GMM").info, std::vector<std::string>{"EC25"});
  EXPECT_EQ(ask("AT+QFOTADL=?").final.kind, at::LineKind::ok);
  EXPECT_EQ(ask("AT+NOSUCH").final.kind, at::LineKind::error);
  // EC2x offers no COM or FILE mode, and takes no https URL.
  EXPECT_EQ(ask("AT+QFOTADL=\"COM\",100,5").final.kind, at::LineKind::error);
  EXPECT_EQ(ask("AT+QFOTADL=\"FILE:100\"").final.kind, at::LineKind::error);
  EXPECT_EQ(ask("AT+QFOTADL=\"https://127.0.0.1/u.zip\"").final.kind, at::LineKind::error);
  EXPECT_EQ(ask("AT+QFOTADL=\"http://127.0.0.1/" + std::string(260, 'a') + "\"").final.kind, at::LineKind::error);
  EXPECT_EQ(ask("AT+QFOTADL=\"/data/ufs/missing.zip\"").final.kind, at::LineKind::error);
  EXPECT_TRUE(ask("AT+QCFG=\"fota/cid\",2").ok());
  EXPECT_EQ(ask("AT+QCFG=\"fota/cid\"").info, std::vector<std::string>{"+QCFG: \"fota/cid\",2"});
  EXPECT_TRUE(ask("AT+QICSGP=1,1,\"UNINET\",\"\",\"\",1").ok());
  EXPECT_EQ(ask("AT+QICSGP=1").info, std::vector<std::string>{"+QICSGP: 1,\"UNINET\",\"\",\"\",1"});
}

TEST_F(Wire, FileCommandsWithTheirCmeCodes) {
  open("rg50xq", [](SimOptions& o) { o.fs_size = 4096; });
  ASSERT_TRUE(ask("ATE0").ok());
  auto space = ask("AT+QFLDS=\"UFS\"");
  EXPECT_EQ(space.info, std::vector<std::string>{"+QFLDS: 4096,4096"});
  // Upload 2048 bytes in ACK mode: one 'A' per 1024 bytes.
  auto connect = ask("AT+QFUPL=\"a.bin\",2048,5,1");
  ASSERT_EQ(connect.final.kind, at::LineKind::connect);
  Bytes data = test::random_bytes(2048, 7);
  const auto soon = [this] { return clock().deadline_in(Duration(2000)); };
  ASSERT_TRUE(channel_->write_data(ByteSpan(data).first(1024), soon()));
  EXPECT_EQ(raw(1), "A");
  ASSERT_TRUE(channel_->write_data(ByteSpan(data).subspan(1024), soon()));
  EXPECT_EQ(raw(1), "A");
  auto done = channel_->wait_final("AT+QFUPL=\"a.bin\",2048,5,1", soon());
  ASSERT_TRUE(done);
  EXPECT_TRUE(done->ok());
  EXPECT_EQ(done->info, std::vector<std::string>{"+QFUPL: 2048," + checksum_hex(module_checksum(data))});
  EXPECT_EQ(ask("AT+QFLST=\"*\"").info, std::vector<std::string>{"+QFLST: \"a.bin\",2048"});
  EXPECT_EQ(ask("AT+QFUPL=\"a.bin\",10").final.code, 407);   // exists
  EXPECT_EQ(ask("AT+QFUPL=\"b.bin\",3000").final.code, 420); // no space
  EXPECT_EQ(ask("AT+QFUPL=\"c.bin\",9000").final.code, 423); // larger than the drive
  EXPECT_EQ(ask("AT+QFUPL=\"" + std::string(81, 'n') + "\",10").final.code, 406);
  EXPECT_EQ(ask("AT+QFDEL=\"nothere\"").final.code, 405);
  EXPECT_TRUE(ask("AT+QFDEL=\"a.bin\"").ok());
  EXPECT_TRUE(ask("AT+QFLST=\"*\"").info.empty());
  // A timeout leaves what arrived; +CME ERROR: 421 after the report.
  ASSERT_EQ(ask("AT+QFUPL=\"d.bin\",100,1").final.kind, at::LineKind::connect);
  ASSERT_TRUE(channel_->write_data(as_bytes("0123456789"), soon()));
  auto late = channel_->wait_final("AT+QFUPL=\"d.bin\",100,1", clock().deadline_in(Duration(3000)));
  ASSERT_TRUE(late);
  EXPECT_EQ(late->final.code, 421);
  EXPECT_EQ(late->info.at(0).rfind("+QFUPL: 10,", 0), 0u);
  EXPECT_EQ(ask("AT+QFLST=\"d.bin\"").info, std::vector<std::string>{"+QFLST: \"d.bin\",10"});
  // Verbose errors with AT+CMEE=2.
  EXPECT_TRUE(ask("AT+CMEE=2").ok());
  auto verbose = ask("AT+QFDEL=\"nothere\"");
  EXPECT_EQ(verbose.final.kind, at::LineKind::cme_error);
  EXPECT_EQ(verbose.final.code, -1) << verbose.final.text;
}

TEST_F(Wire, ComModeReportsSizeAndChecksumAndEndsEarlyOnEscape) {
  open("ugxx", [](SimOptions& o) { o.port_kind = PortKind::uart; });
  ASSERT_TRUE(ask("ATE0").ok());
  ASSERT_EQ(ask("AT+QFOTADL=\"COM\",345200,5").final.kind, at::LineKind::connect);
  Bytes part = test::random_bytes(5000, 3);
  ASSERT_TRUE(channel_->write_data(part, clock().deadline_in(Duration(2000))));
  ASSERT_TRUE(channel_->escape_data_mode(Duration(250)));
  auto r = channel_->wait_final("AT+QFOTADL=\"COM\",345200,5", clock().deadline_in(Duration(3000)));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok());
  // The UGxx guide prints a space after the comma: "+QFOTADL: 345200, b34a".
  EXPECT_EQ(r->info, std::vector<std::string>{"+QFOTADL: 5000, " + checksum_hex(module_checksum(part))});
  // The module then tries the (incomplete) package: START, END with an error
  // (the UGxx guide names no code: the simulator's own 1), RDY.
  std::vector<std::string> urcs;
  while (urcs.empty() || urcs.back() != "RDY" || urcs.size() < 3) { // RDY of the start may come first
    auto urc = channel_->next_urc(clock().deadline_in(Duration(3000)));
    ASSERT_TRUE(urc) << harness_.log();
    urcs.push_back(*urc);
  }
  EXPECT_NE(std::find(urcs.begin(), urcs.end(), "+QIND: \"FOTA\",\"START\""), urcs.end());
  EXPECT_EQ(urcs[urcs.size() - 2], "+QIND: \"FOTA\",\"END\",1");
  EXPECT_EQ(ask("AT+QGMR").info, std::vector<std::string>{"EC25EFAR06A06M4G_01.003.01.003"});
}

} // namespace
} // namespace dfota::sim
