// The command line as a newcomer types it: empty values, mistyped verbs and
// options, repeatable options next to positional ones, '-' for standard
// streams, help of every verb, outputs checked before any work, exit codes
// in the right category, and no escape sequence from a package on the terminal.
#include <csignal>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/exit_codes.hpp"
#include "core/subprocess.hpp"
#include "core/text.hpp"
#include "support/test_support.hpp"

namespace dfota::cli {
namespace {

namespace fs = std::filesystem;
using test::run_cli;

bool one_error_line(const test::CliResult& r) {
  return std::count(r.err.begin(), r.err.end(), '\n') == 1 && r.err.rfind("dfota: error: ", 0) == 0;
}

// The sample pair, a key pair and a signed package in a scratch directory.
class SamplePackage : public ::testing::Test {
protected:
  void SetUp() override {
    v1_ = test::sample_firmware("v1").string();
    v2_ = test::sample_firmware("v2").string();
    key_ = (dir_ / "release.key").string();
    pub_ = (dir_ / "release.pub").string();
    package_ = (dir_ / "update.zip").string();
    ASSERT_EQ(run_cli({"keygen", "--private", key_, "--public", pub_}).exit_code, kOk);
    // The README's signing example: no --reverse-output.
    auto built = run_cli({"build", "--from", v1_, "--to", v2_, "-o", package_, "--sign-key", key_});
    ASSERT_EQ(built.exit_code, kOk) << built.err;
  }
  test::ScratchDir dir_;
  std::string v1_, v2_, key_, pub_, package_;
};

TEST_F(SamplePackage, EmptyPathArgumentsAreUsageErrorsNeverInternalOnes) {
  const std::string image = v1_ + "/modem.img";
  for (const std::vector<std::string>& args : {
           std::vector<std::string>{"diff", image, image, "-o", ""},
           {"keygen", "--private", "", "--public", (dir_ / "p.pub").string()},
           {"validate", package_, "--profile", "ec2x", "--pubkey", ""},
           {"build", "--from", v1_, "--to", v2_, "-o", (dir_ / "x.zip").string(), "--reverse-output", ""},
           {"inspect", ""},
           {"apply", package_, "--source", "", "-o", (dir_ / "out").string()},
       }) {
    auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, kUsage) << args[0] << ": " << r.err;
    EXPECT_TRUE(one_error_line(r)) << r.err;
    EXPECT_NE(r.err.find("is empty"), std::string::npos) << r.err;
  }
  EXPECT_FALSE(fs::exists(dir_ / "x.zip"));
  EXPECT_FALSE(fs::exists(dir_ / "p.pub"));
}

TEST(CommandLine, UnknownVerbsAndOptionsAreNamedWithTheNearestOne) {
  auto verb = run_cli({"biuld"});
  EXPECT_EQ(verb.exit_code, kUsage);
  EXPECT_TRUE(one_error_line(verb)) << verb.err;
  EXPECT_NE(verb.err.find("unknown command 'biuld'; did you mean 'build'?"), std::string::npos) << verb.err;

  auto far = run_cli({"frobnicate"});
  EXPECT_EQ(far.exit_code, kUsage);
  EXPECT_EQ(far.err.find("did you mean"), std::string::npos) << far.err;

  // Named even when a required option is missing as well.
  auto option = run_cli({"build", "--frm", "v1"});
  EXPECT_EQ(option.exit_code, kUsage);
  EXPECT_NE(option.err.find("unknown option '--frm'; did you mean '--from'?"), std::string::npos) << option.err;
  auto later = run_cli({"checksum", "a", "--jsn"});
  EXPECT_NE(later.err.find("unknown option '--jsn'; did you mean '--json'?"), std::string::npos) << later.err;

  // Extra arguments in the order given.
  auto extras = run_cli({"explain", "511", "one", "two"});
  EXPECT_EQ(extras.exit_code, kUsage);
  EXPECT_NE(extras.err.find("unexpected arguments 'one' 'two'"), std::string::npos) << extras.err;
}

TEST_F(SamplePackage, RepeatableOptionsDoNotSwallowThePackage) {
  auto one = run_cli({"validate", "--pubkey", pub_, package_, "--profile", "ec2x"});
  EXPECT_EQ(one.exit_code, kOk) << one.err;
  auto two = run_cli({"validate", "--pubkey", pub_, "--pubkey", pub_, package_, "--profile", "ec2x"});
  EXPECT_EQ(two.exit_code, kOk) << two.err;
  auto applied = run_cli({"apply", "--pubkey", pub_, package_, "--source", v1_, "-o", (dir_ / "v2").string()});
  EXPECT_EQ(applied.exit_code, kOk) << applied.err;
}

TEST(CommandLine, DiffAndPatchHaveTheirOwnHelp) {
  for (const char* verb : {"diff", "patch"}) {
    auto r = run_cli({verb, "--help"});
    EXPECT_EQ(r.exit_code, kOk);
    EXPECT_NE(r.out.find(std::string("  dfota ") + verb + " v1/modem.img"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("dfota release --to"), std::string::npos) << verb << " shows the top-level examples";
    EXPECT_EQ(r.out.find("Exit codes:\n"), std::string::npos) << verb << " shows the whole exit table";
  }
}

TEST(CommandLine, DashIsStandardInputAndStandardOutput) {
  test::ScratchDir dir;
  const std::string v1 = (test::sample_firmware("v1") / "modem.img").string();
  const std::string v2 = (test::sample_firmware("v2") / "modem.img").string();
  const std::string program = std::string("'") + DFOTA_PROGRAM + "'";
  const std::string result = (dir / "new.img").string();
  // diff -o - | patch - -o -: no file named '-' anywhere, the bytes on the pipe.
  auto piped = run_program({"sh", "-c",
                            "cd '" + dir.path().string() + "' && " + program + " diff '" + v1 + "' '" + v2 +
                                "' -o - | " + program + " patch '" + v1 + "' - -o - > '" + result + "'"});
  ASSERT_TRUE(piped && piped->exit_status == 0) << (piped ? piped->error_output : "");
  EXPECT_EQ(test::read_bytes(result), test::read_bytes(v2));
  EXPECT_FALSE(fs::exists(dir / "-"));

  const std::string listing = (dir / "sums.json").string();
  auto sums = run_program({"sh", "-c", program + " checksum --json - '" + v2 + "' < '" + v2 + "' > '" + listing + "'"});
  ASSERT_TRUE(sums && sums->exit_status == 0) << (sums ? sums->error_output : "");
  const auto list = nlohmann::json::parse(test::read_text(listing))["files"];
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["path"], "-");
  EXPECT_EQ(list[0]["sha256"], list[1]["sha256"]);

  test::ScratchDir pkg;
  ASSERT_EQ(run_cli({"build", "--from", test::sample_firmware("v1").string(), "--to",
                     test::sample_firmware("v2").string(), "-o", (pkg / "u.zip").string()})
                .exit_code,
            kOk);
  const std::string inspected = (dir / "inspect.txt").string();
  auto inspect =
      run_program({"sh", "-c", program + " inspect - < '" + (pkg / "u.zip").string() + "' > '" + inspected + "'"});
  ASSERT_TRUE(inspect && inspect->exit_status == 0) << (inspect ? inspect->error_output : "");
  EXPECT_NE(test::read_text(inspected).find("dfota delta package"), std::string::npos);
}

TEST_F(SamplePackage, OutputsAreCheckedBeforeAnyWork) {
  const std::string missing = (dir_ / "nodir" / "x.xml").string();
  // upload: found bad before any port is opened (the port does not exist either).
  auto upload = run_cli({"upload", package_, "--port", (dir_ / "no-port").string(), "--junit", missing});
  EXPECT_EQ(upload.exit_code, kIoError) << upload.err;
  EXPECT_TRUE(one_error_line(upload)) << upload.err;
  EXPECT_NE(upload.err.find("--junit"), std::string::npos) << upload.err;
  EXPECT_NE(upload.err.find("does not exist"), std::string::npos) << upload.err;
  auto log = run_cli({"upload", package_, "--port", (dir_ / "no-port").string(), "--log-file", dir_.path().string()});
  EXPECT_EQ(log.exit_code, kIoError) << log.err;
  EXPECT_NE(log.err.find("is a directory"), std::string::npos) << log.err;

  auto validate = run_cli({"validate", package_, "--profile", "ec2x", "--junit", missing});
  EXPECT_EQ(validate.exit_code, kIoError) << validate.err;
  auto html = run_cli({"inspect", package_, "--html", missing});
  EXPECT_EQ(html.exit_code, kIoError) << html.err;
  auto reverse = run_cli({"build", "--from", v1_, "--to", v2_, "-o", (dir_ / "f.zip").string(), "--reverse-output",
                          (dir_ / "nodir" / "r.zip").string()});
  EXPECT_EQ(reverse.exit_code, kIoError) << reverse.err;
  EXPECT_FALSE(fs::exists(dir_ / "f.zip")) << "the forward package was written before the reverse output was checked";
  auto apply = run_cli({"apply", package_, "--source", v1_, "-o", (dir_ / "nodir" / "out").string()});
  EXPECT_EQ(apply.exit_code, kIoError) << apply.err;
}

TEST_F(SamplePackage, ExitCodesAreInTheirCategory) {
  auto profile = run_cli({"validate", package_, "--profile", "ec25"});
  EXPECT_EQ(profile.exit_code, kUsage) << profile.err;
  EXPECT_NE(profile.err.find("known: ec200t, ec2x, rg50xq, ugxx"), std::string::npos) << profile.err;
  auto code = run_cli({"explain", "9999"});
  EXPECT_EQ(code.exit_code, kUsage) << code.err;
  auto missing = run_cli({"upload", (dir_ / "none.zip").string(), "--port", (dir_ / "p").string()});
  EXPECT_EQ(missing.exit_code, kPackageNotFound) << missing.err;
  auto directory = run_cli({"upload", dir_.path().string(), "--port", (dir_ / "p").string()});
  EXPECT_EQ(directory.exit_code, kIoError) << directory.err;
  for (const char* serve : {"0.0.0.0", "127.0.0.1:", "127.0.0.1:99999", ":80", "::1:80"}) {
    auto r = run_cli({"upload", package_, "--port", (dir_ / "p").string(), "--serve", serve});
    EXPECT_EQ(r.exit_code, kUsage) << serve << ": " << r.err;
    EXPECT_TRUE(one_error_line(r)) << r.err;
  }
  // A code another family uses is named with that family.
  auto other = run_cli({"explain", "511", "--profile", "ec2x"});
  EXPECT_EQ(other.exit_code, kUsage) << other.err;
  EXPECT_NE(other.err.find("used by rg50xq"), std::string::npos) << other.err;
}

TEST(CommandLine, AFailedSimulatorLeavesNoStateBehind) {
  test::ScratchDir dir;
  fs::copy(test::sample_firmware("v1"), dir / "fw", fs::copy_options::recursive);
  auto bad_link = run_cli(
      {"sim", "--profile", "ec2x", "--firmware", (dir / "fw").string(), "--link", (dir / "nodir" / "m0").string()});
  EXPECT_EQ(bad_link.exit_code, kPortError) << bad_link.err;
  auto bad_firmware =
      run_cli({"sim", "--profile", "ec2x", "--firmware", (dir / "none").string(), "--link", (dir / "m0").string()});
  EXPECT_NE(bad_firmware.exit_code, kOk);
  EXPECT_EQ(test::list_all(dir.path()).size(), test::list_all(dir / "fw").size() + 1) << "only fw/ is left";
  EXPECT_FALSE(fs::exists(dir / "fw.state"));
  EXPECT_FALSE(fs::exists(dir / "none.state"));
}

TEST(CommandLine, NoEscapeSequenceFromAPackageReachesTheTerminal) {
  test::ScratchDir dir;
  const std::string hostile = "EC25EFA\x1b]0;TITLE\a\x1b[2J";
  const std::string package = (dir / "u.zip").string();
  auto built =
      run_cli({"build", "--from", test::sample_firmware("v1").string(), "--to", test::sample_firmware("v2").string(),
               "-o", package, "--project", hostile, "--to-version", "V2\x1b[31m\xc2\x9b"});
  ASSERT_EQ(built.exit_code, kOk) << built.err;
  const auto clean = [](const test::CliResult& r) {
    const std::string all = r.out + r.err;
    return all.find('\x1b') == std::string::npos && all.find('\a') == std::string::npos &&
           all.find("\xc2\x9b") == std::string::npos;
  };
  EXPECT_TRUE(clean(built)) << built.out;
  EXPECT_NE(built.out.find("EC25EFA\\x1B]0;TITLE\\x07\\x1B[2J"), std::string::npos) << built.out;
  for (const std::vector<std::string>& args : {
           std::vector<std::string>{"inspect", package},
           {"validate", package, "--profile", "ec2x", "--module-version", "EC25EFAR06A06M4G"},
           {"apply", package, "--source", test::sample_firmware("v1").string(), "-o", (dir / "out").string()},
           {"apply", package, "--source", test::sample_firmware("v2").string(), "-o", (dir / "out2").string()},
       }) {
    auto r = run_cli(args);
    EXPECT_TRUE(clean(r)) << args[0] << ":\n" << r.out << r.err;
  }
}

TEST_F(SamplePackage, UrlPasswordsAreNeverPrintedWhateverTheUrlsShape) {
  for (const std::string url : {"ftp://user:hun/ter2@host/u.zip", "ftp:/user:hunter2@host/u.zip",
                                "user:hunter2@host/u.zip", "http://user:hun@ter2@host:80/u.zip"}) {
    const std::string junit = (dir_ / "v.xml").string();
    for (const bool json : {false, true}) {
      std::vector<std::string> args{"validate", package_, "--profile", "ec2x", "--url", url, "--junit", junit};
      if (json) args.push_back("--json");
      auto r = run_cli(args);
      for (const std::string& text : {r.out, r.err, test::read_text(junit)}) {
        EXPECT_EQ(text.find("hunter2"), std::string::npos) << url << ":\n" << text;
        EXPECT_EQ(text.find("ter2@"), std::string::npos) << url << ":\n" << text;
      }
    }
    const std::string log = (dir_ / "upload.log").string();
    auto upload =
        run_cli({"upload", package_, "--port", (dir_ / "no-port").string(), "--url", url, "--log-file", log, "--json"});
    EXPECT_NE(upload.exit_code, kOk);
    for (const std::string& text : {upload.out, upload.err, test::read_text(log)}) {
      EXPECT_EQ(text.find("hunter2"), std::string::npos) << url << ":\n" << text;
      EXPECT_EQ(text.find("ter2@"), std::string::npos) << url << ":\n" << text;
    }
  }
}

// Copies `from` to `to` with Python's zipfile, running `edit` (Python, with
// `entries`: a list of [name, bytes, compress_type]) on the entries first.
void rewrite_with_python(const std::string& from, const std::string& to, const std::string& edit) {
  test::ScratchDir dir;
  const fs::path script = dir / "edit.py";
  test::write_text(script, "import sys, zipfile\n"
                           "src = zipfile.ZipFile(sys.argv[1])\n"
                           "entries = [[i.filename, src.read(i), zipfile.ZIP_STORED] for i in src.infolist()]\n" +
                               edit +
                               "\nwith zipfile.ZipFile(sys.argv[2], 'w') as out:\n"
                               "    for name, data, method in entries:\n"
                               "        out.writestr(zipfile.ZipInfo(name), data, compress_type=method)\n");
  auto ran = run_program({"python3", script.string(), from, to});
  ASSERT_TRUE(ran && ran->exit_status == 0) << (ran ? ran->error_output : "");
}

TEST_F(SamplePackage, ASignatureCoversTheWholeContainer) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"an entry at the end", "entries.append(['extra.sh', b'rm -rf /', zipfile.ZIP_STORED])"},
      {"an entry before the manifest", "entries.insert(0, ['aaa.bin', b'x' * 100, zipfile.ZIP_STORED])"},
      {"a twin by trailing slash", "entries.append([entries[1][0] + '/', b'', zipfile.ZIP_STORED])"},
      {"a deflated payload", "entries = [[n, d, zipfile.ZIP_DEFLATED if n.startswith('payload/') else m] "
                             "for n, d, m in entries]"},
  };
  for (const auto& [what, edit] : cases) {
    const std::string bad = (dir_ / "bad.zip").string();
    rewrite_with_python(package_, bad, edit);
    auto validate = run_cli({"validate", bad, "--profile", "ec2x", "--pubkey", pub_});
    EXPECT_EQ(validate.exit_code, kSignatureRefused) << what << ": " << validate.out << validate.err;
    EXPECT_NE(validate.out.find("zip        fail"), std::string::npos) << validate.out;
    auto plain = run_cli({"validate", bad, "--profile", "ec2x"});
    EXPECT_NE(plain.exit_code, kOk) << what << ": validate passes it without --pubkey\n" << plain.out;
    auto apply = run_cli({"apply", bad, "--source", v1_, "-o", (dir_ / "out").string(), "--pubkey", pub_});
    EXPECT_EQ(apply.exit_code, kUnsafeEntry) << what << ": " << apply.err;
    EXPECT_FALSE(fs::exists(dir_ / "out"));
    auto upload = run_cli({"upload", bad, "--port", (dir_ / "no-port").string(), "--pubkey", pub_});
    EXPECT_EQ(upload.exit_code, kUnsafeEntry) << what << ": " << upload.err;
  }
}

TEST_F(SamplePackage, InspectAndValidateAgreeOnTheSpaceNeeded) {
  auto inspected = run_cli({"inspect", package_, "--json"});
  ASSERT_EQ(inspected.exit_code, kOk) << inspected.err;
  const auto needed = nlohmann::json::parse(inspected.out)["requirements"]["space_needed"].get<std::uint64_t>();
  EXPECT_GT(needed, fs::file_size(package_)) << "the package itself is stored on the module first";
  auto enough = run_cli({"validate", package_, "--profile", "ec2x", "--free-space", std::to_string(needed)});
  EXPECT_EQ(enough.exit_code, kOk) << enough.out;
  auto short_by_one = run_cli({"validate", package_, "--profile", "ec2x", "--free-space", std::to_string(needed - 1)});
  EXPECT_EQ(short_by_one.exit_code, kValidationFailed) << short_by_one.out;
  EXPECT_NE(run_cli({"inspect", package_}).out.find(grouped(needed) + " bytes free on the module"), std::string::npos);
}

// Runs the real program in the background: its pid.
pid_t start_program(const std::vector<std::string>& args) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<char*> argv;
    std::string program = DFOTA_PROGRAM;
    argv.push_back(program.data());
    std::vector<std::string> copies = args;
    for (auto& a : copies)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::execv(DFOTA_PROGRAM, argv.data());
    ::_exit(127);
  }
  return pid;
}

bool has_partial(const fs::path& dir) {
  for (const auto& name : test::list_all(dir)) {
    if (name.find(".partial-") != std::string::npos) return true;
  }
  return false;
}

TEST(CommandLine, AnInterruptedBuildLeavesNothingBehind) {
  test::ScratchDir dir;
  // Two versions of a 48 MiB image: encoding takes seconds.
  for (const char* version : {"v1", "v2"}) {
    fs::create_directories(dir / version);
    test::write_firmware_json(dir / version, "EC25EFA", std::string("EC25EFAR06A0") + version + "M4G");
  }
  Bytes image = test::random_bytes(48u << 20, 21);
  test::write_file(dir / "v1" / "modem.img", image);
  test::write_file(dir / "v2" / "modem.img", test::mutate(image, 22));
  fs::create_directories(dir / "out");
  for (const int signal : {SIGINT, SIGTERM}) {
    const pid_t pid = start_program({"build", "--from", (dir / "v1").string(), "--to", (dir / "v2").string(), "-o",
                                     (dir / "out" / "u.zip").string()});
    // Interrupted once it has started writing.
    for (int i = 0; i < 2000 && !has_partial(dir / "out"); ++i)
      ::usleep(5000);
    ASSERT_TRUE(has_partial(dir / "out")) << "the build wrote nothing in 10 s";
    ::kill(pid, signal);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == signal) << "ended by its signal, as uncaught";
    EXPECT_TRUE(test::list_all(dir / "out").empty()) << test::list_all(dir / "out").front();
  }
}

// Runs the program with its data segment (heap and every private writable
// mapping, RLIMIT_DATA) limited to `limit` bytes; returns its exit code.
int run_with_data_limit(const std::vector<std::string>& args, rlim_t limit) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const rlimit data{limit, limit};
    ::setrlimit(RLIMIT_DATA, &data);
    std::vector<std::string> copies = args;
    std::vector<char*> argv{const_cast<char*>(DFOTA_PROGRAM)};
    for (auto& a : copies)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::execv(DFOTA_PROGRAM, argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// zstd and full payloads decode into the output file's mapping, with no
// window of their own: a 32 MiB image patches (zstd) and applies (full)
// within 24 MiB of private memory (the window alone was 32 MiB).
TEST(CommandLine, ZstdAndFullDecodeWithinBoundedMemory) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) // GCC
  GTEST_SKIP() << "a sanitizer's shadow memory does not fit a data limit";
#elif defined(__has_feature) // Clang
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
  GTEST_SKIP() << "a sanitizer's shadow memory does not fit a data limit";
#endif
#endif
  test::ScratchDir dir;
  // 1 MiB of noise repeated: quick to encode, and the decoder's history
  // must still span the image.
  const Bytes noise = test::random_bytes(1u << 20, 31);
  Bytes image;
  for (int i = 0; i < 32; ++i)
    image.insert(image.end(), noise.begin(), noise.end());
  const Bytes changed = test::mutate(image, 32);
  for (const char* version : {"v1", "v2"}) {
    fs::create_directories(dir / version);
    test::write_firmware_json(dir / version, "EC25EFA", std::string("EC25EFAR06A0") + version + "M4G");
  }
  test::write_file(dir / "v1" / "modem.img", image);
  test::write_file(dir / "v2" / "modem.img", changed);
  constexpr rlim_t kLimit = 24u << 20;

  const std::string payload = (dir / "zstd.payload").string();
  const std::string out = (dir / "zstd.img").string();
  ASSERT_EQ(run_cli({"diff", "--engine", "zstd", (dir / "v1" / "modem.img").string(),
                     (dir / "v2" / "modem.img").string(), "-o", payload})
                .exit_code,
            kOk);
  EXPECT_EQ(run_with_data_limit({"patch", "--engine", "zstd", (dir / "v1" / "modem.img").string(), payload, "-o", out,
                                 "--size", std::to_string(changed.size())},
                                kLimit),
            kOk);
  ASSERT_TRUE(fs::exists(out));
  EXPECT_TRUE(test::read_bytes(out) == changed);

  const std::string package = (dir / "full.zip").string();
  const std::string applied = (dir / "full-v2").string();
  ASSERT_EQ(run_cli({"build", "--engine", "full", "--from", (dir / "v1").string(), "--to", (dir / "v2").string(), "-o",
                     package})
                .exit_code,
            kOk);
  EXPECT_EQ(run_with_data_limit({"apply", package, "--source", (dir / "v1").string(), "-o", applied}, kLimit), kOk);
  EXPECT_TRUE(test::same_tree(applied, dir / "v2"));
}

TEST(CommandLine, LeftoversOfADeadRunAreRemovedAndALiveRunsAreKept) {
  test::ScratchDir dir;
  // A pid that has just ended.
  const pid_t dead = ::fork();
  if (dead == 0) ::_exit(0);
  ::waitpid(dead, nullptr, 0);
  const fs::path stale = dir / (".v2.partial-" + std::to_string(dead) + "-abcdef");
  const fs::path live = dir / (".v2.partial-" + std::to_string(::getppid()) + "-ghijkl");
  fs::create_directories(stale / "system" / "etc");
  fs::create_directories(live);
  fs::permissions(stale / "system", fs::perms::owner_read | fs::perms::owner_exec); // read-only, as a tree may be
  test::ScratchDir pkg;
  ASSERT_EQ(run_cli({"build", "--from", test::sample_firmware("v1").string(), "--to",
                     test::sample_firmware("v2").string(), "-o", (pkg / "u.zip").string()})
                .exit_code,
            kOk);
  auto applied = run_cli({"apply", (pkg / "u.zip").string(), "--source", test::sample_firmware("v1").string(), "-o",
                          (dir / "v2").string()});
  ASSERT_EQ(applied.exit_code, kOk) << applied.err;
  EXPECT_FALSE(fs::exists(stale)) << "a dead run's leftover stays";
  EXPECT_TRUE(fs::exists(live)) << "a live run's work was removed";
  fs::remove_all(live);
}

TEST(CommandLine, WhateverBuildAcceptsApplyApplies) {
  test::ScratchDir dir;
  const std::string long_name(250, 'n');
  for (const char* version : {"v1", "v2"}) {
    fs::copy(test::sample_firmware(version), dir / version, fs::copy_options::recursive);
    test::write_text(dir / version / "system" / long_name, std::string("content of ") + version);
  }
  test::write_text(dir / "v2" / std::string(255, 'i'), "a new image with the longest name there is");
  const std::string package = (dir / std::string(250, 'p')).string();
  auto built = run_cli({"build", "--from", (dir / "v1").string(), "--to", (dir / "v2").string(), "-o", package});
  ASSERT_EQ(built.exit_code, kOk) << built.err;
  const std::string out = (dir / std::string(254, 'o')).string();
  auto applied = run_cli({"apply", package, "--source", (dir / "v1").string(), "-o", out});
  ASSERT_EQ(applied.exit_code, kOk) << applied.err;
  std::string difference;
  EXPECT_TRUE(test::same_tree(out, dir / "v2", &difference)) << difference;
}

TEST(CommandLine, SpecialModesAreKeptOnlyForVerifiedPackages) {
  test::ScratchDir dir;
  for (const char* version : {"v1", "v2"})
    fs::copy(test::sample_firmware(version), dir / version, fs::copy_options::recursive);
  test::write_text(dir / "v2" / "system" / "su", "#!/bin/sh\n");
  fs::permissions(dir / "v2" / "system" / "su", static_cast<fs::perms>(04755));
  fs::create_directories(dir / "v2" / "system" / "drop");
  fs::permissions(dir / "v2" / "system" / "drop", static_cast<fs::perms>(01777));
  const std::string key = (dir / "k").string(), pub = (dir / "k.pub").string(), package = (dir / "u.zip").string();
  ASSERT_EQ(run_cli({"keygen", "--private", key, "--public", pub}).exit_code, kOk);
  ASSERT_EQ(run_cli({"build", "--from", (dir / "v1").string(), "--to", (dir / "v2").string(), "-o", package,
                     "--sign-key", key})
                .exit_code,
            kOk);
  const auto mode = [](const fs::path& p) { return static_cast<unsigned>(fs::status(p).permissions()) & 07777; };

  auto plain = run_cli({"apply", package, "--source", (dir / "v1").string(), "-o", (dir / "plain").string()});
  ASSERT_EQ(plain.exit_code, kOk) << plain.err;
  EXPECT_EQ(mode(dir / "plain" / "system" / "su"), 0755u);
  EXPECT_EQ(mode(dir / "plain" / "system" / "drop"), 0775u);
  EXPECT_NE(plain.err.find("dropped from 2 file(s)"), std::string::npos) << plain.err;

  auto verified = run_cli(
      {"apply", package, "--source", (dir / "v1").string(), "-o", (dir / "verified").string(), "--pubkey", pub});
  ASSERT_EQ(verified.exit_code, kOk) << verified.err;
  EXPECT_EQ(mode(dir / "verified" / "system" / "su"), 04755u);
  EXPECT_EQ(mode(dir / "verified" / "system" / "drop"), 01777u);
  EXPECT_TRUE(verified.err.empty()) << verified.err;

  auto kept = run_cli(
      {"apply", package, "--source", (dir / "v1").string(), "-o", (dir / "kept").string(), "--keep-special-modes"});
  ASSERT_EQ(kept.exit_code, kOk) << kept.err;
  EXPECT_EQ(mode(dir / "kept" / "system" / "su"), 04755u);
}

TEST_F(SamplePackage, KeyErrorsNameTheFileOnceAndWarnOnlyAboutPrivateKeys) {
  const std::string missing = (dir_ / "nokey.pub").string();
  auto validate = run_cli({"validate", package_, "--profile", "ec2x", "--pubkey", missing});
  EXPECT_EQ(validate.exit_code, kKeyError) << validate.err;
  EXPECT_TRUE(one_error_line(validate)) << validate.err;
  EXPECT_EQ(validate.err.find(missing), validate.err.rfind(missing)) << "named twice: " << validate.err;

  fs::permissions(pub_, static_cast<fs::perms>(0644));
  auto wrong = run_cli({"build", "--from", v1_, "--to", v2_, "-o", (dir_ / "x.zip").string(), "--sign-key", pub_});
  EXPECT_EQ(wrong.exit_code, kKeyError) << wrong.err;
  EXPECT_TRUE(one_error_line(wrong)) << "a public key is no private key to warn about: " << wrong.err;

  fs::permissions(key_, static_cast<fs::perms>(0644));
  auto readable = run_cli({"build", "--from", v1_, "--to", v2_, "-o", (dir_ / "y.zip").string(), "--sign-key", key_});
  EXPECT_EQ(readable.exit_code, kOk) << readable.err;
  EXPECT_NE(readable.err.find("warning: private key"), std::string::npos) << readable.err;
}

TEST_F(SamplePackage, AnExistingOutputIsRefusedUnlessForced) {
  const std::string image = v1_ + "/modem.img";
  const std::string taken = (dir_ / "taken").string();
  test::write_text(taken, "keep me");
  // Files: build (the signed package would be replaced by an unsigned one), diff, patch, sign -o.
  for (const std::vector<std::string>& args : {
           std::vector<std::string>{"build", "--from", v1_, "--to", v2_, "-o", package_},
           {"build", "--from", v1_, "--to", v2_, "-o", (dir_ / "new.zip").string(), "--reverse-output", taken},
           {"diff", image, v2_ + "/modem.img", "-o", taken},
           {"patch", image, taken, "-o", taken + "-too"},
           {"sign", package_, "--key", key_, "-o", taken},
       }) {
    if (args[0] == "patch") test::write_text(taken + "-too", "keep me too");
    auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, kOutputExists) << args[0] << ": " << r.err;
    EXPECT_TRUE(one_error_line(r)) << r.err;
    EXPECT_NE(r.err.find("give --force"), std::string::npos) << r.err;
  }
  EXPECT_EQ(test::read_text(taken), "keep me");
  EXPECT_FALSE(fs::exists(dir_ / "new.zip")) << "the forward package was written before the reverse was refused";
  auto still_signed = run_cli({"inspect", package_});
  EXPECT_NE(still_signed.out.find("signed        yes"), std::string::npos) << still_signed.out;
  auto forced = run_cli({"build", "--from", v1_, "--to", v2_, "-o", package_, "--force"});
  EXPECT_EQ(forced.exit_code, kOk) << forced.err;

  // Directories: apply and release refuse one that is not empty, and replace it with --force.
  fs::create_directories(dir_ / "out");
  test::write_text(dir_ / "out" / "old-file", "old");
  auto apply = run_cli({"apply", package_, "--source", v1_, "-o", (dir_ / "out").string()});
  EXPECT_EQ(apply.exit_code, kOutputExists) << apply.err;
  auto applied = run_cli({"apply", package_, "--source", v1_, "-o", (dir_ / "out").string(), "--force"});
  ASSERT_EQ(applied.exit_code, kOk) << applied.err;
  std::string difference;
  EXPECT_TRUE(test::same_tree(dir_ / "out", v2_, &difference)) << difference;
  EXPECT_FALSE(has_partial(dir_.path())) << "the replaced output was left behind";
  auto release = run_cli({"release", "--to", v2_, "--from", v1_, "-o", (dir_ / "out").string()});
  EXPECT_EQ(release.exit_code, kOutputExists) << release.err;
  // An empty directory is no output in the way.
  fs::create_directories(dir_ / "empty");
  EXPECT_EQ(run_cli({"release", "--to", v2_, "--from", v1_, "-o", (dir_ / "empty").string()}).exit_code, kOk);
  // patch -o OLD patches in place and sign without -o signs in place, as before.
  fs::copy_file(image, dir_ / "old.img");
  ASSERT_EQ(run_cli({"diff", image, v2_ + "/modem.img", "-o", (dir_ / "p.delta").string()}).exit_code, kOk);
  EXPECT_EQ(
      run_cli({"patch", (dir_ / "old.img").string(), (dir_ / "p.delta").string(), "-o", (dir_ / "old.img").string()})
          .exit_code,
      kOk);
  EXPECT_EQ(run_cli({"sign", package_, "--key", key_}).exit_code, kOk);
}

TEST_F(SamplePackage, QuietPrintsOnlyErrorsAndVerboseSaysMore) {
  auto quiet = run_cli({"build", "--from", v1_, "--to", v2_, "-o", (dir_ / "q.zip").string(), "-q"});
  EXPECT_EQ(quiet.exit_code, kOk);
  EXPECT_EQ(quiet.out + quiet.err, "");
  auto refused = run_cli({"validate", package_, "--profile", "ec2x", "--free-space", "1", "--quiet"});
  EXPECT_EQ(refused.exit_code, kValidationFailed);
  EXPECT_EQ(refused.out + refused.err, "") << "the exit code tells";
  auto error = run_cli({"build", "--from", v1_, "--to", v2_, "-o", (dir_ / "q.zip").string(), "-q"});
  EXPECT_EQ(error.exit_code, kOutputExists);
  EXPECT_TRUE(one_error_line(error)) << "errors still print: " << error.err;
  fs::permissions(key_, static_cast<fs::perms>(0644));
  auto warning = run_cli({"sign", package_, "--key", key_, "-q"});
  EXPECT_EQ(warning.exit_code, kOk);
  EXPECT_EQ(warning.err, "") << "warnings are not errors";

  auto verbose = run_cli({"build", "--from", v1_, "--to", v2_, "-o", (dir_ / "v.zip").string(), "-v"});
  EXPECT_EQ(verbose.exit_code, kOk);
  EXPECT_NE(verbose.err.find(": encoding modem.img (2/3)\n"), std::string::npos) << verbose.err;
  for (const char* verb : {"build", "apply", "checksum", "validate", "upload", "sim", "release", "explain"}) {
    const auto help = run_cli({verb, "--help"}).out;
    for (const char* option : {"--quiet", "--verbose", "--no-progress"})
      EXPECT_NE(help.find(option), std::string::npos) << verb << " lacks " << option;
  }
}

} // namespace
} // namespace dfota::cli
