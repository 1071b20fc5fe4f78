// The command line as a user meets it: exit codes, output, golden files.
#include <chrono>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/exit_codes.hpp"
#include "core/hash.hpp"
#include "core/subprocess.hpp"
#include "package/zip_container.hpp"
#include "support/terminal.hpp"
#include "support/test_support.hpp"

namespace dfota::cli {
namespace {

namespace fs = std::filesystem;
using test::run_cli;

// Runs with the repository root as the working directory so that paths in
// the output are the same on every machine.
class InSourceDir : public ::testing::Test {
protected:
  void SetUp() override {
    saved_ = fs::current_path();
    fs::current_path(test::source_dir());
  }
  void TearDown() override { fs::current_path(saved_); }
  fs::path saved_;
};

TEST(Cli, HelpListsVerbsExamplesAndExitCodes) {
  auto r = run_cli({"--help"});
  EXPECT_EQ(r.exit_code, kOk);
  for (const char* word : {"build", "inspect", "apply", "checksum", "Examples:", "Exit codes:", "source firmware"}) {
    EXPECT_NE(r.out.find(word), std::string::npos) << word;
  }
  auto build_help = run_cli({"build", "--help"});
  EXPECT_EQ(build_help.exit_code, kOk);
  EXPECT_NE(build_help.out.find("--reverse-output"), std::string::npos);
}

TEST(Cli, UsageErrorsExitWithTwoAndOneLine) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{},
        {"frobnicate"},
        {"build", "--from", "a"},
        {"build", "--from", "a", "--to", "b", "-o", "c", "--engine", "bsdiff"}}) {
    auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, kUsage);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.err.rfind("dfota: error: ", 0), 0u) << r.err;
  }
}

TEST(Cli, BuildInspectApplyOnTheSample) {
  test::ScratchDir dir;
  const std::string v1 = test::sample_firmware("v1").string(), v2 = test::sample_firmware("v2").string();
  auto built = run_cli({"build", "--from", v1, "--to", v2, "-o", (dir / "f.zip").string(), "--reverse-output",
                        (dir / "r.zip").string()});
  ASSERT_EQ(built.exit_code, kOk) << built.err;
  EXPECT_NE(built.out.find("built " + (dir / "f.zip").string()), std::string::npos);
  EXPECT_NE(built.out.find("built " + (dir / "r.zip").string()), std::string::npos);

  auto inspected = run_cli({"inspect", (dir / "f.zip").string(), "--json"});
  ASSERT_EQ(inspected.exit_code, kOk) << inspected.err;
  auto j = nlohmann::json::parse(inspected.out);
  EXPECT_EQ(j["project"], "EC25EFA");
  EXPECT_EQ(j["source_version"], "EC25EFAR06A06M4G_01.003.01.003");
  EXPECT_EQ(j["target_version"], "EC25EFAR06A07M4G_01.004.01.004");
  ASSERT_EQ(j["partitions"].size(), 3u);
  for (const auto& p : j["partitions"]) {
    for (const char* key : {"name", "kind", "op", "engine", "payload", "payload_size", "source", "target"}) {
      EXPECT_TRUE(p.contains(key)) << key;
    }
    for (const char* key : {"size", "sha256", "md5"})
      EXPECT_TRUE(p["target"].contains(key)) << key;
  }

  auto applied = run_cli({"apply", (dir / "f.zip").string(), "--source", v1, "-o", (dir / "out").string()});
  ASSERT_EQ(applied.exit_code, kOk) << applied.err;
  EXPECT_TRUE(test::same_tree(dir / "out", v2));
  auto reverted = run_cli({"apply", (dir / "r.zip").string(), "--source", v2, "-o", (dir / "back").string()});
  ASSERT_EQ(reverted.exit_code, kOk) << reverted.err;
  EXPECT_TRUE(test::same_tree(dir / "back", v1));
}

TEST_F(InSourceDir, InspectOutputMatchesTheGoldenFiles) {
  auto text = run_cli({"inspect", "tests/golden/sample-v1-to-v2.zip"});
  ASSERT_EQ(text.exit_code, kOk) << text.err;
  test::expect_golden("inspect-sample.txt", text.out);
  auto json = run_cli({"inspect", "tests/golden/sample-v1-to-v2.zip", "--json"});
  ASSERT_EQ(json.exit_code, kOk) << json.err;
  test::expect_golden("inspect-sample.json", json.out);
}

TEST_F(InSourceDir, ChecksumOutputMatchesTheGoldenFile) {
  auto r = run_cli({"checksum", "samples/firmware/v1/boot.img", "samples/firmware/v2/boot.img"});
  ASSERT_EQ(r.exit_code, kOk) << r.err;
  test::expect_golden("checksum-sample.txt", r.out);
  auto j = run_cli({"checksum", "--json", "samples/firmware/v1/boot.img"});
  auto parsed = nlohmann::json::parse(j.out);
  Bytes boot = test::read_bytes("samples/firmware/v1/boot.img");
  ModuleChecksum c;
  c.update(boot);
  EXPECT_EQ(parsed["files"][0]["checksum"], c.hex());
  EXPECT_EQ(parsed["files"][0]["sha256"], sha256_hex(boot));
}

TEST(Cli, InspectListsAForeignZip) {
  test::ScratchDir dir;
  auto zip = package::ZipWriter::create(dir / "update.zip");
  ASSERT_TRUE(zip);
  ASSERT_TRUE(zip->add_bytes("META-INF/com/google/android/updater-script", Bytes{'x'}));
  ASSERT_TRUE(zip->close());
  auto r = run_cli({"inspect", (dir / "update.zip").string()});
  EXPECT_EQ(r.exit_code, kOk) << r.err;
  EXPECT_NE(r.out.find("Android recovery"), std::string::npos) << r.out;
  auto j = nlohmann::json::parse(run_cli({"inspect", (dir / "update.zip").string(), "--json"}).out);
  EXPECT_EQ(j["layout"], "android-recovery");
  EXPECT_TRUE(j["project"].is_null());
}

TEST(Cli, DiffAndPatchRoundTripOneImage) {
  test::ScratchDir dir;
  const std::string v1 = (test::sample_firmware("v1") / "modem.img").string();
  const std::string v2 = (test::sample_firmware("v2") / "modem.img").string();
  for (const char* engine : {"zstd", "vcdiff", "full"}) {
    // The same outputs each time: --force replaces them.
    auto d = run_cli({"diff", v1, v2, "-o", (dir / "p").string(), "--engine", engine, "--force"});
    ASSERT_EQ(d.exit_code, kOk) << d.err;
    auto p = run_cli({"patch", v1, (dir / "p").string(), "-o", (dir / "n").string(), "--engine", engine, "-f"});
    ASSERT_EQ(p.exit_code, kOk) << p.err;
    EXPECT_EQ(test::read_bytes(dir / "n"), test::read_bytes(v2)) << engine;
  }
}

TEST(Cli, PatchReadsThePayloadFromStandardInputAsDash) {
  test::ScratchDir dir;
  const std::string v1 = (test::sample_firmware("v1") / "modem.img").string();
  const std::string v2 = (test::sample_firmware("v2") / "modem.img").string();
  const std::string payload = (dir / "p").string(), result = (dir / "n").string();
  ASSERT_EQ(run_cli({"diff", v1, v2, "-o", payload}).exit_code, kOk);
  auto piped = run_program(
      {"sh", "-c",
       std::string("'") + DFOTA_PROGRAM + "' patch '" + v1 + "' - -o '" + result + "' < '" + payload + "'"});
  ASSERT_TRUE(piped && piped->exit_status == 0) << (piped ? piped->error_output : "");
  EXPECT_EQ(test::read_bytes(result), test::read_bytes(v2));
}

TEST(Cli, DiffAndPatchNeverWriteOverTheirInputsButPatchInPlace) {
  test::ScratchDir dir;
  const fs::path old_image = dir / "old.img", new_image = dir / "new.img", payload = dir / "p";
  fs::copy_file(test::sample_firmware("v1") / "modem.img", old_image);
  fs::copy_file(test::sample_firmware("v2") / "modem.img", new_image);
  const Bytes old_bytes = test::read_bytes(old_image), new_bytes = test::read_bytes(new_image);
  for (const auto& [output, input] : {std::pair{(dir / "." / "old.img").string(), "OLD"},
                                      std::pair{(dir / "sub" / ".." / "new.img").string(), "NEW"}}) {
    fs::create_directories(dir / "sub");
    auto r = run_cli({"diff", old_image.string(), new_image.string(), "-o", output});
    EXPECT_EQ(r.exit_code, kUsage) << r.err;
    EXPECT_EQ(r.err, std::string("dfota: error: -o names ") + input + " itself; write the output elsewhere\n");
  }
  EXPECT_EQ(test::read_bytes(old_image), old_bytes);
  EXPECT_EQ(test::read_bytes(new_image), new_bytes);
  ASSERT_EQ(run_cli({"diff", old_image.string(), new_image.string(), "-o", payload.string()}).exit_code, kOk);
  const Bytes payload_bytes = test::read_bytes(payload);
  auto over_payload = run_cli({"patch", old_image.string(), payload.string(), "-o", payload.string()});
  EXPECT_EQ(over_payload.exit_code, kUsage) << over_payload.err;
  EXPECT_EQ(test::read_bytes(payload), payload_bytes);
  // In place: the result replaces OLD once it is whole.
  auto in_place = run_cli({"patch", old_image.string(), payload.string(), "-o", old_image.string()});
  EXPECT_EQ(in_place.exit_code, kOk) << in_place.err;
  EXPECT_EQ(test::read_bytes(old_image), new_bytes);
}

// Builds the sample firmware's v1 -> v2 package with `engine` into `pkg`.
int build_sample_package(const std::string& pkg, const std::string& engine) {
  return run_cli({"build", "--from", test::sample_firmware("v1").string(), "--to", test::sample_firmware("v2").string(),
                  "-o", pkg, "--engine", engine})
      .exit_code;
}

TEST(Cli, InspectTellsTheFormOfNativePayloads) {
  test::ScratchDir dir;
  const std::string pkg = (dir / "update.zip").string();
  ASSERT_EQ(build_sample_package(pkg, "native"), kOk);
  auto text = run_cli({"inspect", pkg});
  ASSERT_EQ(text.exit_code, kOk) << text.err;
  EXPECT_NE(text.out.find("\npayload forms\n  payload/"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("    plain payload: DFN5, "), std::string::npos) << text.out;
  auto json = run_cli({"inspect", pkg, "--json"});
  ASSERT_EQ(json.exit_code, kOk) << json.err;
  const auto parsed = nlohmann::json::parse(json.out);
  std::size_t described = 0;
  for (const auto& partition : parsed["partitions"]) {
    if (partition["engine"] != "native") continue;
    ++described;
    EXPECT_TRUE(partition["payload_form"].is_object()) << partition.dump();
    EXPECT_TRUE(partition["payload_form"].contains("plain payload")) << partition.dump();
  }
  EXPECT_GT(described, 0u);
}

TEST(Cli, ReportsNeverReplaceTheFilesACommandReads) {
  test::ScratchDir dir;
  const std::string pkg = (dir / "update.zip").string();
  ASSERT_EQ(build_sample_package(pkg, "zstd"), kOk);
  const Bytes package = test::read_bytes(pkg);
  const std::string same_pkg = (dir / "." / "update.zip").string();
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"inspect", pkg, "--html", same_pkg}, "--html names the package itself"},
      {{"validate", pkg, "--profile", "ec2x", "--junit", same_pkg}, "--junit names the package itself"},
      {{"upload", pkg, "--port", (dir / "no-port").string(), "--log-file", same_pkg},
       "--log-file names the package itself"},
      {{"upload", pkg, "--port", (dir / "no-port").string(), "--junit", same_pkg}, "--junit names the package itself"},
      {{"upload", pkg, "--port", (dir / "no-port").string(), "--junit", (dir / "r.xml").string(), "--log-file",
        (dir / "." / "r.xml").string()},
       "--junit names the --log-file itself"},
  };
  for (const auto& c : cases) {
    auto r = run_cli(c.args);
    EXPECT_EQ(r.exit_code, kUsage) << c.args[0] << ": " << r.err;
    EXPECT_EQ(r.err, "dfota: error: " + c.message + "; write the output elsewhere\n") << c.args[0];
  }
  EXPECT_EQ(test::read_bytes(pkg), package);
  EXPECT_FALSE(fs::exists(dir / "r.xml"));

  // A simulator's log inside its firmware would become part of it.
  const fs::path firmware = dir / "module-fw";
  fs::copy(test::sample_firmware("v1"), firmware, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  auto sim = run_cli({"sim", "--profile", "ec2x", "--firmware", firmware.string(), "--link", (dir / "tty").string(),
                      "--log-file", (firmware / "sim.log").string()});
  EXPECT_EQ(sim.exit_code, kUsage) << sim.err;
  EXPECT_NE(sim.err.find("inside the --firmware directory"), std::string::npos) << sim.err;
  EXPECT_FALSE(fs::exists(firmware / "sim.log"));
  EXPECT_FALSE(fs::exists(dir / "tty"));
}

TEST(Cli, UploadToAFileThatIsNoPortNamesItOnce) {
  test::ScratchDir dir;
  const std::string pkg = (dir / "update.zip").string(), not_a_port = (dir / "not-a-port").string();
  ASSERT_EQ(run_cli({"build", "--from", test::sample_firmware("v1").string(), "--to",
                     test::sample_firmware("v2").string(), "-o", pkg, "--engine", "zstd"})
                .exit_code,
            kOk);
  test::write_text(not_a_port, "");
  auto r = run_cli({"upload", pkg, "--port", not_a_port});
  EXPECT_EQ(r.exit_code, kPortError) << r.err;
  EXPECT_NE(r.err.find("dfota: error: " + not_a_port + ": not a serial port"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(not_a_port + ": " + not_a_port), std::string::npos) << r.err;
}

TEST(Cli, SizesAndCountsAreWholeNumbers) {
  test::ScratchDir dir;
  const std::string pkg = (dir / "none.zip").string(), image = (dir / "image").string();
  const std::string firmware = (dir / "fw").string(), link = (dir / "tty").string();
  struct Case {
    std::vector<std::string> args;
    std::string option;
  };
  for (const std::string bad : {"-5", "x1", "1.5", ""}) {
    const std::vector<Case> cases = {
        {{"validate", pkg, "--profile", "ec2x", "--free-space", bad}, "--free-space"},
        {{"patch", image, image, "-o", (dir / "out").string(), "--size", bad}, "--size"},
        {{"sim", "--profile", "ec2x", "--firmware", firmware, "--link", link, "--fs-size", bad}, "--fs-size"},
        {{"sim", "--profile", "ec2x", "--firmware", firmware, "--link", link, "--lose-bytes", bad}, "--lose-bytes"},
        {{"sim", "--profile", "ec2x", "--firmware", firmware, "--link", link, "--seed", bad}, "--seed"},
    };
    for (const auto& c : cases) {
      auto r = run_cli(c.args);
      EXPECT_EQ(r.exit_code, kUsage) << c.option << " " << bad << ": " << r.err;
      EXPECT_EQ(r.err.rfind("dfota: error: " + c.option + ": must be a whole number (0 or more), not " + bad, 0), 0u)
          << r.err;
    }
  }
  EXPECT_FALSE(fs::exists(dir / "out"));
  EXPECT_FALSE(fs::exists(link));
}

TEST(Cli, TheInstalledProgramRunsMain) {
  // The real executable, not just Main(): exit status and streams.
  test::ScratchDir dir;
  const std::string cmd =
      std::string(DFOTA_PROGRAM) + " inspect " + (dir / "none.zip").string() + " 2>" + (dir / "err").string();
  int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), kPackageNotFound);
  EXPECT_NE(test::read_text(dir / "err").find("no such package"), std::string::npos);
}

// A build says which partition it is encoding, on a terminal only: the
// real program with its standard error on a pseudo-terminal.
std::string build_on_a_terminal(const std::string& package, const std::string& out_file,
                                const std::vector<std::string>& extra, const std::string& term, int* exit_code) {
  std::vector<std::string> args{
      "build", "--from", test::sample_firmware("v1").string(), "--to", test::sample_firmware("v2").string(),
      "-o",    package};
  args.insert(args.end(), extra.begin(), extra.end());
  return test::run_on_a_terminal(args, out_file, term, exit_code);
}

TEST(Cli, BuildShowsItsPartitionsOnATerminalOnly) {
  test::ScratchDir dir;
  const std::string package = (dir / "p.zip").string();
  int exit_code = -1;
  const std::string terminal = build_on_a_terminal(package, (dir / "out").string(), {}, "xterm", &exit_code);
  EXPECT_EQ(exit_code, kOk) << terminal;
  EXPECT_NE(terminal.find(package + ": encoding modem.img (2/3)"), std::string::npos) << terminal;
  EXPECT_NE(terminal.find(package + ": encoding modem.img (2/3) 100 %"), std::string::npos)
      << "how much of the partition is done: " << terminal;
  EXPECT_TRUE(terminal.ends_with("\r\033[K")) << "the status line is left on the terminal";
  EXPECT_EQ(test::read_text(dir / "out").rfind("built " + package, 0), 0u);
  // Through Main(), whose streams are not the terminal, nothing but the result.
  auto r = test::run_cli({"build", "--from", test::sample_firmware("v1").string(), "--to",
                          test::sample_firmware("v2").string(), "-o", (dir / "q.zip").string()});
  EXPECT_EQ(r.exit_code, kOk);
  EXPECT_EQ(r.err, "");
  // No status lines with --no-progress, on a dumb terminal, or with --quiet.
  for (const auto& [extra, term] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--no-progress"}, "xterm"}, {{}, "dumb"}, {{"-q"}, "xterm"}}) {
    const std::string quiet =
        build_on_a_terminal((dir / "n.zip").string(), (dir / "out2").string(), extra, term, &exit_code);
    EXPECT_EQ(exit_code, kOk) << quiet;
    EXPECT_EQ(quiet.find('\r'), std::string::npos) << term << ": " << quiet;
    std::filesystem::remove(dir / "n.zip");
  }
}

} // namespace
} // namespace dfota::cli

namespace dfota::cli {
namespace {

TEST_F(InSourceDir, ValidateJsonMatchesTheGoldenFile) {
  auto r = test::run_cli({"validate", "tests/golden/sample-v1-to-v2.zip", "--profile", "ec2x", "--module-version",
                          "EC25EFAR06A06M4G_01.003.01.003", "--free-space", "1000000", "--source",
                          "samples/firmware/v1", "--url", "ftp://user:secret@192.0.2.1:21/p.zip", "--upload-name",
                          "p.zip", "--method", "qfupl", "--json"});
  EXPECT_EQ(r.exit_code, kOk) << r.err;
  EXPECT_EQ(r.out.find("secret"), std::string::npos);
  test::expect_golden("validate-sample.json", r.out);
}

TEST_F(InSourceDir, ValidateFailsWithTheModulesCode) {
  auto r = test::run_cli({"validate", "tests/golden/sample-v1-to-v2.zip", "--profile", "ec2x", "--module-version",
                          "EC25EFAR06A07M4G_01.004.01.004", "--free-space", "100"});
  EXPECT_EQ(r.exit_code, kValidationFailed);
  EXPECT_NE(r.out.find("505"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("504"), std::string::npos) << r.out; // no space: EC2x knows only "upgrade failed"
  auto bad_profile = test::run_cli({"validate", "tests/golden/sample-v1-to-v2.zip", "--profile", "bg96"});
  EXPECT_EQ(bad_profile.exit_code, kUsage); // an unknown id is a command-line mistake
}

TEST_F(InSourceDir, ValidateJUnitHasOneCasePerRuleAndTheCommonShape) {
  test::ScratchDir dir;
  auto good = test::run_cli({"validate", "tests/golden/sample-v1-to-v2.zip", "--profile", "ec2x", "--module-version",
                             "EC25EFAR06A06M4G_01.003.01.003", "--url", "ftp://user:secret@192.0.2.1/p.zip", "--junit",
                             (dir / "good.xml").string(), "--json"});
  EXPECT_EQ(good.exit_code, kOk) << good.err;
  const std::string good_xml = test::read_text(dir / "good.xml");
  EXPECT_EQ(test::junit_schema_problems(dir / "good.xml"), "") << good_xml;
  const auto rules = nlohmann::json::parse(good.out)["findings"];
  std::size_t cases = 0;
  for (std::size_t at = good_xml.find("<testcase "); at != std::string::npos; at = good_xml.find("<testcase ", at + 1))
    ++cases;
  EXPECT_EQ(cases, rules.size());
  for (const auto& rule : rules)
    EXPECT_NE(good_xml.find("<testcase name=\"" + rule["rule"].get<std::string>() + "\""), std::string::npos);
  EXPECT_NE(good_xml.find("failures=\"0\""), std::string::npos);
  EXPECT_EQ(good_xml.find("secret"), std::string::npos);

  auto bad =
      test::run_cli({"validate", "tests/golden/sample-v1-to-v2.zip", "--profile", "ec2x", "--module-version",
                     "EC25EFAR06A07M4G_01.004.01.004", "--free-space", "100", "--junit", (dir / "bad.xml").string()});
  EXPECT_EQ(bad.exit_code, kValidationFailed);
  const std::string bad_xml = test::read_text(dir / "bad.xml");
  EXPECT_EQ(test::junit_schema_problems(dir / "bad.xml"), "") << bad_xml;
  EXPECT_NE(bad_xml.find("type=\"module-error-505\""), std::string::npos) << bad_xml;
  EXPECT_NE(bad_xml.find("dfota explain 505 --profile ec2x"), std::string::npos) << bad_xml;

  auto unwritable = test::run_cli({"validate", "tests/golden/sample-v1-to-v2.zip", "--profile", "ec2x", "--junit",
                                   (dir / "no" / "such" / "dir.xml").string()});
  EXPECT_EQ(unwritable.exit_code, kIoError) << unwritable.err;
}

TEST(Cli, ExplainGivesMeaningAndAdvice) {
  auto r = test::run_cli({"explain", "511", "--profile", "rg50xq"});
  EXPECT_EQ(r.exit_code, kOk) << r.err;
  EXPECT_NE(r.out.find("AT+QFLDS"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("AT+QFDEL"), std::string::npos) << r.out;
  auto retry = test::run_cli({"explain", "523", "--profile", "rg50xq"});
  EXPECT_NE(retry.out.find("retries by itself"), std::string::npos) << retry.out;
  EXPECT_EQ(test::run_cli({"explain", "999"}).exit_code, kUsage);
}

} // namespace
} // namespace dfota::cli
