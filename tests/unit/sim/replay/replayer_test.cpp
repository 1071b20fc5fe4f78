#include "sim/replay/replayer.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <future>
#include <poll.h>
#include <sstream>
#include <termios.h>
#include <thread>
#include <unistd.h>

#include "sim/errors.hpp"
#include "support/test_support.hpp"

namespace dfota::sim {
namespace {

namespace fs = std::filesystem;

Recording recording_of(const std::string& log) {
  std::istringstream in(log);
  auto recording = read_recording(in, "");
  EXPECT_TRUE(recording) << recording.error().message();
  return recording ? *recording : Recording{};
}

// A host on the replayed port: raw terminal, plain reads and writes.
class Host {
public:
  explicit Host(const fs::path& link) {
    for (int i = 0; i < 200 && fd_ < 0; ++i) {
      fd_ = ::open(link.c_str(), O_RDWR | O_NOCTTY);
      if (fd_ < 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (fd_ < 0) return;
    termios t{};
    ::tcgetattr(fd_, &t);
    ::cfmakeraw(&t);
    ::tcsetattr(fd_, TCSANOW, &t);
  }
  ~Host() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool opened() const { return fd_ >= 0; }
  void send(const std::string& bytes) { ASSERT_EQ(::write(fd_, bytes.data(), bytes.size()), ssize_t(bytes.size())); }
  // Reads until `text` has arrived or `ms` passed; everything read.
  std::string read_until(const std::string& text, int ms = 3000) {
    std::string got;
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (got.find(text) == std::string::npos && std::chrono::steady_clock::now() < until) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0 || !(p.revents & POLLIN)) continue;
      char buffer[512];
      const ssize_t n = ::read(fd_, buffer, sizeof buffer);
      if (n > 0) got.append(buffer, static_cast<std::size_t>(n));
    }
    return got;
  }

private:
  int fd_ = -1;
};

struct Running {
  std::unique_ptr<Replayer> replayer;
  std::atomic<bool> stop{false};
  std::future<Status> result;
};

std::unique_ptr<Running> start(const Recording& recording, const fs::path& link, ReplayOptions options = {}) {
  auto running = std::make_unique<Running>();
  options.link = link;
  auto replayer = Replayer::create(recording, options);
  EXPECT_TRUE(replayer);
  if (!replayer) return nullptr;
  running->replayer = std::move(*replayer);
  running->result = std::async(std::launch::async, [r = running.get()] { return r->replayer->run(r->stop); });
  return running;
}

const char* kSession = "2026-12-03T10:00:00.000Z [/dev/ttyUSB2] > AT+QGMR\n"
                       "2026-12-03T10:00:00.010Z [/dev/ttyUSB2] < EC25EFAR06A06M4G_01.003.01.003\n"
                       "2026-12-03T10:00:00.010Z [/dev/ttyUSB2] < OK\n"
                       "2026-12-03T10:00:00.020Z [/dev/ttyUSB2] > AT+QFUPL=\"u.zip\",2100,10,1\n"
                       "2026-12-03T10:00:00.030Z [/dev/ttyUSB2] < CONNECT\n"
                       "2026-12-03T10:00:00.040Z [/dev/ttyUSB2] < +QFUPL: 2100,1234\n"
                       "2026-12-03T10:00:00.040Z [/dev/ttyUSB2] < OK\n"
                       "2026-12-03T10:00:00.300Z [/dev/ttyUSB2] < +QIND: \"FOTA\",\"END\",0\n"
                       "2026-12-03T10:00:00.400Z [/dev/ttyUSB2] - port gone: the module reboots\n"
                       "2026-12-03T10:00:00.500Z [/dev/ttyUSB2] - port back\n"
                       "2026-12-03T10:00:00.510Z [/dev/ttyUSB2] > AT+QGMR\n"
                       "2026-12-03T10:00:00.520Z [/dev/ttyUSB2] < EC25EFAR06A07M4G_01.004.01.004\n"
                       "2026-12-03T10:00:00.520Z [/dev/ttyUSB2] < OK\n";

// kSession replayed on a scratch link, on a thread of the test.
class ReplayerTest : public ::testing::Test {
protected:
  void replay(ReplayOptions options = {}) {
    running = start(recording_of(kSession), link, options);
    ASSERT_TRUE(running);
  }
  // The replay's result once it ended, within `seconds`.
  Status result_within(int seconds) {
    if (running->result.wait_for(std::chrono::seconds(seconds)) != std::future_status::ready)
      return make_error(SimErrc::bad_option, "the replay did not end within " + std::to_string(seconds) + " s");
    return running->result.get();
  }
  test::ScratchDir dir;
  const fs::path link = dir.path() / "port";
  std::unique_ptr<Running> running;
};

TEST_F(ReplayerTest, AnswersAsRecordedThroughDataModeAndAReboot) {
  replay();
  {
    Host host(link);
    ASSERT_TRUE(host.opened());
    // A probe the recording does not have is answered, and the host may
    // take longer than recorded.
    host.send("AT\r");
    EXPECT_NE(host.read_until("OK\r\n").find("\r\nOK\r\n"), std::string::npos);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    host.send("at+QGMR\r\n");
    EXPECT_NE(host.read_until("OK\r\n").find("EC25EFAR06A06M4G_01.003.01.003\r\n"), std::string::npos);
    host.send("AT+QFUPL=\"u.zip\",2100,10,1\r");
    EXPECT_NE(host.read_until("CONNECT\r\n").find("CONNECT"), std::string::npos);
    host.send(std::string(1024, 'x'));
    EXPECT_EQ(host.read_until("A"), "A") << "an ACK after each KiB";
    host.send(std::string(1024, 'y'));
    EXPECT_EQ(host.read_until("A"), "A");
    host.send(std::string(52, 'z'));
    const std::string after = host.read_until("END\",0\r\n");
    EXPECT_NE(after.find("+QFUPL: 2100,1234\r\n\r\nOK\r\n"), std::string::npos) << after;
    EXPECT_NE(after.find("+QIND: \"FOTA\",\"END\",0"), std::string::npos) << after;
    // The port goes at the reboot: the host reads a hang-up.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  for (int i = 0; i < 100 && fs::exists(link); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  {
    Host again(link);
    ASSERT_TRUE(again.opened());
    again.send("AT+QGMR\r");
    EXPECT_NE(again.read_until("OK\r\n").find("EC25EFAR06A07M4G_01.004.01.004"), std::string::npos);
  }
  // The host closed the port after the last answer: the replay ends at once.
  auto result = result_within(2);
  EXPECT_TRUE(result) << result.error().message();
  EXPECT_EQ(running->replayer->steps_played(), 14u);
  EXPECT_FALSE(fs::exists(link));
}

TEST_F(ReplayerTest, AnotherCommandIsAnsweredErrorAndEndsTheReplayNamingTheLine) {
  replay();
  Host host(link);
  ASSERT_TRUE(host.opened());
  host.send("AT+CGMR\r");
  EXPECT_NE(host.read_until("ERROR\r\n").find("ERROR"), std::string::npos);
  auto result = result_within(5);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), make_error_code(SimErrc::replay_diverged));
  EXPECT_EQ(result.error().message(), "line 1 of the recording: the host sent AT+CGMR where the recording has AT+QGMR");
}

TEST_F(ReplayerTest, ASilentHostEndsTheReplayAfterThePatience) {
  ReplayOptions options;
  options.patience = transport::Duration(300);
  replay(options);
  Host host(link);
  ASSERT_TRUE(host.opened());
  auto result = result_within(5);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), make_error_code(SimErrc::replay_diverged));
  EXPECT_NE(result.error().message().find("sent nothing in time"), std::string::npos);
}

TEST_F(ReplayerTest, StopsWhenAskedAndRefusesASpeedOfZero) {
  replay();
  running->stop = true;
  EXPECT_TRUE(result_within(2));
  EXPECT_FALSE(fs::exists(link));
  ReplayOptions zero;
  zero.link = link;
  zero.speed = 0;
  auto refused = Replayer::create(recording_of(kSession), zero);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), make_error_code(SimErrc::bad_option));
}

} // namespace
} // namespace dfota::sim
