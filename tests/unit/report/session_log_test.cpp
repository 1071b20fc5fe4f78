#include "report/session_log.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>

#include <regex>
#include <thread>

#include "support/test_support.hpp"

namespace dfota::report {
namespace {

TEST(LogSafe, EveryUrlLosesItsPassword) {
  EXPECT_EQ(log_safe("AT+QFOTADL=\"ftp://user:hunter2@host:21/u.zip\""), "AT+QFOTADL=\"ftp://user:***@host:21/u.zip\"");
  EXPECT_EQ(log_safe("a http://a:b@x/1 and https://c:d@y/2"), "a http://a:***@x/1 and https://c:***@y/2");
  EXPECT_EQ(log_safe("ftp://anonymous@host/u.zip"), "ftp://anonymous@host/u.zip");
  EXPECT_EQ(log_safe("+QIND: \"FOTA\",\"END\",0"), "+QIND: \"FOTA\",\"END\",0");
  // Odd URLs too: a password with '/', one slash, no scheme, a URL after '='.
  for (const char* line : {"AT+QFOTADL=\"ftp://user:hun/ter2@host/u.zip\"", "url ftp:/user:hunter2@host/u.zip",
                           "AT+QFOTADL=\"user:hunter2@host/u.zip\"", "AT+QFOTADL=ftp://user:hunter2@host/u.zip",
                           "dfota upload u.zip, method url, url user:hun@ter2@host/u.zip"}) {
    EXPECT_EQ(log_safe(line).find("hunter2"), std::string::npos) << line;
    EXPECT_EQ(log_safe(line).find("ter2"), std::string::npos) << line;
    EXPECT_NE(log_safe(line).find("***"), std::string::npos) << line;
  }
}

TEST(LogSafe, ControlBytesAreShownSoALineStaysALine) { EXPECT_EQ(log_safe("a\r\nb\x1a"), "a\\x0D\\x0Ab\\x1A"); }

TEST(SessionLog, LinesCarryTimestampPortAndDirection) {
  test::ScratchDir dir;
  auto log = SessionLog::open(dir / "session.log");
  ASSERT_TRUE(log) << log.error().message();
  (*log)->write("/dev/ttyUSB2", ">", "AT+QFOTADL=\"http://u:secret@h/p.zip\"");
  (*log)->write("", "-", "started");
  const std::string text = test::read_text(dir / "session.log");
  const std::regex line(
      R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[/dev/ttyUSB2\] > AT\+QFOTADL="http://u:\*\*\*@h/p\.zip"
\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z - started
)");
  EXPECT_TRUE(std::regex_match(text, line)) << text;
  EXPECT_EQ(text.find("secret"), std::string::npos);
}

TEST(SessionLog, ThreadsNeverInterleaveWithinALine) {
  test::ScratchDir dir;
  auto log = SessionLog::open(dir / "session.log");
  ASSERT_TRUE(log);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i)
        (*log)->write("p" + std::to_string(t), "<", std::string(100, static_cast<char>('a' + t)));
    });
  }
  for (auto& thread : threads)
    thread.join();
  std::istringstream text(test::read_text(dir / "session.log"));
  int lines = 0;
  for (std::string l; std::getline(text, l); ++lines) {
    ASSERT_GE(l.size(), 100u);
    const std::string body = l.substr(l.size() - 100);
    EXPECT_EQ(body, std::string(100, body[0])) << l;
  }
  EXPECT_EQ(lines, 800);
}

TEST(SessionLog, EveryLineReadsBackAsItWasWritten) {
  test::ScratchDir dir;
  auto log = SessionLog::open(dir.path() / "session.log");
  ASSERT_TRUE(log);
  const std::string odd = std::string("a\\x41 b\r\x01\\") + "\x7f";
  (*log)->write("/dev/ttyUSB2", ">", "AT+QGMR");
  (*log)->write("", "-", "dfota upload");
  (*log)->write("/dev/serial/by-path/pci-0000:00:14.0-usb-0:3:1.2-port0", "<", odd);
  (*log)->write("/tmp/m", "<", "");
  log->reset();
  std::istringstream text(test::read_text(dir.path() / "session.log"));
  std::vector<SessionLogLine> lines;
  for (std::string l; std::getline(text, l);) {
    auto parsed = parse_session_log_line(l);
    ASSERT_TRUE(parsed) << l;
    lines.push_back(*parsed);
  }
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0].port, "/dev/ttyUSB2");
  EXPECT_EQ(lines[0].marker, '>');
  EXPECT_EQ(lines[0].text, "AT+QGMR");
  EXPECT_EQ(lines[1].port, "");
  EXPECT_EQ(lines[1].marker, '-');
  EXPECT_EQ(lines[2].port, "/dev/serial/by-path/pci-0000:00:14.0-usb-0:3:1.2-port0");
  EXPECT_EQ(log_text_bytes(lines[2].text), odd) << "a backslash in the text is escaped too";
  EXPECT_EQ(lines[3].text, "");
  const auto now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  EXPECT_LE(std::abs(now_ms - lines[0].time_ms), 60000);
  EXPECT_LE(lines[0].time_ms, lines[3].time_ms);
}

TEST(SessionLog, TimesAreUtcMilliseconds) {
  auto line = parse_session_log_line("2026-11-21T10:00:00.123Z [/dev/ttyUSB2] < OK");
  ASSERT_TRUE(line);
  EXPECT_EQ(line->time_ms, 1795255200123);
  auto later = parse_session_log_line("2026-11-21T10:00:01.000Z [/dev/ttyUSB2] < OK");
  ASSERT_TRUE(later);
  EXPECT_EQ(later->time_ms - line->time_ms, 877);
}

TEST(SessionLog, LinesOfOtherShapesAreNotRead) {
  for (const char* line : {"", "OK", "2026-11-21 10:00:00.123Z [p] < OK", "2026-11-21T10:00:00.123Z [p < OK",
                           "2026-11-21T10:00:00.123Z [p] ? OK", "2026-11-21T10:00:00.123Z [p] <OK",
                           "2026-1x-21T10:00:00.123Z [p] < OK", "2026-11-21T10:00:00.123Z"})
    EXPECT_FALSE(parse_session_log_line(line)) << line;
}

TEST(SessionLog, AnUnwritablePathIsAnIoError) {
  auto log = SessionLog::open("/nonexistent-dir/x.log");
  ASSERT_FALSE(log);
  EXPECT_EQ(log.error().code(), make_error_code(CoreErrc::io_error));
}

} // namespace
} // namespace dfota::report
