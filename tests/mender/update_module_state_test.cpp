// The Mender Update Module's decisions, state by state, with `dfota upload`
// replaced by a runner that records its arguments and answers as a recorded
// upload would. (tests/mender/update_module_test.sh runs the real client.)
#include "mender/update_module.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/exit_codes.hpp"
#include "support/test_support.hpp"

namespace dfota::test {
namespace {

using namespace dfota::mender;
using nlohmann::json;

class UpdateModule : public ::testing::Test {
protected:
  void SetUp() override {
    fs::create_directories(files() / "header");
    fs::create_directories(files() / "files");
    fs::create_directories(dir_ / "by-path");
    environment_.device_settings = dir_ / "device.json";
    environment_.by_path_dir = dir_ / "by-path";
    environment_.upload = [this](const std::vector<std::string>& args, std::string& json_lines, std::ostream&) {
      calls_.push_back(args);
      json_lines = answers_.empty() ? "" : answers_.front().second;
      const int code = answers_.empty() ? cli::kOk : answers_.front().first;
      if (!answers_.empty()) answers_.erase(answers_.begin());
      return code;
    };
  }
  fs::path files() const { return dir_ / "tree"; }
  void meta(const std::string& text) { write_text(files() / "header" / "meta-data", text); }
  void payload(const std::string& name) { write_text(files() / "files" / name, "package bytes"); }
  // The upload's next answer: its exit code and a summary line.
  void answer(int code, json summary) {
    summary["event"] = "summary";
    answers_.emplace_back(code, R"({"event":"step","text":"opening"})"
                                "\n" +
                                    summary.dump() + "\n");
  }
  int state(const std::string& name) {
    out_.str("");
    log_.str("");
    return handle_state(name, files(), environment_, out_, log_);
  }

  ScratchDir dir_;
  Environment environment_;
  std::vector<std::vector<std::string>> calls_;
  std::vector<std::pair<int, std::string>> answers_;
  std::ostringstream out_, log_;
};

TEST_F(UpdateModule, TheQueryStatesAnswerOnStandardOutput) {
  EXPECT_EQ(state("NeedsArtifactReboot"), 0);
  EXPECT_EQ(out_.str(), "No\n");
  EXPECT_EQ(state("SupportsRollback"), 0);
  EXPECT_EQ(out_.str(), "Yes\n");
  for (const char* quiet : {"Download", "ArtifactVerifyReboot", "ArtifactCommit", "Cleanup", "SomeFutureState"}) {
    EXPECT_EQ(state(quiet), 0) << quiet;
    EXPECT_EQ(out_.str(), "") << quiet;
  }
  EXPECT_TRUE(calls_.empty());
}

TEST_F(UpdateModule, InstallRunsUploadWithTheSettingsOfDeviceAndArtifact) {
  write_text(dir_ / "device.json", R"({"port_pattern": "*-usb-0:2:1.2-port0", "upload_args": ["--apn", "iot"]})");
  write_text(dir_ / "ttyUSB2", "");
  fs::create_symlink(dir_ / "ttyUSB2", dir_ / "by-path" / "pci-0000:00:14.0-usb-0:2:1.2-port0");
  meta(R"({"profile": "ec2x", "method": "qfupl", "to_version": "V2", "rollback_package": "back.zip"})");
  payload("update.zip");
  payload("back.zip");
  answer(cli::kOk, {{"ok", true}, {"module_version_before", "V1"}, {"module_version_after", "V2"}});
  EXPECT_EQ(state("ArtifactInstall"), cli::kOk) << log_.str();
  ASSERT_EQ(calls_.size(), 1u);
  const std::vector<std::string> expected{"upload", (files() / "files" / "update.zip").string(),
                                          "--port", (dir_ / "by-path" / "pci-0000:00:14.0-usb-0:2:1.2-port0").string(),
                                          "--json", "--profile",
                                          "ec2x",   "--method",
                                          "qfupl",  "--apn",
                                          "iot"};
  EXPECT_EQ(calls_[0], expected);
  EXPECT_NE(log_.str().find("install: the module runs V2 (was V1)"), std::string::npos) << log_.str();
  EXPECT_NE(log_.str().find("opening"), std::string::npos) << "the upload's steps are in the log";
  EXPECT_TRUE(fs::exists(files() / "tmp" / "install-summary.json"));
}

TEST_F(UpdateModule, AModuleOnAnotherRevisionThanToVersionFailsWith28) {
  meta(R"({"port": "/dev/ttyUSB2", "to_version": "V3"})");
  payload("update.zip");
  answer(cli::kOk, {{"ok", true}, {"module_version_before", "V1"}, {"module_version_after", "V2"}});
  EXPECT_EQ(state("ArtifactInstall"), cli::kWrongVersion);
  EXPECT_NE(log_.str().find("the module runs V2, not V3 (to_version)"), std::string::npos) << log_.str();
}

TEST_F(UpdateModule, BadSettingsFailBeforeAnyUpload) {
  payload("update.zip");
  EXPECT_EQ(state("ArtifactInstall"), cli::kUsage);
  EXPECT_NE(log_.str().find("no port"), std::string::npos) << log_.str();
  meta(R"({"port": "/dev/ttyUSB2", "tovesion": "V2"})");
  EXPECT_EQ(state("ArtifactInstall"), cli::kUsage);
  EXPECT_NE(log_.str().find("unknown key \"tovesion\""), std::string::npos) << log_.str();
  meta(R"({"port": "/dev/ttyUSB2", "upload_args": "--apn x"})");
  EXPECT_EQ(state("ArtifactInstall"), cli::kUsage);
  meta("[1, 2]");
  EXPECT_EQ(state("ArtifactInstall"), cli::kUsage);
  meta(R"({"port_pattern": "*"})");
  write_text(dir_ / "by-path" / "a", "");
  write_text(dir_ / "by-path" / "b", "");
  EXPECT_EQ(state("ArtifactInstall"), cli::kUsage);
  EXPECT_NE(log_.str().find("2 ports match"), std::string::npos) << log_.str();
  meta(R"({"port": "/dev/ttyUSB2", "package": "../../etc/passwd"})");
  EXPECT_EQ(state("ArtifactInstall"), cli::kUsage);
  meta(R"({"port": "/dev/ttyUSB2"})");
  payload("other.zip");
  EXPECT_EQ(state("ArtifactInstall"), cli::kUsage);
  EXPECT_NE(log_.str().find("name the package"), std::string::npos) << log_.str();
  EXPECT_TRUE(calls_.empty());
}

TEST_F(UpdateModule, RollbackDoesNothingWhenThePackageNeverRan) {
  meta(R"({"port": "/dev/ttyUSB2", "rollback_package": "back.zip"})");
  payload("update.zip");
  payload("back.zip");
  EXPECT_EQ(state("ArtifactRollback"), cli::kOk) << "no install at all";
  answer(cli::kValidationFailed,
         {{"ok", false}, {"lwm2m_state", 0}, {"module_version_before", "V1"}, {"module_version_after", nullptr}});
  EXPECT_EQ(state("ArtifactInstall"), cli::kValidationFailed);
  EXPECT_EQ(state("ArtifactRollback"), cli::kOk);
  EXPECT_NE(log_.str().find("nothing to roll back"), std::string::npos) << log_.str();
  EXPECT_EQ(calls_.size(), 1u) << "no reverse upload";
}

TEST_F(UpdateModule, RollbackUploadsTheReversePackageAndChecksTheRevision) {
  meta(R"({"port": "/dev/ttyUSB2", "package": "update.zip", "rollback_package": "back.zip"})");
  payload("update.zip");
  payload("back.zip");
  answer(cli::kOk, {{"ok", true}, {"module_version_before", "V1"}, {"module_version_after", "V2"}});
  ASSERT_EQ(state("ArtifactInstall"), cli::kOk);
  answer(cli::kOk, {{"ok", true}, {"module_version_before", "V2"}, {"module_version_after", "V1"}});
  EXPECT_EQ(state("ArtifactRollback"), cli::kOk) << log_.str();
  ASSERT_EQ(calls_.size(), 2u);
  EXPECT_EQ(calls_[1][1], (files() / "files" / "back.zip").string());
  // The reverse package ends on another revision than the one before: 28.
  answer(cli::kOk, {{"ok", true}, {"module_version_before", "V2"}, {"module_version_after", "V9"}});
  EXPECT_EQ(state("ArtifactRollback"), cli::kWrongVersion);
}

TEST_F(UpdateModule, AFailedUpgradeThatLeftTheOldRevisionNeedsNoRollback) {
  meta(R"({"port": "/dev/ttyUSB2", "package": "update.zip", "rollback_package": "back.zip"})");
  payload("update.zip");
  payload("back.zip");
  answer(cli::kModuleError, {{"ok", false}, {"lwm2m_state", 2}, {"module_version_before", "V1"}});
  ASSERT_EQ(state("ArtifactInstall"), cli::kModuleError);
  // The reverse package's pre-flight finds the module on V1 still.
  answer(cli::kValidationFailed, {{"ok", false}, {"lwm2m_state", 0}, {"module_version_before", "V1"}});
  EXPECT_EQ(state("ArtifactRollback"), cli::kOk) << log_.str();
  EXPECT_NE(log_.str().find("the module still runs V1"), std::string::npos) << log_.str();
}

TEST_F(UpdateModule, APackageThatRanWithoutAReversePackageCannotRollBack) {
  meta(R"({"port": "/dev/ttyUSB2"})");
  payload("update.zip");
  answer(cli::kOk, {{"ok", true}, {"module_version_before", "V1"}, {"module_version_after", "V2"}});
  ASSERT_EQ(state("ArtifactInstall"), cli::kOk);
  EXPECT_EQ(state("ArtifactRollback"), cli::kUsage);
  EXPECT_NE(log_.str().find("no reverse package"), std::string::npos) << log_.str();
}

} // namespace
} // namespace dfota::test
