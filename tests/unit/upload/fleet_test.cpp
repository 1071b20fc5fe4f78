#include "upload/fleet.hpp"

#include <gtest/gtest.h>

#include <map>
#include <mutex>

#include "support/fake_module.hpp"
#include "support/sim_harness.hpp"

namespace dfota::test {
namespace {

using transport::Duration;
using Reply = FakeModule::Reply;

std::string answer(const std::string& lines) {
  return lines.empty() ? "\r\nOK\r\n" : "\r\n" + lines + "\r\n\r\nOK\r\n";
}

// An RG50xQ on v1 that downloads from a URL and comes up on v2, or refuses
// AT+QFOTADL when `refuses`.
FakeModule::Handler rg50xq(bool refuses) {
  auto version = std::make_shared<std::string>("EC25EFAR06A06M4G_01.003.01.003");
  return [version, refuses](const std::string& c) -> std::vector<Reply> {
    if (c == "AT+QGMR") return {{Duration(10), answer(*version)}};
    if (c == "ATI") return {{Duration(10), answer("Quectel\r\nRG500Q\r\nRevision: " + version->substr(0, 16))}};
    if (c.rfind("AT+QFOTADL=", 0) == 0) {
      if (refuses) return {{Duration(10), "\r\nERROR\r\n"}};
      *version = "EC25EFAR06A07M4G_01.004.01.004";
      return {{Duration(20), answer("")},
              {Duration(100), "\r\n+QIND: \"FOTA\",\"HTTPSTART\"\r\n"},
              {Duration(500), "\r\n+QIND: \"FOTA\",\"HTTPEnd\",0\r\n"},
              {Duration(100), "\r\n+QIND: \"FOTA\",\"START\"\r\n"},
              {Duration(100), "\r\n+QIND: \"FOTA\",\"END\",0\r\n"}};
    }
    return {{Duration(10), answer("")}};
  };
}

// Each port name to its own scripted module.
class FleetPorts final : public transport::PortOpener {
public:
  void add(const std::string& name, FakeModule& module) {
    ports_.emplace(name, std::make_unique<FakeModule::Ports>(module));
  }
  Expected<std::unique_ptr<transport::Transport>> open(const std::string& spec, const transport::SerialOptions& o,
                                                       transport::TimePoint d, transport::Clock& c) override {
    return ports_.at(spec)->open(spec, o, d, c);
  }
  Expected<std::unique_ptr<transport::Transport>> reopen_when_back(const std::string& spec,
                                                                   const transport::SerialOptions& o,
                                                                   transport::TimePoint d,
                                                                   transport::Clock& c) override {
    return open(spec, o, d, c);
  }

private:
  std::map<std::string, std::unique_ptr<FakeModule::Ports>> ports_;
};

TEST(Fleet, EveryModuleRunsOnItsOwnThreadAndOneFailureStopsNoOther) {
  auto registry = profiles::Registry::load(source_dir() / "formats");
  ASSERT_TRUE(registry) << registry.error().message();
  transport::ManualClock clock;
  // Three threads share the clock: the modules answer promptly (fake_module.hpp).
  const auto promptly = FakeModule::Answers::promptly;
  FakeModule first(clock, rg50xq(false), promptly), refusing(clock, rg50xq(true), promptly),
      third(clock, rg50xq(false), promptly);
  FleetPorts ports;
  ports.add("slot1", first);
  ports.add("slot2", refusing);
  ports.add("slot3", third);
  upload::UploadOptions options;
  options.package = sample_packages().forward;
  options.method = "url";
  options.url = "http://192.0.2.10/update.zip";
  std::mutex mutex;
  std::map<std::size_t, std::vector<std::string>> steps;
  std::map<std::size_t, int> lines;
  auto outcomes = upload::run_fleet(
      options, {"slot1", "slot2", "slot3"}, nullptr, *registry,
      [&](std::size_t index) {
        upload::ModuleObserver observer;
        observer.on_event = [&, index](const upload::UploadEvent& e) {
          std::lock_guard lock(mutex);
          if (e.kind == upload::UploadEvent::Kind::step) steps[index].push_back(e.text);
        };
        observer.log = [&, index](at::Direction, std::string_view) {
          std::lock_guard lock(mutex);
          ++lines[index];
        };
        return observer;
      },
      clock, ports);
  ASSERT_EQ(outcomes.size(), 3u);
  EXPECT_FALSE(outcomes[0].error) << outcomes[0].error->message();
  ASSERT_TRUE(outcomes[1].error);
  EXPECT_TRUE(outcomes[1].error->is(upload::UploadErrc::module_error)) << outcomes[1].error->message();
  EXPECT_FALSE(outcomes[2].error) << outcomes[2].error->message();
  for (std::size_t i : {0u, 2u})
    EXPECT_EQ(outcomes[i].report.module_version_after, "EC25EFAR06A07M4G_01.004.01.004") << i;
  EXPECT_EQ(outcomes[0].report.port, "slot1");
  EXPECT_EQ(outcomes[1].report.port, "slot2");
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_FALSE(steps[i].empty()) << i;
    EXPECT_GT(lines[i], 5) << i;
  }
  EXPECT_EQ(first.commands().back(), "AT+QGMR");
}

TEST(Fleet, APortsFileListsOnePortALine) {
  ScratchDir dir;
  write_text(dir / "line3.txt", "# rack 3\n/dev/ttyUSB2\n\n  /dev/ttyUSB6  \r\n\t# spare\ntcp:127.0.0.1:5000\n");
  auto ports = upload::read_ports_file(dir / "line3.txt");
  ASSERT_TRUE(ports) << ports.error().message();
  EXPECT_EQ(*ports, (std::vector<std::string>{"/dev/ttyUSB2", "/dev/ttyUSB6", "tcp:127.0.0.1:5000"}));
  auto missing = upload::read_ports_file(dir / "missing.txt");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), make_error_code(CoreErrc::io_error));
}

TEST(Fleet, TimeoutSettingsNameTheirKeyAndSeconds) {
  upload::UploadTimeouts timeouts;
  EXPECT_TRUE(upload::apply_timeout_setting("urc=30", timeouts));
  EXPECT_TRUE(upload::apply_timeout_setting("total=0.5", timeouts));
  EXPECT_TRUE(upload::apply_timeout_setting("port=86400", timeouts));
  EXPECT_EQ(timeouts.urc_gap, Duration(30000));
  EXPECT_EQ(timeouts.total, Duration(500));
  EXPECT_EQ(timeouts.port_back, Duration(86400000));
  for (const char* bad : {"urc", "urc=", "urc=abc", "urc=5x", "urc=0", "urc=-1", "urc=86401", "gap=5", "=5"}) {
    auto applied = upload::apply_timeout_setting(bad, timeouts);
    ASSERT_FALSE(applied) << bad;
    EXPECT_EQ(applied.error().code(), make_error_code(CoreErrc::invalid_input)) << bad;
    EXPECT_NE(applied.error().message().find("expected command|urc|port|version|total=SECONDS"), std::string::npos);
  }
  EXPECT_EQ(timeouts.urc_gap, Duration(30000)) << "unchanged by a refused setting";
}

} // namespace
} // namespace dfota::test
