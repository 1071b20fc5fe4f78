// In-memory ports: what the host and a simulated module see of each other,
// as they would on the simulator's pseudo-terminal.
#include "transport/memory_ports.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "support/test_support.hpp"
#include "transport/serial_port.hpp"

namespace dfota::transport {
namespace {

using namespace std::chrono_literals;

class MemoryPortsTest : public ::testing::Test {
protected:
  Expected<std::unique_ptr<Transport>> open_host(const std::string& name) {
    return ports_.open(name, SerialOptions{}, clock_.deadline_in(Duration(100)), clock_);
  }
  VirtualClock clock_;
  MemoryPorts ports_{clock_};
  VirtualClock::Participant taking_part_{clock_};
};

TEST_F(MemoryPortsTest, HostAndModuleTalkBothWays) {
  EXPECT_FALSE(open_host("module0"));
  auto module = ports_.plug("module0");
  ASSERT_TRUE(module);
  EXPECT_FALSE((*module)->host_attached());
  auto host = open_host("module0");
  ASSERT_TRUE(host) << host.error().message();
  EXPECT_TRUE((*module)->host_attached());
  ASSERT_TRUE((*host)->write_all(as_bytes("AT\r"), clock_.deadline_in(Duration(100))));
  EXPECT_EQ(test::read_port(**module, 3, clock_), "AT\r");
  ASSERT_TRUE((*module)->write_all(as_bytes("\r\nOK\r\n"), clock_.deadline_in(Duration(100))));
  EXPECT_EQ(test::read_port(**host, 6, clock_), "\r\nOK\r\n");
  host->reset();
  EXPECT_FALSE((*module)->host_attached());
}

TEST_F(MemoryPortsTest, AnUnpluggedPortReadsClosedAfterWhatWasSent) {
  auto module = ports_.plug("module0");
  ASSERT_TRUE(module);
  auto host = open_host("module0");
  ASSERT_TRUE(host);
  ASSERT_TRUE((*module)->write_all(as_bytes("RDY"), clock_.deadline_in(Duration(100))));
  module->reset(); // the module reboots
  EXPECT_EQ(test::read_port(**host, 3, clock_), "RDY");
  std::uint8_t byte;
  auto n = (*host)->read_some({&byte, 1}, clock_.deadline_in(Duration(100)));
  ASSERT_FALSE(n);
  EXPECT_TRUE(n.error().is(TransportErrc::closed));
  EXPECT_FALSE((*host)->write_all(as_bytes("AT\r"), clock_.deadline_in(Duration(100))));
  EXPECT_FALSE(open_host("module0")); // the name is gone
}

TEST_F(MemoryPortsTest, ANameTakenIsRefused) {
  auto first = ports_.plug("module0");
  ASSERT_TRUE(first);
  auto second = ports_.plug("module0");
  ASSERT_FALSE(second);
  EXPECT_TRUE(second.error().is(TransportErrc::open_failed));
}

TEST_F(MemoryPortsTest, ReopenWaitsForThePortToComeBack) {
  const TimePoint start = clock_.now();
  std::unique_ptr<ModulePort> back;
  auto until_module = std::make_unique<VirtualClock::Hold>(clock_); // counts from before this thread waits
  std::thread module([&] {
    VirtualClock::Participant taking_part(clock_);
    until_module.reset();
    clock_.sleep_for(Duration(3000)); // a reboot
    back = std::move(*ports_.plug("module0"));
  });
  auto host = ports_.reopen_when_back("module0", SerialOptions{}, start + 10s, clock_);
  const TimePoint reopened = clock_.now();
  module.join();
  ASSERT_TRUE(host) << host.error().message();
  EXPECT_EQ(reopened - start, 3s);

  auto never = ports_.reopen_when_back("module1", SerialOptions{}, clock_.deadline_in(Duration(1500)), clock_);
  ASSERT_FALSE(never);
  EXPECT_TRUE(never.error().is(TransportErrc::timeout));
  EXPECT_NE(never.error().message().find("did not come back"), std::string::npos);
}

TEST_F(MemoryPortsTest, TheHostsWritesWaitWhileTheBufferIsFull) {
  auto module = ports_.plug("module0");
  ASSERT_TRUE(module);
  auto host = open_host("module0");
  ASSERT_TRUE(host);
  const std::string block(MemoryPorts::kBuffer, 'x');
  ASSERT_TRUE((*host)->write_all(as_bytes(block), clock_.deadline_in(Duration(100))));
  auto full = (*host)->write_all(as_bytes("y"), clock_.deadline_in(Duration(100)));
  ASSERT_FALSE(full);
  EXPECT_TRUE(full.error().is(TransportErrc::timeout));
  EXPECT_EQ(test::read_port(**module, block.size(), clock_).size(), block.size());
  EXPECT_TRUE((*host)->write_all(as_bytes("y"), clock_.deadline_in(Duration(100))));
}

} // namespace
} // namespace dfota::transport
