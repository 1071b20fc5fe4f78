// `dfota sim` as the real program, driven by `dfota upload` through Main():
// the whole story a user runs, with its exit codes and outputs.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>

#include "cli/exit_codes.hpp"
#include "package/zip_container.hpp"
#include "profiles/profile.hpp"
#include "support/fake_sysfs.hpp"
#include "support/loopback_servers.hpp"
#include "support/sim_harness.hpp"
#include "support/sim_process.hpp"
#include "support/terminal.hpp"
#include "transport/port_opener.hpp"
#include "upload/package_server.hpp"
#include "upload/uploader.hpp"

namespace dfota::test {
namespace {

using namespace dfota::cli;

nlohmann::json last_json_line(const std::string& out) {
  auto end = out.find_last_not_of('\n');
  auto start = out.rfind('\n', end);
  return nlohmann::json::parse(
      out.substr(start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1) + 1));
}

TEST(SimAndUpload, TheWholeUpgradeWithJsonEvents) {
  ScratchDir dir;
  SimProcess sim(dir.path(), "ec2x");
  auto r = run_cli(
      {"upload", sample_packages().forward.string(), "--port", sim.link().string(), "--json", "--guard-ms", "200"});
  EXPECT_EQ(r.exit_code, kOk) << r.out << r.err;
  auto summary = last_json_line(r.out);
  EXPECT_EQ(summary["event"], "summary");
  EXPECT_EQ(summary["ok"], true);
  EXPECT_EQ(summary["method"], "qfupl");
  EXPECT_EQ(summary["lwm2m_result"], 1);
  EXPECT_EQ(summary["aws_iot_job_status"], "SUCCEEDED");
  EXPECT_EQ(summary["upload_bytes"], fs::file_size(sample_packages().forward));
  EXPECT_EQ(summary["module_version_before"], "EC25EFAR06A06M4G_01.003.01.003");
  EXPECT_EQ(summary["module_version_after"], "EC25EFAR06A07M4G_01.004.01.004");
  EXPECT_TRUE(summary["error_code"].is_null()) << "no module code: null, never 0";
  EXPECT_TRUE(summary.contains("upload_seconds"));
  EXPECT_NE(r.out.find("\"stage\":\"UPDATING\""), std::string::npos);
  EXPECT_EQ(sim.terminate(), kOk);
  EXPECT_TRUE(same_tree(sim.firmware(), sample_firmware("v2")));
}

TEST(SimAndUpload, PowerLossExits22AndTheNextStartCompletes) {
  ScratchDir dir;
  SimProcess sim(dir.path(), "rg50xq", {"--power-loss-at", "50"});
  auto host = std::async(std::launch::async, [&] {
    return run_cli({"upload", sample_packages().forward.string(), "--port", sim.link().string(), "--guard-ms", "200",
                    "--timeout", "port=20"});
  });
  EXPECT_EQ(sim.wait_exit(20000), kPowerLost);
  EXPECT_TRUE(same_tree(sim.firmware(), sample_firmware("v1")));
  sim.start();
  auto r = host.get();
  EXPECT_EQ(r.exit_code, kOk) << r.out << r.err;
  EXPECT_NE(r.out.find("-> EC25EFAR06A07M4G_01.004.01.004"), std::string::npos) << r.out;
  EXPECT_EQ(sim.terminate(), kOk);
  EXPECT_TRUE(same_tree(sim.firmware(), sample_firmware("v2")));
}

TEST(SimAndUpload, ServeLetsTheModuleDownloadFromTheTool) {
  ScratchDir dir;
  SimProcess sim(dir.path(), "rg50xq");
  auto r = run_cli({"upload", sample_packages().forward.string(), "--port", sim.link().string(), "--serve",
                    "127.0.0.1:0", "--apn", "internet", "--guard-ms", "200"});
  EXPECT_EQ(r.exit_code, kOk) << r.out << r.err;
  EXPECT_NE(r.err.find("serving update-v1-to-v2.zip at http://127.0.0.1:"), std::string::npos) << r.err;
  EXPECT_EQ(sim.terminate(), kOk);
  EXPECT_TRUE(same_tree(sim.firmware(), sample_firmware("v2")));
}

TEST(SimAndUpload, EightModulesDownloadFromOneServeAtOnce) {
  ScratchDir dir;
  std::vector<std::unique_ptr<SimProcess>> modules;
  std::string ports;
  for (int i = 0; i < 8; ++i) {
    const std::string profile = i % 2 ? "ec2x" : "rg50xq";
    modules.push_back(
        std::make_unique<SimProcess>(dir.path(), profile, std::vector<std::string>{}, "slot" + std::to_string(i)));
    ports += modules.back()->link().string() + "\n";
  }
  write_text(dir / "ports.txt", ports);
  auto r = run_cli({"upload", sample_packages().forward.string(), "--ports-file", (dir / "ports.txt").string(),
                    "--serve", "127.0.0.1:0", "--apn", "internet", "--guard-ms", "200"});
  EXPECT_EQ(r.exit_code, kOk) << r.out << r.err;
  EXPECT_NE(r.err.find("served update-v1-to-v2.zip: 8 download(s) completed"), std::string::npos) << r.err;
  for (auto& module : modules) {
    EXPECT_EQ(module->terminate(), kOk);
    EXPECT_TRUE(same_tree(module->firmware(), sample_firmware("v2")));
  }
}

TEST(SimAndUpload, TheSummaryNamesEachOutcomeInLwm2mHawkbitAndAwsTerms) {
  ScratchDir dir;
  SimProcess ok(dir.path(), "ec2x", {}, "ok");
  SimProcess refuses(dir.path(), "rg50xq", {"--fail-code", "510"}, "refuses");
  SimProcess full(dir.path(), "rg50xq", {"--fs-full"}, "full");
  SimProcess corrupts(dir.path(), "ec2x", {"--corrupt-upload"}, "corrupts");
  write_text(dir / "ports.txt", ok.link().string() + "\n" + refuses.link().string() + "\n" + full.link().string() +
                                    "\n" + corrupts.link().string() + "\n");
  auto r = run_cli({"upload", sample_packages().forward.string(), "--ports-file", (dir / "ports.txt").string(),
                    "--json", "--guard-ms", "200", "--junit", (dir / "fleet.xml").string()});
  EXPECT_NE(r.exit_code, kOk);
  std::map<std::string, nlohmann::json> summaries;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line);
    if (j["event"] == "summary") summaries[j["port"]] = j;
  }
  ASSERT_EQ(summaries.size(), 4u) << r.out;
  struct Expected {
    const SimProcess* module;
    int result, state;
    const char *execution, *finished, *aws;
  };
  for (const auto& e : {Expected{&ok, 1, 0, "closed", "success", "SUCCEEDED"},
                        Expected{&refuses, 6, 2, "closed", "failure", "FAILED"},  // END 510: the wrong source
                        Expected{&full, 2, 0, "rejected", "failure", "REJECTED"}, // pre-flight: 511 predicted
                        Expected{&corrupts, 5, 0, "closed", "failure", "FAILED"}}) {
    const auto& j = summaries[e.module->link().string()];
    EXPECT_EQ(j["lwm2m_result"], e.result) << j.dump();
    EXPECT_EQ(j["lwm2m_state"], e.state) << j.dump();
    EXPECT_EQ(j["hawkbit"]["execution"], e.execution) << j.dump();
    EXPECT_EQ(j["hawkbit"]["finished"], e.finished) << j.dump();
    EXPECT_EQ(j["aws_iot_job_status"], e.aws) << j.dump();
    EXPECT_TRUE(j["by_path"].is_null()) << "a pseudo-terminal has no by-path name";
  }
  const std::string junit = read_text(dir / "fleet.xml");
  EXPECT_NE(junit.find("lwm2m_result: 6 (Unsupported package type)"), std::string::npos) << junit;
  for (auto* module : {&ok, &refuses, &full, &corrupts})
    EXPECT_EQ(module->terminate(), kOk);
}

TEST(SimAndUpload, OnATerminalEachModuleHasItsOwnLiveLine) {
  ScratchDir dir;
  SimProcess a(dir.path(), "ec2x", {}, "a");
  SimProcess b(dir.path(), "rg50xq", {}, "b");
  int exit_code = -1;
  const std::string terminal = run_on_a_terminal({"upload", sample_packages().forward.string(), "--port",
                                                  a.link().string(), "--port", b.link().string(), "--guard-ms", "200"},
                                                 (dir / "out").string(), "xterm", &exit_code);
  EXPECT_EQ(exit_code, kOk) << terminal;
  const auto screen = screen_after(terminal);
  // The last two lines written are the two modules' own, in --port order.
  std::vector<std::string> lines(screen.begin(), screen.end());
  while (!lines.empty() && lines.back().empty())
    lines.pop_back();
  ASSERT_GE(lines.size(), 3u) << terminal;
  const std::string tag_a = "[" + a.link().string() + "] ", tag_b = "[" + b.link().string() + "] ";
  EXPECT_EQ(lines[lines.size() - 2].rfind(tag_a, 0), 0u) << lines[lines.size() - 2];
  EXPECT_EQ(lines[lines.size() - 1].rfind(tag_b, 0), 0u) << lines[lines.size() - 1];
  // Above them, the events of both, each line whole.
  std::size_t of_a = 0, of_b = 0;
  for (std::size_t i = 0; i + 2 < lines.size(); ++i) {
    of_a += lines[i].rfind(tag_a, 0) == 0;
    of_b += lines[i].rfind(tag_b, 0) == 0;
    EXPECT_TRUE(lines[i].rfind(tag_a, 0) == 0 || lines[i].rfind(tag_b, 0) == 0) << lines[i];
  }
  EXPECT_GT(of_a, 3u);
  EXPECT_GT(of_b, 3u);
  EXPECT_NE(read_text(dir / "out").find("PORT"), std::string::npos) << "the summary table is on standard output";
  EXPECT_EQ(a.terminate(), kOk);
  EXPECT_EQ(b.terminate(), kOk);
}

TEST(SimAndUpload, AServeAddressInUseStopsBeforeAnyModuleIsTouched) {
  ScratchDir dir;
  SimProcess sim(dir.path(), "rg50xq");
  auto first = upload::PackageServer::start("127.0.0.1:0", sample_packages().forward);
  ASSERT_TRUE(first) << first.error().message();
  const std::string taken = "127.0.0.1:" + std::to_string((*first)->port());
  auto r = run_cli({"upload", sample_packages().forward.string(), "--port", sim.link().string(), "--serve", taken,
                    "--guard-ms", "200"});
  EXPECT_EQ(r.exit_code, kPortError) << r.err;
  EXPECT_EQ(r.err, "dfota: error: --serve " + taken + ": cannot listen there: Address already in use\n");
  EXPECT_EQ((*first)->requests(), 0u);
  EXPECT_EQ(sim.terminate(), kOk);
  EXPECT_TRUE(same_tree(sim.firmware(), sample_firmware("v1")));
}

TEST(SimAndUpload, AFleetGoesOnPastOneFailureAndSumsUp) {
  ScratchDir dir;
  SimProcess good(dir.path(), "ec2x");
  SimProcess bad(dir.path(), "rg50xq", {"--fail-code", "510"});
  write_text(dir / "ports.txt", "# line 3\n" + good.link().string() + "\n" + bad.link().string() + "\n");
  auto r = run_cli({"upload", sample_packages().forward.string(), "--ports-file", (dir / "ports.txt").string(),
                    "--guard-ms", "200"});
  EXPECT_EQ(r.exit_code, kModuleError) << r.out << r.err;
  EXPECT_NE(r.out.find("PORT"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ok"), std::string::npos);
  EXPECT_NE(r.out.find("failed"), std::string::npos);
  EXPECT_NE(r.out.find("510"), std::string::npos);
  EXPECT_EQ(good.terminate(), kOk);
  EXPECT_EQ(bad.terminate(), kOk);
  EXPECT_TRUE(same_tree(good.firmware(), sample_firmware("v2")));
  EXPECT_TRUE(same_tree(bad.firmware(), sample_firmware("v1")));
}

size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

TEST(SimAndUpload, JUnitHasOneCasePerModuleAndTheLogsKeepTheConversation) {
  ScratchDir dir;
  SimProcess good(dir.path(), "ec2x", {"--log-file", (dir / "sim-good.log").string()});
  SimProcess bad(dir.path(), "rg50xq", {"--fail-code", "510"});
  auto r = run_cli({"upload", sample_packages().forward.string(), "--port", good.link().string(), "--port",
                    bad.link().string(), "--guard-ms", "200", "--junit", (dir / "upload.xml").string(), "--log-file",
                    (dir / "upload.log").string()});
  EXPECT_EQ(r.exit_code, kModuleError) << r.out << r.err;
  EXPECT_EQ(good.terminate(), kOk);
  EXPECT_EQ(bad.terminate(), kOk);

  const std::string xml = read_text(dir / "upload.xml");
  EXPECT_EQ(junit_schema_problems(dir / "upload.xml"), "") << xml;
  EXPECT_EQ(count(xml, "<testcase "), 2u) << xml;
  EXPECT_NE(xml.find("<testcase name=\"" + good.link().string() + "\" classname=\"dfota.upload.ec2x\""),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<testcase name=\"" + bad.link().string() + "\" classname=\"dfota.upload.rg50xq\""),
            std::string::npos)
      << xml;
  EXPECT_EQ(count(xml, "<failure "), 1u) << xml;
  EXPECT_NE(xml.find("type=\"module-error-510\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("module: END 0"), std::string::npos) << xml; // the good module's record

  // The host's log: both ports, both directions, timestamps, the outcome.
  const std::string log = read_text(dir / "upload.log");
  const std::string stamp = "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}Z";
  EXPECT_TRUE(std::regex_search(log, std::regex(stamp + " \\[" + good.link().string() + "\\] > AT\\+QGMR"))) << log;
  EXPECT_TRUE(std::regex_search(log, std::regex(stamp + " \\[" + bad.link().string() + "\\] < \\+QIND: \"FOTA\"")))
      << log;
  EXPECT_NE(log.find("failed (exit 25)"), std::string::npos) << log;
  EXPECT_NE(log.find("upgraded: "), std::string::npos) << log;
  // The module's log: what it heard ('<') and said ('>').
  const std::string sim_log = read_text(dir / "sim-good.log");
  EXPECT_TRUE(std::regex_search(sim_log, std::regex(stamp + " \\[" + good.link().string() + "\\] < AT\\+QFUPL")))
      << sim_log;
  EXPECT_TRUE(std::regex_search(sim_log, std::regex(stamp + " .* > \\+QIND: \"FOTA\",\"END\", ?0"))) << sim_log;
}

TEST(SimAndUpload, PasswordsNeverAppearInAnyOutput) {
  ScratchDir dir;
  fs::create_directories(dir / "www");
  fs::copy_file(sample_packages().forward, dir / "www" / "u.zip");
  FtpServer ftp(dir / "www", dir / "ftp");
  ASSERT_TRUE(ftp.ready());
  SimProcess sim(dir.path(), "ec2x", {"--log-file", (dir / "sim.log").string()});
  auto r = run_cli({"upload", sample_packages().forward.string(), "--port", sim.link().string(), "--url",
                    ftp.url("u.zip", "hunter2secret"), "--log", "--guard-ms", "200", "--log-file",
                    (dir / "upload.log").string(), "--junit", (dir / "upload.xml").string()});
  EXPECT_EQ(r.exit_code, kOk) << r.out << r.err;
  EXPECT_EQ(r.out.find("hunter2secret"), std::string::npos);
  EXPECT_EQ(r.err.find("hunter2secret"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("AT+QFOTADL=\"ftp://anonymous:***@"), std::string::npos) << r.err;
  for (const char* file : {"upload.log", "upload.xml", "sim.log"}) {
    const std::string text = read_text(dir / file);
    EXPECT_EQ(text.find("hunter2secret"), std::string::npos) << file << ":\n" << text;
    EXPECT_NE(text.find("ftp://anonymous:***@"), std::string::npos) << file << ":\n" << text;
  }
  auto json = run_cli({"upload", sample_packages().reverse.string(), "--port", sim.link().string(), "--url",
                       ftp.url("nothere.zip", "hunter2secret"), "--json", "--no-validate", "--guard-ms", "200"});
  EXPECT_EQ(json.exit_code, kModuleError) << json.out;
  EXPECT_EQ(json.out.find("hunter2secret"), std::string::npos) << json.out;
  EXPECT_EQ(last_json_line(json.out)["error_scope"], "ftp");
  EXPECT_EQ(sim.terminate(), kOk);
}

// Vendor packages, as real modules take them: an Android-recovery style
// zip (Qualcomm families) and an opaque .bin (ASR, Unisoc).
constexpr const char* kVendorTarget = "EC25EFAR06A07M4G_01.004.01.004";

fs::path vendor_zip(const fs::path& dir) {
  const fs::path path = dir / "update-vendor.zip";
  auto zip = package::ZipWriter::create(path);
  EXPECT_TRUE(zip);
  EXPECT_TRUE(zip->add_bytes("META-INF/com/google/android/update-binary", random_bytes(3000, 7)));
  const std::string metadata = "ota-type=BLOCK\npre-device=ec25\n";
  EXPECT_TRUE(zip->add_bytes("META-INF/com/android/metadata", Bytes(metadata.begin(), metadata.end())));
  EXPECT_TRUE(zip->add_bytes("system.patch.dat", random_bytes(20000, 8)));
  EXPECT_TRUE(zip->close());
  return path;
}

fs::path vendor_bin(const fs::path& dir) {
  const fs::path path = dir / "EC200TCNTCNMAR02A02M16.bin";
  Bytes bytes = random_bytes(30000, 9);
  bytes[0] = 'A'; // never "PK"
  write_file(path, bytes);
  return path;
}

TEST(SimAndUpload, VendorPackagesGoByEveryMethodAndTheTargetIsConfirmed) {
  ScratchDir dir;
  const fs::path zip = vendor_zip(dir.path()), bin = vendor_bin(dir.path());
  struct Case {
    std::string profile, method;
    fs::path package;
    std::vector<std::string> extra;
  };
  const std::vector<Case> cases{
      {"ugxx", "com", zip, {}},
      {"ec200t", "file", bin, {}},
      {"ec2x", "qfupl", zip, {}},
      {"rg50xq", "qfupl", zip, {}},
      {"ec2x", "url", zip, {"--serve", "127.0.0.1:0"}},
  };
  for (const auto& c : cases) {
    const std::string name = c.profile + "-" + c.method;
    SimProcess sim(dir.path(), c.profile, {"--vendor-upgrade-to", kVendorTarget}, name);
    std::vector<std::string> args{"upload",       c.package.string(), "--port", sim.link().string(), "--profile",
                                  c.profile,      "--method",         c.method, "--guard-ms",        "200",
                                  "--to-version", kVendorTarget,      "--json"};
    if (c.method == "url") args.erase(args.begin() + 6, args.begin() + 8); // --serve picks the url method
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, kOk) << name << "\n" << r.out << r.err;
    auto summary = last_json_line(r.out);
    EXPECT_EQ(summary["module_version_after"], kVendorTarget) << name;
    EXPECT_EQ(summary["target_stated"], true) << name;
    EXPECT_EQ(summary["upload_bytes"], c.method == "url" ? 0 : fs::file_size(c.package)) << name;
    EXPECT_EQ(sim.terminate(), kOk) << name;
  }
}

TEST(SimAndUpload, WithoutAStatedTargetAVendorUpgradeMustChangeTheRevision) {
  ScratchDir dir;
  const fs::path zip = vendor_zip(dir.path());
  {
    SimProcess sim(dir.path(), "ec2x", {"--vendor-upgrade-to", kVendorTarget}, "changes");
    auto r = run_cli({"upload", zip.string(), "--port", sim.link().string(), "--guard-ms", "200", "--json"});
    EXPECT_EQ(r.exit_code, kOk) << r.out << r.err;
    auto summary = last_json_line(r.out);
    EXPECT_EQ(summary["target_stated"], false);
    EXPECT_TRUE(summary["target_version"].is_null());
    EXPECT_EQ(summary["module_version_after"], kVendorTarget);
    EXPECT_EQ(sim.terminate(), kOk);
  }
  // END 0, but the module comes back on the revision it ran: exit 28, with
  // a stated target and without.
  const std::string before = "EC25EFAR06A06M4G_01.003.01.003";
  for (const bool stated : {true, false}) {
    SimProcess sim(dir.path(), "ec2x", {"--vendor-upgrade-to", before}, stated ? "stays-stated" : "stays");
    std::vector<std::string> args{"upload", zip.string(), "--port", sim.link().string(), "--guard-ms", "200"};
    if (stated) args.insert(args.end(), {"--to-version", kVendorTarget});
    auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, kWrongVersion) << stated << "\n" << r.out << r.err;
    EXPECT_NE(r.err.find("END 0 but runs " + before), std::string::npos) << r.err;
    EXPECT_EQ(sim.terminate(), kOk);
  }
}

TEST(SimAndUpload, FromVersionRefusesAnotherModuleBeforeAnythingIsSent) {
  ScratchDir dir;
  const fs::path zip = vendor_zip(dir.path());
  SimProcess sim(dir.path(), "ec2x", {"--vendor-upgrade-to", kVendorTarget, "--log-file", (dir / "sim.log").string()});
  auto r = run_cli({"upload", zip.string(), "--port", sim.link().string(), "--guard-ms", "200", "--from-version",
                    "EC25EFAR06A05M4G_01.001.01.001"});
  EXPECT_EQ(r.exit_code, kValidationFailed) << r.out << r.err;
  EXPECT_NE(r.err.find("not --from-version EC25EFAR06A05M4G_01.001.01.001; nothing was sent"), std::string::npos)
      << r.err;
  EXPECT_EQ(sim.terminate(), kOk);
  const std::string log = read_text(dir / "sim.log");
  EXPECT_EQ(log.find("QFUPL"), std::string::npos) << log;
  EXPECT_EQ(log.find("QFOTADL"), std::string::npos) << log;
  EXPECT_TRUE(same_tree(sim.firmware(), sample_firmware("v1")));
}

// samples/vendor/update-vendor.zip states pre-build EC25EFAR06A06M4G and
// post-build EC25EFAR06A07M4G in its metadata: without --to-version and
// --from-version those are the revisions expected, and the uploader says so.
TEST(SimAndUpload, AVendorZipsMetadataNamesTheRevisionsExpected) {
  ScratchDir dir;
  const fs::path zip = source_dir() / "samples" / "vendor" / "update-vendor.zip";
  {
    SimProcess sim(dir.path(), "ec2x", {"--vendor-upgrade-to", kVendorTarget}, "meta");
    auto r = run_cli({"upload", zip.string(), "--port", sim.link().string(), "--guard-ms", "200", "--json"});
    EXPECT_EQ(r.exit_code, kOk) << r.out << r.err;
    auto summary = last_json_line(r.out);
    EXPECT_EQ(summary["target_version"], "EC25EFAR06A07M4G");
    EXPECT_EQ(summary["target_stated"], true);
    EXPECT_EQ(summary["module_version_after"], kVendorTarget);
    EXPECT_NE(r.out.find("as the package's META-INF/com/android/metadata states it"), std::string::npos) << r.out;
    EXPECT_EQ(sim.terminate(), kOk);
  }
  {
    // A module on another revision than pre-build: refused before sending.
    SimProcess sim(dir.path(), "ec2x", {"--vendor-upgrade-to", kVendorTarget}, "meta-other");
    sim.terminate();
    write_text(sim.firmware() / "firmware.json",
               R"({"project": "EC25EFA", "version": "EC25EFAR06A05M4G_01.001.01.001"})");
    sim.start({"--vendor-upgrade-to", kVendorTarget});
    auto r = run_cli({"upload", zip.string(), "--port", sim.link().string(), "--guard-ms", "200"});
    EXPECT_EQ(r.exit_code, kValidationFailed) << r.out << r.err;
    EXPECT_NE(r.err.find("pre-build EC25EFAR06A06M4G; nothing was sent"), std::string::npos) << r.err;
    EXPECT_EQ(sim.terminate(), kOk);
  }
}

// dfota probe reads a module before and after an upgrade and changes
// nothing: only read commands reach the module.
TEST(SimAndUpload, ProbeReadsAModuleBeforeAndAfter) {
  ScratchDir dir;
  SimProcess sim(dir.path(), "ec2x", {"--log-file", (dir / "sim.log").string()});
  auto before = run_cli({"probe", "--port", sim.link().string(), "--guard-ms", "200"});
  EXPECT_EQ(before.exit_code, kOk) << before.err;
  EXPECT_NE(before.out.find("revision      EC25EFAR06A06M4G_01.003.01.003"), std::string::npos) << before.out;
  EXPECT_NE(before.out.find("family        EC25/EC21 (--profile ec2x)"), std::string::npos) << before.out;
  EXPECT_NE(before.out.find("files         (none)"), std::string::npos) << before.out;
  const std::string probed = read_text(dir / "sim.log");
  for (const char* writes : {"QFUPL", "QFDEL", "QFOTADL", "IFC=", "CFUN"})
    EXPECT_EQ(probed.find(writes), std::string::npos) << writes << " sent by probe:\n" << probed;

  auto r = run_cli({"upload", sample_packages().forward.string(), "--port", sim.link().string(), "--guard-ms", "200"});
  EXPECT_EQ(r.exit_code, kOk) << r.out << r.err;
  auto after = run_cli({"probe", "--port", sim.link().string(), "--guard-ms", "200", "--json"});
  EXPECT_EQ(after.exit_code, kOk) << after.err;
  auto j = nlohmann::json::parse(after.out);
  EXPECT_EQ(j["schema"], "dfota.probe/1");
  EXPECT_EQ(j["revision"], "EC25EFAR06A07M4G_01.004.01.004");
  EXPECT_EQ(j["model"], "EC25");
  EXPECT_EQ(j["profile"], "ec2x");
  EXPECT_EQ(j["flow_control"], "0,0");
  ASSERT_EQ(j["files"].size(), 1u) << after.out; // AT+QFUPL's file stays in the store
  EXPECT_EQ(j["files"][0]["name"], "update-v1-to-v2.zip");
  EXPECT_EQ(j["files"][0]["size"], fs::file_size(sample_packages().forward));
  EXPECT_LT(j["free_space"].get<std::uint64_t>(), j["total_space"].get<std::uint64_t>());
  EXPECT_EQ(sim.terminate(), kOk);

  auto no_port = run_cli({"probe", "--port", (dir / "nothing").string()});
  EXPECT_EQ(no_port.exit_code, kPortError) << no_port.err;
}

TEST(SimAndUpload, AModuleRefusesAPackageNotMadeForIt) {
  // Without --vendor-upgrade-to the simulated module takes dfota packages
  // only, as a real one takes its vendor's only: END with the family's code.
  ScratchDir dir;
  SimProcess sim(dir.path(), "ec2x");
  auto r = run_cli({"upload", vendor_zip(dir.path()).string(), "--port", sim.link().string(), "--guard-ms", "200"});
  EXPECT_EQ(r.exit_code, kModuleError) << r.out << r.err;
  EXPECT_EQ(sim.terminate(), kOk);
  EXPECT_TRUE(same_tree(sim.firmware(), sample_firmware("v1")));
}

TEST(SimAndUpload, BadInputGetsOneLineAndItsExitCode) {
  ScratchDir dir;
  auto no_port = run_cli({"upload", sample_packages().forward.string(), "--port", (dir / "nothing").string()});
  EXPECT_EQ(no_port.exit_code, kPortError) << no_port.err;
  EXPECT_NE(no_port.err.find("No such file"), std::string::npos) << no_port.err;
  auto missing = run_cli({"upload", (dir / "missing.zip").string(), "--port", "/dev/null"});
  EXPECT_EQ(missing.exit_code, kPackageNotFound);
  write_file(dir / "empty.bin", Bytes{});
  auto empty = run_cli({"upload", (dir / "empty.bin").string(), "--port", "/dev/null"});
  EXPECT_EQ(empty.exit_code, kPackageEmpty) << empty.err;
  fs::create_directories(dir / "a-directory");
  auto directory = run_cli({"upload", (dir / "a-directory").string(), "--port", "/dev/null"});
  EXPECT_EQ(directory.exit_code, kIoError) << directory.err;
  EXPECT_NE(directory.err.find("not a regular file"), std::string::npos) << directory.err;
  auto not_a_tty = run_cli({"upload", sample_packages().forward.string(), "--port", "/dev/null"});
  EXPECT_EQ(not_a_tty.exit_code, kPortError) << not_a_tty.err;
  auto no_ports = run_cli({"upload", sample_packages().forward.string()});
  EXPECT_EQ(no_ports.exit_code, kUsage);
  auto bad_timeout = run_cli({"upload", sample_packages().forward.string(), "--port", "x", "--timeout", "urc=abc"});
  EXPECT_EQ(bad_timeout.exit_code, kUsage);
  SimProcess sim(dir.path(), "ec2x");
  auto com = run_cli({"upload", sample_packages().forward.string(), "--port", sim.link().string(), "--method", "com",
                      "--guard-ms", "200"});
  EXPECT_EQ(com.exit_code, kMethodUnsupported) << com.out << com.err;
  auto sim_bad = run_cli(
      {"sim", "--profile", "bg96", "--firmware", sample_firmware("v1").string(), "--link", (dir / "p").string()});
  EXPECT_EQ(sim_bad.exit_code, kUsage);
  EXPECT_EQ(sim.terminate(), kOk);
}

} // namespace
} // namespace dfota::test
