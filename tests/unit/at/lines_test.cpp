#include "at/lines.hpp"

#include <gtest/gtest.h>

namespace dfota::at {
namespace {

std::vector<std::string> frame(std::initializer_list<std::string_view> chunks) {
  LineFramer framer;
  std::vector<std::string> lines;
  for (auto chunk : chunks)
    framer.feed(as_bytes(chunk), lines);
  return lines;
}

TEST(LineFramer, SplitsAtAnyLineEndAndKeepsPartialLines) {
  EXPECT_EQ(frame({"AT+QGMR\r\r\nEC25EFAR06A06M4G_01.003.01.003\r\n\r\nOK\r\n"}),
            (std::vector<std::string>{"AT+QGMR", "EC25EFAR06A06M4G_01.003.01.003", "OK"}));
  // A line split across reads, and LF-only line ends.
  EXPECT_EQ(frame({"\r\n+QIND: \"FOTA\",\"UPDA", "TING\",1\r\n", "OK\n"}),
            (std::vector<std::string>{"+QIND: \"FOTA\",\"UPDATING\",1", "OK"}));
  LineFramer framer;
  std::vector<std::string> lines;
  framer.feed(as_bytes("\r\n+QIND: \"FOTA\",\"UPD"), lines);
  EXPECT_TRUE(lines.empty());
  EXPECT_EQ(framer.pending(), "+QIND: \"FOTA\",\"UPD");
}

TEST(ClassifyLine, FinalResultsAndErrors) {
  EXPECT_EQ(classify_line("OK", "AT").kind, LineKind::ok);
  EXPECT_EQ(classify_line("ERROR", "AT+X").kind, LineKind::error);
  auto cme = classify_line("+CME ERROR: 421", "AT+QFOTADL=\"COM\",345200,5");
  EXPECT_EQ(cme.kind, LineKind::cme_error);
  EXPECT_EQ(cme.code, 421);
  auto verbose = classify_line("+CME ERROR: file not found", "AT+QFDEL=\"x\"");
  EXPECT_EQ(verbose.kind, LineKind::cme_error);
  EXPECT_EQ(verbose.code, -1);
  EXPECT_EQ(classify_line("CONNECT", "AT+QFUPL=\"a\",10").kind, LineKind::connect);
  EXPECT_EQ(classify_line("CONNECT 115200", "ATD*99#").kind, LineKind::connect);
  EXPECT_EQ(classify_line("NO CARRIER", "").kind, LineKind::no_carrier);
  EXPECT_TRUE(is_final(LineKind::cme_error));
  EXPECT_FALSE(is_final(LineKind::urc));
}

TEST(ClassifyLine, InformationEchoAndUrcDependOnThePendingCommand) {
  EXPECT_EQ(classify_line("AT+QGMR", "AT+QGMR").kind, LineKind::echo);
  EXPECT_EQ(classify_line("at+qgmr", "AT+QGMR").kind, LineKind::echo);
  EXPECT_EQ(classify_line("+QFOTADL: 345200, b34a", "AT+QFOTADL=\"COM\",345200,5").kind, LineKind::info);
  EXPECT_EQ(classify_line("+QFUPL: 1187,2d19", "AT+QFUPL=\"a.zip\",1187").kind, LineKind::info);
  // A URC arriving between a command and its answer.
  EXPECT_EQ(classify_line("+QIND: \"FOTA\",\"UPDATING\",3", "AT+QGMR").kind, LineKind::urc);
  EXPECT_EQ(classify_line("RDY", "AT").kind, LineKind::urc);
  // +CPIN: is the answer to AT+CPIN? and a URC otherwise.
  EXPECT_EQ(classify_line("+CPIN: READY", "AT+CPIN?").kind, LineKind::info);
  EXPECT_EQ(classify_line("+CPIN: READY", "AT+QGMR").kind, LineKind::urc);
  EXPECT_EQ(classify_line("Quectel", "ATI").kind, LineKind::info);
  EXPECT_EQ(classify_line("\x93\xfe\x01", "ATI").kind, LineKind::noise);
}

TEST(CommandName, BasicAndExtendedCommands) {
  EXPECT_EQ(command_name("AT+QFOTADL=\"COM\",1,5"), "+QFOTADL");
  EXPECT_EQ(command_name("at+qgmr"), "+QGMR");
  EXPECT_EQ(command_name("ATI"), "I");
  EXPECT_EQ(command_name("ATE0"), "E");
  EXPECT_EQ(command_name("AT&D1"), "&D");
  EXPECT_EQ(command_name("AT"), "");
  EXPECT_EQ(command_name("hello"), "");
}

} // namespace
} // namespace dfota::at
