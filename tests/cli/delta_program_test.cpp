// dfota-delta (tools/delta/): run in-process through DeltaMain, and as the
// real program for what only the program shows (what it links).
#include <cstdio>
#include <gtest/gtest.h>

#include "cli/exit_codes.hpp"
#include "core/subprocess.hpp"
#include "core/text.hpp"
#include "delta/delta_program.hpp"
#include "support/test_support.hpp"

namespace dfota {
namespace {

using namespace cli;
namespace fs = std::filesystem;

// Reads back what was written to a stream opened by open_memstream.
class CapturedStream {
public:
  CapturedStream() : stream_(open_memstream(&data_, &size_)) {}
  ~CapturedStream() {
    if (stream_) std::fclose(stream_);
    std::free(data_);
  }
  CapturedStream(const CapturedStream&) = delete;
  CapturedStream& operator=(const CapturedStream&) = delete;
  std::FILE* get() { return stream_; }
  std::string text() {
    std::fflush(stream_);
    return std::string(data_, size_);
  }

private:
  char* data_ = nullptr;
  std::size_t size_ = 0;
  std::FILE* stream_;
};

test::CliResult run_delta(const std::vector<std::string>& args) {
  std::vector<std::string> full{"dfota-delta"};
  full.insert(full.end(), args.begin(), args.end());
  CapturedStream out, err;
  test::CliResult result;
  result.exit_code = delta_tool::DeltaMain(full, out.get(), err.get());
  result.out = out.text();
  result.err = err.text();
  return result;
}

const std::string v1_image() { return (test::sample_firmware("v1") / "modem.img").string(); }
const std::string v2_image() { return (test::sample_firmware("v2") / "modem.img").string(); }

TEST(DeltaProgram, DiffAndPatchRoundTripWithDfotasNativePayload) {
  test::ScratchDir dir;
  const std::string payload = (dir / "p").string(), result = (dir / "n").string();
  auto d = run_delta({"diff", v1_image(), v2_image(), "-o", payload});
  ASSERT_EQ(d.exit_code, kOk) << d.err;
  EXPECT_EQ(d.err, "");
  EXPECT_EQ(d.out, payload + ": " + grouped(fs::file_size(payload)) + " bytes\n");
  // The same payload as `dfota diff` with the native engine, byte for byte.
  auto reference = test::run_cli({"diff", v1_image(), v2_image(), "-o", (dir / "ref").string()});
  ASSERT_EQ(reference.exit_code, kOk) << reference.err;
  EXPECT_EQ(test::read_bytes(payload), test::read_bytes(dir / "ref"));
  const std::string size = std::to_string(fs::file_size(v2_image()));
  auto p = run_delta({"patch", v1_image(), payload, "-o", result, "--size", size});
  ASSERT_EQ(p.exit_code, kOk) << p.err;
  EXPECT_EQ(p.out, result + ": " + grouped(fs::file_size(v2_image())) + " bytes\n");
  EXPECT_EQ(test::read_bytes(result), test::read_bytes(v2_image()));
  // And `dfota patch` applies what dfota-delta wrote.
  auto applied = test::run_cli({"patch", v1_image(), payload, "-o", (dir / "m").string()});
  ASSERT_EQ(applied.exit_code, kOk) << applied.err;
  EXPECT_EQ(test::read_bytes(dir / "m"), test::read_bytes(v2_image()));
}

TEST(DeltaProgram, HelpListsItsVerbsAndExitCodes) {
  auto help = run_delta({"--help"});
  EXPECT_EQ(help.exit_code, kOk);
  EXPECT_EQ(help.err, "");
  test::expect_golden("dfota-delta-help.txt", help.out);
  EXPECT_EQ(run_delta({"patch", "--help"}).out, help.out);
  EXPECT_EQ(run_delta({"diff", "a", "-h"}).out, help.out);
  auto version = run_delta({"--version"});
  EXPECT_EQ(version.exit_code, kOk);
  EXPECT_EQ(version.out, "dfota-delta 0.1.0\n");
}

TEST(DeltaProgram, BadCommandLinesAreOneLineAndExitTwo) {
  test::ScratchDir dir;
  const std::string out = (dir / "x").string();
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"package", v1_image()}, "unknown command 'package'"},
      {{"diff", v1_image(), v2_image()}, "-o is required"},
      {{"diff", v1_image(), "-o", out}, "diff takes OLD and NEW"},
      {{"diff", v1_image(), v2_image(), v2_image(), "-o", out}, "diff takes OLD and NEW"},
      {{"patch", v1_image(), "-o", out}, "patch takes OLD and PAYLOAD"},
      {{"diff", v1_image(), v2_image(), "-o"}, "-o needs a value"},
      {{"diff", v1_image(), v2_image(), "-o", ""}, "-o is empty; give it a value"},
      {{"diff", "", v2_image(), "-o", out}, "OLD and NEW may not be empty"},
      {{"patch", v1_image(), "", "-o", out}, "OLD and PAYLOAD may not be empty"},
      {{"diff", v1_image(), v2_image(), "-o", out, "--output", out}, "-o given twice"},
      {{"diff", v1_image(), v2_image(), "-o", out, "--size", "3"}, "unknown option --size"},
      {{"diff", v1_image(), v2_image(), "-o", out, "--engine", "zstd"}, "unknown option --engine"},
      {{"patch", v1_image(), v2_image(), "-o", out, "--size", "-5"},
       "--size: must be a whole number (0 or more), not -5"},
      {{"patch", v1_image(), v2_image(), "-o", out, "--size", "99999999999999999999"},
       "--size: must be a whole number (0 or more), not 99999999999999999999"},
  };
  for (const auto& [args, message] : cases) {
    auto r = run_delta(args);
    EXPECT_EQ(r.exit_code, kUsage) << message;
    EXPECT_EQ(r.err, "dfota-delta: error: " + message + " (see 'dfota-delta --help')\n");
    EXPECT_EQ(r.out, "");
  }
  EXPECT_FALSE(fs::exists(out));
  auto nothing = run_delta({});
  EXPECT_EQ(nothing.exit_code, kUsage);
  EXPECT_EQ(nothing.err.substr(0, 18), "usage: dfota-delta");
}

TEST(DeltaProgram, NoOutputReplacesAnInputButPatchWorksInPlace) {
  test::ScratchDir dir;
  const fs::path old_image = dir / "old.img", new_image = dir / "new.img", payload = dir / "p";
  fs::copy_file(v1_image(), old_image);
  fs::copy_file(v2_image(), new_image);
  const Bytes old_bytes = test::read_bytes(old_image), new_bytes = test::read_bytes(new_image);
  fs::create_directories(dir / "sub");
  for (const auto& [output, input] : {std::pair{(dir / "." / "old.img").string(), "OLD"},
                                      std::pair{(dir / "sub" / ".." / "new.img").string(), "NEW"}}) {
    auto r = run_delta({"diff", old_image.string(), new_image.string(), "-o", output});
    EXPECT_EQ(r.exit_code, kUsage);
    EXPECT_EQ(r.err, std::string("dfota-delta: error: -o names ") + input + " itself; write the output elsewhere\n");
  }
  EXPECT_EQ(test::read_bytes(old_image), old_bytes);
  EXPECT_EQ(test::read_bytes(new_image), new_bytes);
  ASSERT_EQ(run_delta({"diff", old_image.string(), new_image.string(), "-o", payload.string()}).exit_code, kOk);
  const Bytes payload_bytes = test::read_bytes(payload);
  auto over_payload = run_delta({"patch", old_image.string(), payload.string(), "-o", payload.string()});
  EXPECT_EQ(over_payload.exit_code, kUsage);
  EXPECT_EQ(test::read_bytes(payload), payload_bytes);
  auto in_place = run_delta({"patch", old_image.string(), payload.string(), "-o", old_image.string()});
  EXPECT_EQ(in_place.exit_code, kOk) << in_place.err;
  EXPECT_EQ(test::read_bytes(old_image), new_bytes);
}

TEST(DeltaProgram, AFailedPatchNamesTheCauseAndLeavesNoOutput) {
  test::ScratchDir dir;
  const std::string payload = (dir / "p").string(), result = (dir / "n").string();
  ASSERT_EQ(run_delta({"diff", v1_image(), v2_image(), "-o", payload}).exit_code, kOk);
  // Another source than the payload's: refused before a byte is written.
  auto wrong_source = run_delta({"patch", v2_image(), payload, "-o", result});
  EXPECT_EQ(wrong_source.exit_code, kSourceMismatch) << wrong_source.err;
  EXPECT_EQ(wrong_source.err.find('\n'), wrong_source.err.size() - 1) << wrong_source.err;
  // A size other than the result's.
  auto wrong_size = run_delta({"patch", v1_image(), payload, "-o", result, "--size", "1000"});
  EXPECT_EQ(wrong_size.exit_code, kPayloadMismatch) << wrong_size.err;
  // A damaged payload.
  Bytes damaged = test::read_bytes(payload);
  damaged.resize(damaged.size() / 2);
  test::write_file(dir / "damaged", damaged);
  auto corrupt = run_delta({"patch", v1_image(), (dir / "damaged").string(), "-o", result});
  EXPECT_EQ(corrupt.exit_code, kPayloadMismatch) << corrupt.err;
  // Inputs that are missing or not files.
  auto missing = run_delta({"patch", (dir / "none").string(), payload, "-o", result});
  EXPECT_EQ(missing.exit_code, kIoError) << missing.err;
  EXPECT_NE(missing.err.find((dir / "none").string()), std::string::npos) << missing.err;
  auto directory = run_delta({"patch", v1_image(), dir.path().string(), "-o", result});
  EXPECT_EQ(directory.exit_code, kIoError) << directory.err;
  EXPECT_FALSE(fs::exists(result));
  EXPECT_EQ(test::list_all(dir.path()), (std::vector<std::string>{"damaged", "p"}));
}

// The program links only what the engine needs: none of the packaging or
// upload libraries, and libstdc++, libcrypto and liblzma from their archives.
TEST(DeltaProgram, TheProgramLoadsNoLibraryItDoesNotNeed) {
  test::ScratchDir dir;
  const std::string listing = (dir / "dynamic").string();
  auto readelf = run_program({"sh", "-c", std::string("readelf -d '") + DFOTA_DELTA_PROGRAM + "' > '" + listing + "'"});
  ASSERT_TRUE(readelf && readelf->exit_status == 0);
  const std::string dynamic = test::read_text(listing);
  ASSERT_NE(dynamic.find("(NEEDED)"), std::string::npos) << dynamic;
  for (const char* library : {"libzip", "libcrypto", "libssl", "libstdc++", "liblzma", "libzstd", "libcurl"})
    EXPECT_EQ(dynamic.find(library), std::string::npos) << library << " in\n" << dynamic;
  // And it runs: a round trip through the real program.
  const std::string payload = (dir / "p").string(), result = (dir / "n").string();
  auto d = run_program({DFOTA_DELTA_PROGRAM, "diff", v1_image(), v2_image(), "-o", payload});
  ASSERT_TRUE(d && d->exit_status == 0) << (d ? d->error_output : d.error().message());
  auto p = run_program({DFOTA_DELTA_PROGRAM, "patch", v1_image(), payload, "-o", result});
  ASSERT_TRUE(p && p->exit_status == 0) << (p ? p->error_output : p.error().message());
  EXPECT_EQ(test::read_bytes(result), test::read_bytes(v2_image()));
  // The payload from standard input ("-"), as from a download piped in.
  const std::string piped = (dir / "piped").string();
  auto from_stdin = run_program({"sh", "-c",
                                 std::string("'") + DFOTA_DELTA_PROGRAM + "' patch '" + v1_image() + "' - -o '" +
                                     piped + "' < '" + payload + "'"});
  ASSERT_TRUE(from_stdin && from_stdin->exit_status == 0) << (from_stdin ? from_stdin->error_output : "");
  EXPECT_EQ(test::read_bytes(piped), test::read_bytes(v2_image()));
  // A damaged one is refused and leaves no output.
  auto damaged = run_program({"sh", "-c",
                              "head -c 100 '" + payload + "' | '" + DFOTA_DELTA_PROGRAM + "' patch '" + v1_image() +
                                  "' - -o '" + (dir / "none").string() + "'"});
  ASSERT_TRUE(damaged);
  EXPECT_EQ(damaged->exit_status, kPayloadMismatch) << damaged->error_output;
  EXPECT_FALSE(fs::exists(dir / "none"));
}

} // namespace
} // namespace dfota
