// Signed packages from the command line: keygen, build --sign-key, sign, and
// --pubkey on validate, apply and upload, each refusing before anything else.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "cli/exit_codes.hpp"
#include "support/test_support.hpp"

namespace dfota::cli {
namespace {

namespace fs = std::filesystem;
using test::run_cli;

class SigningCli : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_EQ(run_cli({"keygen", "--private", path("k.pem"), "--public", path("k.pub")}).exit_code, kOk);
    ASSERT_EQ(
        run_cli({"keygen", "--type", "ecdsa-p256", "--private", path("e.pem"), "--public", path("e.pub")}).exit_code,
        kOk);
    const std::string v1 = test::sample_firmware("v1").string(), v2 = test::sample_firmware("v2").string();
    auto built = run_cli({"build", "--from", v1, "--to", v2, "-o", path("signed.zip"), "--reverse-output",
                          path("signed-back.zip"), "--sign-key", path("k.pem"), "--engine", "zstd"});
    ASSERT_EQ(built.exit_code, kOk) << built.err;
    EXPECT_NE(built.out.find("signed by SHA256:"), std::string::npos);
    ASSERT_EQ(run_cli({"build", "--from", v1, "--to", v2, "-o", path("plain.zip"), "--engine", "zstd"}).exit_code, kOk);
  }
  std::string path(const std::string& name) const { return (dir_.path() / name).string(); }
  test::ScratchDir dir_;
};

TEST_F(SigningCli, KeygenWritesAPrivateFileOnlyTheOwnerReadsAndNeverOverwrites) {
  struct stat st {};
  ASSERT_EQ(::stat(path("k.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string before = test::read_text(path("k.pem"));
  auto again = run_cli({"keygen", "--private", path("k.pem"), "--public", path("k2.pub")});
  EXPECT_EQ(again.exit_code, kOutputExists);
  EXPECT_NE(again.err.find("never overwritten"), std::string::npos);
  EXPECT_EQ(test::read_text(path("k.pem")), before);
  // Nothing secret on the terminal.
  auto fresh = run_cli({"keygen", "--private", path("n.pem"), "--public", path("n.pub")});
  EXPECT_EQ(fresh.out.find("PRIVATE"), std::string::npos);
  EXPECT_EQ(fresh.out.find(test::read_text(path("n.pem")).substr(28, 20)), std::string::npos);
}

TEST_F(SigningCli, NoOutputReplacesAKeyFile) {
  const std::string key = test::read_text(path("k.pem"));
  auto same_pair = run_cli({"keygen", "--private", path("pair.pem"), "--public", path("./pair.pem")});
  EXPECT_EQ(same_pair.exit_code, kUsage) << same_pair.err;
  EXPECT_EQ(same_pair.err, "dfota: error: --public names the --private file itself; write the output elsewhere\n");
  EXPECT_FALSE(fs::exists(path("pair.pem")));

  auto sign_over_key = run_cli({"sign", path("plain.zip"), "--key", path("k.pem"), "-o", path("./k.pem")});
  EXPECT_EQ(sign_over_key.exit_code, kUsage) << sign_over_key.err;
  EXPECT_EQ(sign_over_key.err, "dfota: error: -o names the --key file itself; write the output elsewhere\n");

  const std::string v1 = test::sample_firmware("v1").string(), v2 = test::sample_firmware("v2").string();
  for (const char* option : {"-o", "--reverse-output"}) {
    std::vector<std::string> args{"build", "--from",          v1,           "--to",       v2,
                                  "-o",    path("fresh.zip"), "--sign-key", path("k.pem")};
    if (std::string(option) == "-o") {
      args[6] = path("k.pem");
    } else {
      args.insert(args.end(), {"--reverse-output", path("k.pem")});
    }
    auto build_over_key = run_cli(args);
    EXPECT_EQ(build_over_key.exit_code, kUsage) << option << ": " << build_over_key.err;
    EXPECT_NE(build_over_key.err.find(std::string(option) + " names the --sign-key file itself"), std::string::npos)
        << build_over_key.err;
  }
  EXPECT_FALSE(fs::exists(path("fresh.zip")));
  EXPECT_EQ(test::read_text(path("k.pem")), key);
}

TEST_F(SigningCli, InspectShowsTheSigningKeyFingerprint) {
  auto text = run_cli({"inspect", path("signed.zip")});
  ASSERT_EQ(text.exit_code, kOk);
  auto json = run_cli({"inspect", path("signed.zip"), "--json"});
  auto j = nlohmann::json::parse(json.out);
  EXPECT_TRUE(j["signed"].get<bool>());
  const std::string fingerprint = j["signature"]["key"];
  EXPECT_EQ(j["signature"]["algorithm"], "ed25519");
  EXPECT_NE(text.out.find(fingerprint), std::string::npos);
  auto plain = nlohmann::json::parse(run_cli({"inspect", path("plain.zip"), "--json"}).out);
  EXPECT_TRUE(plain["signature"].is_null());
}

TEST_F(SigningCli, ValidateAndApplyAcceptOnlyATrustedSignature) {
  const std::string v1 = test::sample_firmware("v1").string();
  EXPECT_EQ(run_cli({"validate", path("signed.zip"), "--profile", "ec2x", "--pubkey", path("k.pub")}).exit_code, kOk);
  // Any one of several keys may match.
  EXPECT_EQ(run_cli({"validate", path("signed.zip"), "--profile", "ec2x", "--pubkey", path("e.pub"), "--pubkey",
                     path("k.pub")})
                .exit_code,
            kOk);
  auto foreign = run_cli({"validate", path("signed.zip"), "--profile", "ec2x", "--pubkey", path("e.pub")});
  EXPECT_EQ(foreign.exit_code, kSignatureRefused);
  EXPECT_NE(foreign.out.find("not among the trusted keys"), std::string::npos);
  auto unsigned_run = run_cli({"validate", path("plain.zip"), "--profile", "ec2x", "--pubkey", path("k.pub")});
  EXPECT_EQ(unsigned_run.exit_code, kSignatureRefused);
  EXPECT_NE(unsigned_run.out.find("not signed"), std::string::npos);

  auto apply_unsigned =
      run_cli({"apply", path("plain.zip"), "--source", v1, "-o", path("out"), "--pubkey", path("k.pub")});
  EXPECT_EQ(apply_unsigned.exit_code, kSignatureRefused);
  EXPECT_FALSE(fs::exists(path("out")));
  EXPECT_EQ(apply_unsigned.err.find('\n'), apply_unsigned.err.size() - 1) << "one line: " << apply_unsigned.err;
  auto apply_ok = run_cli({"apply", path("signed.zip"), "--source", v1, "-o", path("out"), "--pubkey", path("k.pub")});
  EXPECT_EQ(apply_ok.exit_code, kOk) << apply_ok.err;
  // The reverse package is signed too.
  EXPECT_EQ(run_cli({"validate", path("signed-back.zip"), "--profile", "ec2x", "--pubkey", path("k.pub")}).exit_code,
            kOk);
}

TEST_F(SigningCli, SignAPackageBuiltElsewhereAndWarnAboutAnExposedKey) {
  fs::copy_file(path("plain.zip"), path("copy.zip"));
  ::chmod(path("e.pem").c_str(), 0644);
  auto signed_run = run_cli({"sign", path("copy.zip"), "--key", path("e.pem")});
  EXPECT_EQ(signed_run.exit_code, kOk) << signed_run.err;
  EXPECT_NE(signed_run.err.find("readable by other users"), std::string::npos);
  EXPECT_EQ(run_cli({"validate", path("copy.zip"), "--profile", "ec2x", "--pubkey", path("e.pub")}).exit_code, kOk);
  auto to_other = run_cli({"sign", path("plain.zip"), "--key", path("k.pem"), "-o", path("other.zip")});
  EXPECT_EQ(to_other.exit_code, kOk);
  EXPECT_TRUE(to_other.err.empty()) << "a 0600 key gets no warning: " << to_other.err;
  EXPECT_EQ(test::read_bytes(path("other.zip")), test::read_bytes(path("signed.zip")));
}

TEST_F(SigningCli, KeyProblemsHaveTheirOwnExitCode) {
  auto wrong_half = run_cli({"validate", path("signed.zip"), "--profile", "ec2x", "--pubkey", path("k.pem")});
  EXPECT_EQ(wrong_half.exit_code, kKeyError);
  EXPECT_NE(wrong_half.err.find("private key where a public key belongs"), std::string::npos);
  EXPECT_EQ(run_cli({"sign", path("plain.zip"), "--key", path("missing.pem")}).exit_code, kKeyError);
  EXPECT_EQ(run_cli({"sign", path("plain.zip"), "--key", path("k.pub")}).exit_code, kKeyError);
}

TEST_F(SigningCli, UploadRefusesBeforeTouchingAnyPort) {
  // The port does not exist: a refused signature must be reported first.
  auto refused = run_cli({"upload", path("plain.zip"), "--port", path("no-such-tty"), "--pubkey", path("k.pub")});
  EXPECT_EQ(refused.exit_code, kSignatureRefused) << refused.err;
  EXPECT_NE(refused.err.find("not signed"), std::string::npos);
  auto foreign = run_cli({"upload", path("signed.zip"), "--port", path("no-such-tty"), "--pubkey", path("e.pub")});
  EXPECT_EQ(foreign.exit_code, kSignatureRefused);
  // With the right key the upload goes on, and fails on the missing port.
  auto trusted = run_cli({"upload", path("signed.zip"), "--port", path("no-such-tty"), "--pubkey", path("k.pub")});
  EXPECT_EQ(trusted.exit_code, kPortError) << trusted.err;
}

} // namespace
} // namespace dfota::cli
