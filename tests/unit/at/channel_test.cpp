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

} // namespace
} // namespace dfota::at
