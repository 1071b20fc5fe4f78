#include "sim/replay/recording.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "sim/errors.hpp"

namespace dfota::sim {
namespace {

using Kind = ReplayStep::Kind;

Expected<Recording> read(const std::string& log, std::string_view port = "") {
  std::istringstream in(log);
  return read_recording(in, port);
}

const char* kQfuplSession = R"(2026-12-03T20:32:21.311Z - dfota 0.1.0 upload u.zip to 1 module(s), method auto
2026-12-03T20:32:21.318Z [/dev/ttyUSB2] - opening /dev/ttyUSB2
2026-12-03T20:32:21.318Z [/dev/ttyUSB2] > AT
2026-12-03T20:32:21.332Z [/dev/ttyUSB2] < OK
2026-12-03T20:32:21.333Z [/dev/ttyUSB2] > AT+QFUPL="u.zip",25267,10,1
2026-12-03T20:32:21.334Z [/dev/ttyUSB2] < CONNECT
2026-12-03T20:32:21.334Z [/dev/ttyUSB2] - sending 25267 bytes
2026-12-03T20:32:21.336Z [/dev/ttyUSB2] < +QFUPL: 25267,1532
2026-12-03T20:32:21.336Z [/dev/ttyUSB2] < OK
2026-12-03T20:32:21.336Z [/dev/ttyUSB2] > AT+QFOTADL="/data/ufs/u.zip"
2026-12-03T20:32:21.336Z [/dev/ttyUSB2] < OK
2026-12-03T20:32:21.357Z [/dev/ttyUSB2] - port gone: the module reboots
2026-12-03T20:32:23.377Z [/dev/ttyUSB2] - port back
2026-12-03T20:32:23.406Z [/dev/ttyUSB2] < +QIND: "FOTA","START"
2026-12-03T20:32:23.406Z [/dev/ttyUSB2] < (noise: 7 bytes)
2026-12-03T20:32:23.407Z [/dev/ttyUSB2] > (resynchronising after a late answer)
2026-12-03T20:32:23.408Z [/dev/ttyUSB2] < (out of step) OK
2026-12-03T20:32:24.408Z [/dev/ttyUSB2] < (noise: 5000 bytes without an end of line)
a line cut short by a cras
)";

TEST(Recording, TheHostsLinesAreCommandsAndTheModulesAreAnswersWithTheirSpacing) {
  auto recording = read(kQfuplSession);
  ASSERT_TRUE(recording) << recording.error().message();
  EXPECT_EQ(recording->port, "/dev/ttyUSB2");
  const auto& s = recording->steps;
  ASSERT_EQ(s.size(), 15u);
  EXPECT_EQ(s[0].kind, Kind::expect_command);
  EXPECT_EQ(s[0].text, "AT");
  EXPECT_EQ(s[0].log_line, 3);
  EXPECT_EQ(s[1].kind, Kind::send_line);
  EXPECT_EQ(s[1].text, "OK");
  EXPECT_EQ(s[1].after.count(), 14);
  EXPECT_EQ(s[2].text, "AT+QFUPL=\"u.zip\",25267,10,1");
  EXPECT_EQ(s[3].text, "CONNECT");
  // CONNECT to AT+QFUPL opens its data phase: 25267 bytes, 'A' after each KiB.
  EXPECT_EQ(s[4].kind, Kind::receive_data);
  EXPECT_EQ(s[4].size, 25267u);
  EXPECT_TRUE(s[4].ack);
  EXPECT_EQ(s[5].text, "+QFUPL: 25267,1532");
  EXPECT_EQ(s[7].kind, Kind::expect_command);
  EXPECT_EQ(s[8].text, "OK") << "OK to a local AT+QFOTADL opens no data phase";
  EXPECT_EQ(s[9].kind, Kind::port_gone);
  EXPECT_EQ(s[9].after.count(), 21);
  EXPECT_EQ(s[10].kind, Kind::port_back);
  EXPECT_EQ(s[10].after.count(), 2020);
  EXPECT_EQ(s[11].text, "+QIND: \"FOTA\",\"START\"");
  EXPECT_EQ(s[12].kind, Kind::send_line);
  EXPECT_EQ(s[12].text, std::string(7, '\xFE'));
  EXPECT_EQ(s[13].kind, Kind::send_line) << "the host's remarks are not commands";
  EXPECT_EQ(s[13].text, "OK");
  EXPECT_EQ(s[13].after.count(), 2);
  EXPECT_EQ(s[14].kind, Kind::send_bytes);
  EXPECT_EQ(s[14].text.size(), 5000u);
  EXPECT_EQ(s[14].after.count(), 1000);
}

TEST(Recording, FileAndComModesOpenTheirDataPhases) {
  auto recording = read("2026-12-03T10:00:00.000Z [p] > AT+QFOTADL=\"FILE:4884688\"\n"
                        "2026-12-03T10:00:00.010Z [p] < OK\n"
                        "2026-12-03T10:00:00.020Z [p] < +QIND: \"FOTA\",\"FILESTART\"\n"
                        "2026-12-03T10:00:09.000Z [p] > AT+QFOTADL=\"COM\",345200,5\n"
                        "2026-12-03T10:00:09.010Z [p] < CONNECT\n"
                        "2026-12-03T10:00:19.000Z [p] < +QFOTADL: 345200,4c1e\n"
                        "2026-12-03T10:00:19.001Z [p] > AT+QFUPL=\"x.zip\",100\n"
                        "2026-12-03T10:00:19.002Z [p] < +CME ERROR: 407\n"
                        "2026-12-03T10:00:19.003Z [p] > +++\n");
  ASSERT_TRUE(recording) << recording.error().message();
  const auto& s = recording->steps;
  ASSERT_EQ(s.size(), 11u);
  EXPECT_EQ(s[1].kind, Kind::send_line) << "FILE mode: data follows the FILESTART report, not the OK";
  EXPECT_EQ(s[2].text, "+QIND: \"FOTA\",\"FILESTART\"");
  EXPECT_EQ(s[3].kind, Kind::receive_data);
  EXPECT_EQ(s[3].size, 4884688u);
  EXPECT_FALSE(s[3].ack);
  EXPECT_EQ(s[6].kind, Kind::receive_data);
  EXPECT_EQ(s[6].size, 345200u);
  EXPECT_EQ(s[9].kind, Kind::send_line) << "a refused AT+QFUPL opens nothing";
  EXPECT_EQ(s[10].kind, Kind::expect_escape);
}

TEST(Recording, APortIsChosenWhenTheLogHasSeveral) {
  const std::string fleet = "2026-12-03T10:00:00.000Z [/dev/ttyUSB2] > AT\n"
                            "2026-12-03T10:00:00.000Z [/dev/ttyUSB6] > ATI\n"
                            "2026-12-03T10:00:00.001Z [/dev/ttyUSB2] < OK\n";
  auto unchosen = read(fleet);
  ASSERT_FALSE(unchosen);
  EXPECT_EQ(unchosen.error().code(), make_error_code(SimErrc::bad_recording));
  EXPECT_NE(unchosen.error().message().find("/dev/ttyUSB2, /dev/ttyUSB6"), std::string::npos);
  auto chosen = read(fleet, "/dev/ttyUSB6");
  ASSERT_TRUE(chosen);
  ASSERT_EQ(chosen->steps.size(), 1u);
  EXPECT_EQ(chosen->steps[0].text, "ATI");
  EXPECT_FALSE(read(fleet, "/dev/ttyUSB9"));
}

TEST(Recording, LogsWithoutACommandAreRefused) {
  for (const char* log :
       {"", "hello\n", "2026-12-03T10:00:00.000Z - dfota upload\n", "2026-12-03T10:00:00.000Z [p] < RDY\n",
        "2026-12-03T10:00:00.000Z [p] * port up\n2026-12-03T10:00:00.000Z [p] < AT\n"}) {
    auto recording = read(log);
    ASSERT_FALSE(recording) << log;
    EXPECT_EQ(recording.error().code(), make_error_code(SimErrc::bad_recording)) << log;
  }
}

TEST(Recording, CommandsMatchWithTheRedactedPasswordAsAnyText) {
  EXPECT_TRUE(command_matches("AT+QGMR", "AT+QGMR"));
  EXPECT_TRUE(command_matches("AT+QGMR", "at+QGMR"));
  EXPECT_FALSE(command_matches("AT+QGMR", "AT+QGMR2"));
  EXPECT_FALSE(command_matches("AT+QGMR", "AT+CGMR"));
  EXPECT_FALSE(command_matches("AT", ""));
  EXPECT_TRUE(command_matches("AT+QFOTADL=\"ftp://u:***@h:21/x.zip\"", "AT+QFOTADL=\"ftp://u:secret@h:21/x.zip\""));
  EXPECT_TRUE(command_matches("AT+QFOTADL=\"ftp://u:***@h:21/x.zip\"", "AT+QFOTADL=\"ftp://u:@h:21/x.zip\""));
  EXPECT_TRUE(command_matches("AT+QFOTADL=\"ftp://u:***@h:21/x.zip\"", "AT+QFOTADL=\"ftp://u:a@b@h:21/x.zip\""));
  EXPECT_FALSE(command_matches("AT+QFOTADL=\"ftp://u:***@h:21/x.zip\"", "AT+QFOTADL=\"ftp://v:s@h:21/x.zip\""));
  EXPECT_FALSE(command_matches("AT+QFOTADL=\"ftp://u:***@h:21/x.zip\"", "AT+QFOTADL=\"ftp://u:s@h:21/y.zip\""));
}

} // namespace
} // namespace dfota::sim
