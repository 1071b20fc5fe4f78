// Record once, replay in CI: `dfota upload --log-file` against a module, then
// `dfota sim --replay` of that log, driven by the same upload again.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "cli/exit_codes.hpp"
#include "support/loopback_servers.hpp"
#include "support/sim_harness.hpp"
#include "support/sim_process.hpp"

namespace dfota::test {
namespace {

using namespace dfota::cli;

struct Recorded {
  fs::path log;
  std::vector<std::string> upload; // the upload's arguments but --port
};

// Upgrades a simulated module of `profile` by `method`, keeping the log.
Recorded record(const fs::path& dir, const std::string& profile, const std::string& method) {
  SimProcess sim(dir, profile, {}, "recorded-" + profile);
  Recorded recorded{dir / (profile + "-" + method + ".log"),
                    {"upload", sample_packages().forward.string(), "--profile", profile, "--method", method,
                     "--guard-ms", "200", "--no-progress"}};
  auto args = recorded.upload;
  args.insert(args.end(), {"--port", sim.link().string(), "--log-file", recorded.log.string()});
  auto r = run_cli(args);
  EXPECT_EQ(r.exit_code, kOk) << profile << "\n" << r.out << r.err;
  EXPECT_EQ(sim.terminate(), kOk);
  return recorded;
}

TEST(SimReplay, AnUpgradeRecordedOnceReplaysForEveryFamilyAndMethod) {
  ScratchDir dir;
  const std::vector<std::pair<std::string, std::string>> cases{
      {"ugxx", "com"}, {"ec200t", "file"}, {"ec2x", "qfupl"}, {"rg50xq", "qfupl"}};
  for (const auto& [profile, method] : cases) {
    const Recorded recorded = record(dir.path(), profile, method);
    SimProcess replay = SimProcess::replaying(dir.path(), recorded.log, "replay-" + profile, {"--replay-speed", "4"});
    auto args = recorded.upload;
    args.insert(args.end(), {"--port", replay.link().string()});
    auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, kOk) << profile << "\n" << r.out << r.err << replay.output();
    EXPECT_NE(r.out.find("-> EC25EFAR06A07M4G_01.004.01.004"), std::string::npos) << profile << r.out;
    EXPECT_EQ(replay.wait_exit(10000), kOk) << profile << replay.output();
    EXPECT_NE(replay.output().find("steps played"), std::string::npos) << replay.output();
  }
}

// A URL upgrade replays without the server: the module's downloading is in
// its recorded reports.
TEST(SimReplay, AUrlUpgradeReplaysWithoutItsServer) {
  ScratchDir dir;
  fs::create_directories(dir / "www");
  fs::copy_file(sample_packages().forward, dir / "www" / "update.zip");
  std::string url;
  fs::path log = dir / "url.log";
  {
    HttpServer http(dir / "www", dir / "http", false);
    ASSERT_TRUE(http.ready());
    url = http.url("update.zip");
    SimProcess sim(dir.path(), "ec2x", {}, "url-recorded");
    auto r = run_cli({"upload", sample_packages().forward.string(), "--port", sim.link().string(), "--url", url,
                      "--guard-ms", "200", "--log-file", log.string()});
    ASSERT_EQ(r.exit_code, kOk) << r.out << r.err;
    EXPECT_EQ(sim.terminate(), kOk);
  }
  SimProcess replay = SimProcess::replaying(dir.path(), log, "url-replay", {"--replay-speed", "4"});
  auto r = run_cli({"upload", sample_packages().forward.string(), "--port", replay.link().string(), "--url", url,
                    "--guard-ms", "200"});
  EXPECT_EQ(r.exit_code, kOk) << r.out << r.err << replay.output();
  EXPECT_EQ(replay.wait_exit(10000), kOk) << replay.output();
}

// A fleet's log replays one module of it at a time.
TEST(SimReplay, OneModuleOfAFleetLogReplaysByItsPort) {
  ScratchDir dir;
  const fs::path log = dir / "fleet.log";
  std::string second;
  {
    SimProcess a(dir.path(), "ec2x", {}, "fleet-a");
    SimProcess b(dir.path(), "rg50xq", {}, "fleet-b");
    second = b.link().string();
    auto r = run_cli({"upload", sample_packages().forward.string(), "--port", a.link().string(), "--port", second,
                      "--guard-ms", "200", "--no-progress", "--log-file", log.string()});
    ASSERT_EQ(r.exit_code, kOk) << r.out << r.err;
    EXPECT_EQ(a.terminate(), kOk);
    EXPECT_EQ(b.terminate(), kOk);
  }
  auto unchosen = run_cli({"sim", "--replay", log.string(), "--link", (dir / "nowhere").string()});
  EXPECT_EQ(unchosen.exit_code, kBadRecording) << unchosen.err;
  SimProcess replay =
      SimProcess::replaying(dir.path(), log, "fleet-replay", {"--replay-port", second, "--replay-speed", "4"});
  auto r = run_cli({"upload", sample_packages().forward.string(), "--port", replay.link().string(), "--guard-ms", "200",
                    "--no-progress"});
  EXPECT_EQ(r.exit_code, kOk) << r.out << r.err << replay.output();
  EXPECT_EQ(replay.wait_exit(10000), kOk) << replay.output();
}

// A production line's probe, kept with --log-file, replays like an upgrade.
TEST(SimReplay, AProbeKeptWithLogFileReplays) {
  ScratchDir dir;
  const fs::path log = dir / "probe.log";
  {
    SimProcess sim(dir.path(), "rg50xq", {}, "probed");
    auto r = run_cli({"probe", "--port", sim.link().string(), "--guard-ms", "200", "--log-file", log.string()});
    ASSERT_EQ(r.exit_code, kOk) << r.err;
    EXPECT_EQ(sim.terminate(), kOk);
  }
  const std::string kept = read_text(log);
  EXPECT_NE(kept.find("> ATI"), std::string::npos) << kept;
  EXPECT_NE(kept.find("- probed: EC25EFAR06A06M4G_01.003.01.003"), std::string::npos) << kept;
  SimProcess replay = SimProcess::replaying(dir.path(), log, "probe-replay");
  auto r = run_cli({"probe", "--port", replay.link().string(), "--guard-ms", "200", "--json"});
  ASSERT_EQ(r.exit_code, kOk) << r.err << replay.output();
  EXPECT_EQ(nlohmann::json::parse(r.out)["revision"], "EC25EFAR06A06M4G_01.003.01.003") << r.out;
  EXPECT_EQ(replay.wait_exit(10000), kOk) << replay.output();
}

TEST(SimReplay, AHostThatLeavesTheRecordingEnds34NamingTheLine) {
  ScratchDir dir;
  const Recorded recorded = record(dir.path(), "ec2x", "qfupl");
  // The same package under another name: AT+QFLST asks for another file.
  const fs::path renamed = dir.path() / "renamed.zip";
  fs::copy_file(sample_packages().forward, renamed);
  SimProcess replay = SimProcess::replaying(dir.path(), recorded.log, "left", {"--replay-speed", "4"});
  auto r = run_cli({"upload", renamed.string(), "--port", replay.link().string(), "--profile", "ec2x", "--method",
                    "qfupl", "--guard-ms", "200", "--no-progress"});
  EXPECT_NE(r.exit_code, kOk) << r.out << r.err;
  EXPECT_EQ(replay.wait_exit(10000), kReplayDiverged) << replay.output();
  EXPECT_NE(replay.output().find("the host sent AT+QFLST=\"renamed.zip\" where the recording has AT+QFLST=\""),
            std::string::npos)
      << replay.output();
  EXPECT_NE(replay.output().find("line "), std::string::npos) << replay.output();
}

TEST(SimReplay, AHostThatStopsEnds34AfterThePatience) {
  ScratchDir dir;
  const Recorded recorded = record(dir.path(), "ec2x", "qfupl");
  SimProcess replay =
      SimProcess::replaying(dir.path(), recorded.log, "silent", {"--replay-speed", "4", "--replay-patience", "1"});
  // A host that opens the port and says nothing.
  ASSERT_TRUE(fs::exists(replay.link()));
  const int fd = ::open(replay.link().c_str(), O_RDWR | O_NOCTTY);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(replay.wait_exit(10000), kReplayDiverged) << replay.output();
  EXPECT_NE(replay.output().find("the host sent nothing in time where the recording has AT"), std::string::npos)
      << replay.output();
  ::close(fd);
}

TEST(SimReplay, WhatIsNotARecordingGetsOneLineAndItsExitCode) {
  ScratchDir dir;
  const fs::path link = dir.path() / "port";
  write_text(dir.path() / "notes.txt", "not a log\n");
  auto garbage = run_cli({"sim", "--replay", (dir.path() / "notes.txt").string(), "--link", link.string()});
  EXPECT_EQ(garbage.exit_code, kBadRecording);
  EXPECT_NE(garbage.err.find("no line of a dfota session log"), std::string::npos) << garbage.err;
  write_text(dir.path() / "sim.log", "2026-12-03T10:00:00.000Z [/tmp/m] * port up\n"
                                     "2026-12-03T10:00:00.100Z [/tmp/m] < AT\n");
  auto simulator_log = run_cli({"sim", "--replay", (dir.path() / "sim.log").string(), "--link", link.string()});
  EXPECT_EQ(simulator_log.exit_code, kBadRecording);
  EXPECT_NE(simulator_log.err.find("simulator's log"), std::string::npos) << simulator_log.err;
  write_text(dir.path() / "fleet.log", "2026-12-03T10:00:00.000Z [/dev/ttyUSB2] > AT\n"
                                       "2026-12-03T10:00:00.000Z [/dev/ttyUSB6] > AT\n");
  auto fleet = run_cli({"sim", "--replay", (dir.path() / "fleet.log").string(), "--link", link.string()});
  EXPECT_EQ(fleet.exit_code, kBadRecording);
  EXPECT_NE(fleet.err.find("/dev/ttyUSB2, /dev/ttyUSB6"), std::string::npos) << fleet.err;
  EXPECT_NE(fleet.err.find("--replay-port"), std::string::npos) << fleet.err;
  auto missing = run_cli({"sim", "--replay", (dir.path() / "missing.log").string(), "--link", link.string()});
  EXPECT_EQ(missing.exit_code, kIoError);
  auto with_profile =
      run_cli({"sim", "--replay", (dir.path() / "fleet.log").string(), "--profile", "ec2x", "--link", link.string()});
  EXPECT_EQ(with_profile.exit_code, kUsage);
  auto port_alone = run_cli({"sim", "--replay-port", "/dev/ttyUSB2", "--profile", "ec2x", "--firmware",
                             sample_firmware("v1").string(), "--link", link.string()});
  EXPECT_EQ(port_alone.exit_code, kUsage);
  EXPECT_FALSE(fs::exists(link));
}

} // namespace
} // namespace dfota::test
