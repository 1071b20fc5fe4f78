// Real pseudo-terminals and loopback sockets: the transports as a host uses them.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "support/test_support.hpp"
#include "transport/pty.hpp"
#include "transport/serial_port.hpp"

namespace dfota::transport {
namespace {

TEST(Pty, HostAndModuleTalkThroughTheLink) {
  test::ScratchDir dir;
  const auto link = dir / "module0";
  auto module = PtyPort::create(link);
  ASSERT_TRUE(module) << module.error().message();
  EXPECT_FALSE((*module)->host_attached());
  auto host = open_serial(link.string(), SerialOptions{});
  ASSERT_TRUE(host) << host.error().message();
  EXPECT_TRUE((*module)->host_attached());
  ASSERT_TRUE((*host)->write_all(as_bytes("AT\r"), steady_clock().deadline_in(Duration(1000))));
  EXPECT_EQ(test::read_port(**module, 3), "AT\r"); // raw: no echo, no CR translation
  ASSERT_TRUE((*module)->write_all(as_bytes("\r\nOK\r\n"), steady_clock().deadline_in(Duration(1000))));
  EXPECT_EQ(test::read_port(**host, 6), "\r\nOK\r\n");
  // Nothing more: a timeout, and the port stays usable.
  std::uint8_t byte;
  auto none = (*host)->read_some({&byte, 1}, steady_clock().deadline_in(Duration(50)));
  ASSERT_FALSE(none);
  EXPECT_TRUE(none.error().is(TransportErrc::timeout));
  // A second opener is refused while the first holds the port (root may
  // override TIOCEXCL).
  auto second = open_serial(link.string(), SerialOptions{});
  if (::geteuid() != 0) {
    EXPECT_FALSE(second);
  }
}

TEST(Pty, TheHostSeesThePortGoAwayAndComeBack) {
  test::ScratchDir dir;
  const auto link = dir / "module0";
  auto module = PtyPort::create(link);
  ASSERT_TRUE(module);
  auto host = open_serial(link.string(), SerialOptions{});
  ASSERT_TRUE(host);
  module->reset(); // reboot: the port disappears with its link
  EXPECT_FALSE(std::filesystem::exists(link));
  std::uint8_t byte;
  auto gone = (*host)->read_some({&byte, 1}, steady_clock().deadline_in(Duration(1000)));
  ASSERT_FALSE(gone);
  EXPECT_TRUE(gone.error().is(TransportErrc::closed)) << gone.error().message();

  std::thread reboot([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    module = PtyPort::create(link);
  });
  auto back = reopen_when_back(link.string(), SerialOptions{}, steady_clock().deadline_in(Duration(5000)));
  reboot.join();
  ASSERT_TRUE(back) << back.error().message();
  ASSERT_TRUE(module);
  ASSERT_TRUE((*module)->write_all(as_bytes("RDY\r\n"), steady_clock().deadline_in(Duration(1000))));
  EXPECT_EQ(test::read_port(**back, 5), "RDY\r\n");
}

TEST(Pty, APortThatNeverComesBackTimesOutWithAClearError) {
  test::ScratchDir dir;
  auto back = reopen_when_back((dir / "gone").string(), SerialOptions{}, steady_clock().deadline_in(Duration(200)));
  ASSERT_FALSE(back);
  EXPECT_TRUE(back.error().is(TransportErrc::timeout));
  EXPECT_NE(back.error().message().find("did not come back"), std::string::npos);
}

TEST(Serial, RefusesWhatIsNotAPortAndUnknownBaudRates) {
  test::ScratchDir dir;
  test::write_text(dir / "file", "x");
  auto file = open_serial((dir / "file").string(), SerialOptions{});
  ASSERT_FALSE(file);
  EXPECT_TRUE(file.error().is(TransportErrc::open_failed));
  SerialOptions odd;
  odd.baud = 123456;
  auto bad = open_serial((dir / "file").string(), odd);
  ASSERT_FALSE(bad);
  EXPECT_TRUE(bad.error().is(TransportErrc::bad_setting));
  EXPECT_TRUE(baud_constant(921600));
}

TEST(Tcp, TalksToASerialServerOnLoopback) {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  socklen_t length = sizeof address;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  const std::string endpoint = "127.0.0.1:" + std::to_string(ntohs(address.sin_port));
  std::thread server([&] {
    int peer = ::accept(listener, nullptr, nullptr);
    char buffer[16];
    ssize_t n = ::read(peer, buffer, sizeof buffer);
    if (n > 0) (void)!::write(peer, "\r\nOK\r\n", 6);
    ::close(peer);
  });
  auto port = open_port("tcp:" + endpoint, SerialOptions{}, steady_clock().deadline_in(Duration(2000)));
  ASSERT_TRUE(port) << port.error().message();
  ASSERT_TRUE((*port)->write_all(as_bytes("AT\r"), steady_clock().deadline_in(Duration(1000))));
  EXPECT_EQ(test::read_port(**port, 6), "\r\nOK\r\n");
  server.join();
  std::uint8_t byte;
  auto closed = (*port)->read_some({&byte, 1}, steady_clock().deadline_in(Duration(1000)));
  ASSERT_FALSE(closed);
  EXPECT_TRUE(closed.error().is(TransportErrc::closed));
  ::close(listener);
  auto refused = connect_tcp(endpoint, steady_clock().deadline_in(Duration(1000)));
  EXPECT_FALSE(refused);
}

TEST(ManualClock, MovesOnlyWhenToldOrSleptOn) {
  ManualClock clock;
  const auto start = clock.now();
  clock.sleep_for(Duration(1500));
  EXPECT_EQ(clock.now() - start, Duration(1500));
  EXPECT_EQ(milliseconds_until(clock, start + Duration(2000)), 500);
  EXPECT_EQ(milliseconds_until(clock, start), 0);
}

} // namespace
} // namespace dfota::transport
