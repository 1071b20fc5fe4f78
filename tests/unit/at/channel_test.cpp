#include "at/channel.hpp"

#include <gtest/gtest.h>

#include "at/responses.hpp"
#include "support/scripted_transport.hpp"

namespace dfota::at {
namespace {

using transport::Duration;

class ChannelTest : public ::testing::Test {
protected:
  transport::ManualClock clock_;
  test::ScriptedTransport port_{clock_};
  Channel channel_{port_, clock_};
};

TEST_F(ChannelTest, CollectsInformationAndKeepsUrcsThatArriveInBetween) {
  port_.then(Duration(5), "AT+QGMR\r\r\n+QIND: \"FOTA\",\"UPDATING\",3\r\n");
  port_.then(Duration(5), "\r\nEC25EFAR06A06M4G_01.003.01.003\r\n\r\nOK\r\n");
  auto r = channel_.command("AT+QGMR", Duration(300));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(r->ok());
  EXPECT_EQ(r->info, std::vector<std::string>{"EC25EFAR06A06M4G_01.003.01.003"});
  EXPECT_EQ(port_.written(), "AT+QGMR\r");
  ASSERT_TRUE(channel_.has_urc());
  auto urc = channel_.next_urc(clock_.deadline_in(Duration(1)));
  ASSERT_TRUE(urc);
  EXPECT_EQ(*urc, "+QIND: \"FOTA\",\"UPDATING\",3");
}

TEST_F(ChannelTest, CmeErrorIsAnAnswerNotAFailure) {
  port_.then(Duration(1), "\r\n+QFOTADL: 1024, 1f3a\r\n\r\n+CME ERROR: 421\r\n");
  auto r = channel_.wait_final("AT+QFOTADL=\"COM\",345200,5", clock_.deadline_in(Duration(6000)));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->final.kind, LineKind::cme_error);
  EXPECT_EQ(r->final.code, 421);
  auto report = parse_upload_report(r->info.at(0), "+QFOTADL");
  ASSERT_TRUE(report);
  EXPECT_EQ(report->size, 1024u);
}

TEST_F(ChannelTest, TimesOutOnTheInjectedClockWithoutSleeping) {
  port_.then(Duration(5000), "\r\nOK\r\n");
  const auto start = clock_.now();
  auto r = channel_.command("AT", Duration(300));
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().is(transport::TransportErrc::timeout));
  EXPECT_EQ(clock_.now() - start, Duration(300));
}

TEST_F(ChannelTest, BytesAfterConnectAreDataAndNoiseIsCounted) {
  port_.then(Duration(1), "\r\n\x93\xfe\r\n\r\nCONNECT\r\nAA");
  auto r = channel_.command("AT+QFUPL=\"a.zip\",2048,5,1", Duration(300));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->final.kind, LineKind::connect);
  EXPECT_EQ(channel_.noise_lines(), 1);
  std::uint8_t acks[4];
  auto n = channel_.read_data(acks, clock_.deadline_in(Duration(10)));
  ASSERT_TRUE(n);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(acks), *n), "AA");
}

TEST_F(ChannelTest, EscapeKeepsTheGuardTimes) {
  const auto start = clock_.now();
  ASSERT_TRUE(channel_.escape_data_mode(Duration(1000)));
  EXPECT_EQ(port_.written(), "+++");
  EXPECT_EQ(clock_.now() - start, Duration(2000));
}

TEST_F(ChannelTest, APortThatGoesAwayIsReported) {
  port_.then(Duration(1), "\r\n+QIND: \"FOTA\",\"START\"\r\n");
  port_.then_close();
  auto first = channel_.next_urc(clock_.deadline_in(Duration(100)));
  ASSERT_TRUE(first);
  auto second = channel_.next_urc(clock_.deadline_in(Duration(100)));
  ASSERT_FALSE(second);
  EXPECT_TRUE(second.error().is(transport::TransportErrc::closed));
}

// A module that never stops sending bytes without an end of line, and a
// transport that hands them over even after the deadline (as FdTransport
// does with bytes already waiting): 4 KiB per read, a millisecond each.
class Firehose final : public transport::Transport {
public:
  explicit Firehose(transport::ManualClock& clock) : clock_(clock) {}
  Expected<std::size_t> read_some(std::span<std::uint8_t> buffer, transport::TimePoint) override {
    clock_.advance(Duration(1));
    ++reads_;
    std::fill(buffer.begin(), buffer.end(), static_cast<std::uint8_t>('x'));
    return buffer.size();
  }
  Status write_all(ByteSpan, transport::TimePoint) override { return {}; }
  Status drain(transport::TimePoint) override { return {}; }
  void discard_input() override {}
  const std::string& name() const override { return name_; }
  int reads() const { return reads_; }

private:
  transport::ManualClock& clock_;
  int reads_ = 0;
  std::string name_ = "firehose";
};

TEST(ChannelAgainstAHostileModule, DeadlinesHoldWhileBytesKeepArrivingAndInputStaysBounded) {
  transport::ManualClock clock;
  Firehose port(clock);
  Channel channel(port, clock);
  const auto started = clock.now();
  auto answer = channel.command("AT+QGMR", Duration(1000));
  ASSERT_FALSE(answer);
  EXPECT_TRUE(answer.error().is(transport::TransportErrc::timeout)) << answer.error().message();
  EXPECT_LE(clock.now() - started, Duration(1001)) << "the command ran past its deadline";
  EXPECT_LE(port.reads(), 1001);
  EXPECT_GT(channel.noise_lines(), 0) << "endless text without an end of line is noise";

  auto urc = channel.next_urc(clock.deadline_in(Duration(500)));
  ASSERT_FALSE(urc);
  EXPECT_TRUE(urc.error().is(transport::TransportErrc::timeout));
  std::uint8_t byte = 0;
  auto late = channel.read_data({&byte, 1}, clock.now());
  EXPECT_FALSE(late) << "read_data past its deadline";
}

// A module just after boot answers its first AT 1.5 s late. Without
// resynchronising, that OK would answer ATI, ATI's lines the next command,
// and so on: every answer one command off.
TEST_F(ChannelTest, ALateAnswerNeverAnswersTheNextCommand) {
  port_.then(Duration(1500), "\r\nOK\r\n");               // the first AT's, late (after the quiet wait)
  port_.then(Duration(40), "\r\n+CMEE: 1\r\n\r\nOK\r\n"); // the probe's, right behind it
  port_.then(Duration(400), "\r\nQuectel\r\nEC25\r\nRevision: EC25EFAR06A06M4G\r\n\r\nOK\r\n"); // ATI's
  auto first = channel_.command("AT", Duration(1000));
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().message(), "scripted: no answer to AT within 1 s");
  EXPECT_FALSE(channel_.in_step());
  auto ati = channel_.command("ATI", Duration(1000));
  ASSERT_TRUE(ati) << ati.error().message();
  EXPECT_TRUE(ati->ok());
  EXPECT_EQ(ati->info, (std::vector<std::string>{"Quectel", "EC25", "Revision: EC25EFAR06A06M4G"}));
  EXPECT_TRUE(channel_.in_step());
  EXPECT_EQ(port_.written(), "AT\rAT+CMEE?\rATI\r");
}

TEST_F(ChannelTest, AStaleResultAfterTheProbesAnswerMeansAnotherRound) {
  port_.then(Duration(1500), "\r\n+CMEE: 1\r\n\r\nOK\r\n"); // a late answer that looks like the probe's
  port_.then(Duration(100), "\r\nERROR\r\n");               // and a further stale final: not in step yet
  port_.then(Duration(700), "\r\n+CMEE: 1\r\n\r\nOK\r\n");  // the second probe's answer
  port_.then(Duration(400), "\r\nOK\r\n");                  // the command's own
  ASSERT_FALSE(channel_.command("AT+CMEE?", Duration(1000)));
  auto r = channel_.command("ATE0", Duration(1000));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(r->ok());
  EXPECT_EQ(port_.written(), "AT+CMEE?\rAT+CMEE?\rAT+CMEE?\rATE0\r");
}

TEST_F(ChannelTest, ReportsThatArriveWhileResynchronisingAreKept) {
  port_.then(Duration(1100), "\r\n+QIND: \"FOTA\",\"UPDATING\",40\r\n\r\nOK\r\n");
  port_.then(Duration(350), "\r\n+CMEE: 1\r\n\r\nOK\r\n");
  port_.then(Duration(400), "\r\nEC25EFAR06A06M4G_01.003.01.003\r\n\r\nOK\r\n");
  ASSERT_FALSE(channel_.command("AT+QGMR", Duration(1000)));
  auto r = channel_.command("AT+QGMR", Duration(1000));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->info, std::vector<std::string>{"EC25EFAR06A06M4G_01.003.01.003"});
  ASSERT_TRUE(channel_.has_urc());
  EXPECT_EQ(*channel_.next_urc(clock_.now()), "+QIND: \"FOTA\",\"UPDATING\",40");
}

TEST_F(ChannelTest, AModuleThatStaysOutOfStepIsATimeoutNamingIt) {
  // Every AT gets two finals: never a clean answer.
  port_.then(Duration(1200), "\r\nOK\r\n");
  for (int i = 0; i < 20; ++i) {
    port_.then(Duration(350), "\r\nOK\r\n");
    port_.then(Duration(50), "\r\nOK\r\n");
  }
  ASSERT_FALSE(channel_.command("AT", Duration(1000)));
  const auto start = clock_.now();
  auto r = channel_.command("ATI", Duration(1000));
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().is(transport::TransportErrc::timeout));
  EXPECT_NE(r.error().message().find("out of step"), std::string::npos) << r.error().message();
  EXPECT_LE(clock_.now() - start, Duration(1000) + Channel::kResyncTime);
  EXPECT_FALSE(channel_.in_step());
}

} // namespace
} // namespace dfota::at
