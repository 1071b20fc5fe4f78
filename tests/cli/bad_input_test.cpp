// Bad packages and bad sources: each gets one clear line and its own exit
// code, and nothing is written outside -o (nor -o itself).
#include <chrono>
#include <cstdlib>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <set>
#include <sys/resource.h>
#include <unistd.h>

#include "cli/exit_codes.hpp"
#include "core/hash.hpp"
#include "delta/engine.hpp"
#include "package/builder.hpp"
#include "package/zip_container.hpp"
#include "support/test_support.hpp"

namespace dfota::cli {
namespace {

namespace fs = std::filesystem;

// kAnyFailure: any non-zero exit with a one-line error (bit flips land on
// different fields depending on the package's layout).
constexpr int kAnyFailure = -1;

struct BadCase {
  std::string name;
  std::function<void(const fs::path& good, const fs::path& bad)> make;
  int apply_exit;
  int inspect_exit;
  // Damage only applying shows (the manifest itself is consistent).
  bool validate_may_pass = false;
};

void truncate_to(const fs::path& good, const fs::path& bad, double fraction, long long minus = 0) {
  Bytes b = test::read_bytes(good);
  const auto keep =
      static_cast<std::size_t>(static_cast<double>(b.size()) * fraction) - static_cast<std::size_t>(minus);
  test::write_file(bad, ByteSpan(b).first(keep));
}

void flip_bit_at(const fs::path& good, const fs::path& bad, double fraction) {
  Bytes b = test::read_bytes(good);
  b[static_cast<std::size_t>(static_cast<double>(b.size() - 1) * fraction)] ^= 0x10;
  test::write_file(bad, b);
}

// Runs python3 with `script` and the arguments; the bad packages that need a
// deflated entry or exact zip fields are written with Python's zipfile.
void python(const std::string& script, const std::vector<std::string>& args) {
  const fs::path file = fs::temp_directory_path() / ("dfota-bad-" + std::to_string(::getpid()) + ".py");
  test::write_text(file, script);
  std::string command = "python3 " + file.string();
  for (const auto& a : args)
    command += " '" + a + "'";
  ASSERT_EQ(std::system(command.c_str()), 0) << script;
  fs::remove(file);
}

void edit_manifest(Bytes& bytes, const std::function<void(nlohmann::ordered_json&)>& fn) {
  auto j = nlohmann::ordered_json::parse(bytes.begin(), bytes.end());
  fn(j);
  const std::string text = j.dump(2);
  bytes.assign(text.begin(), text.end());
}

// A case that changes only the manifest's bytes...
std::function<void(const fs::path&, const fs::path&)> with_manifest_bytes(std::function<void(Bytes&)> edit) {
  return [edit](const fs::path& good, const fs::path& bad) {
    test::rewrite_zip(good, bad, [&](std::string& name, Bytes& bytes) {
      if (name == "manifest.json") edit(bytes);
      return true;
    });
  };
}

// ... or edits it as JSON.
std::function<void(const fs::path&, const fs::path&)>
with_manifest_json(std::function<void(nlohmann::ordered_json&)> edit) {
  return with_manifest_bytes([edit](Bytes& bytes) { edit_manifest(bytes, edit); });
}

std::vector<BadCase> bad_cases() {
  using test::rewrite_zip;
  return {
      {"missing", [](const fs::path&, const fs::path&) {}, kPackageNotFound, kPackageNotFound},
      {"empty", [](const fs::path&, const fs::path& bad) { test::write_file(bad, Bytes{}); }, kPackageEmpty,
       kPackageEmpty},
      // Not a zip: apply refuses it; inspect describes it as an opaque vendor
      // package (an ASR or Unisoc .bin), which is what such a file may be.
      {"not_a_zip", [](const fs::path&, const fs::path& bad) { test::write_text(bad, "firmware? no.\n"); }, kNotAZip,
       kOk},
      {"truncated",
       [](const fs::path& good, const fs::path& bad) {
         Bytes b = test::read_bytes(good);
         test::write_file(bad, ByteSpan(b).first(b.size() * 2 / 3));
       },
       kCorruptZip, kCorruptZip},
      {"manifest_missing",
       [](const fs::path& good, const fs::path& bad) {
         rewrite_zip(good, bad, [](std::string& name, Bytes&) { return name != "manifest.json"; });
       },
       kManifestMissing, kOk /* inspect lists a zip that is not ours */},
      {"manifest_broken", with_manifest_bytes([](Bytes& bytes) { bytes.resize(bytes.size() / 2); }), kManifestInvalid,
       kManifestInvalid},
      {"manifest_field_missing", with_manifest_json([](auto& j) { j.erase("target_version"); }), kManifestInvalid,
       kManifestInvalid},
      {"unknown_version", with_manifest_json([](auto& j) { j["format_version"] = "9.0"; }), kUnsupportedVersion,
       kUnsupportedVersion},
      {"payload_hash_mismatch",
       [](const fs::path& good, const fs::path& bad) {
         rewrite_zip(good, bad, [](std::string& name, Bytes& bytes) {
           if (name == "payload/modem.img") bytes[bytes.size() / 3] ^= 0x01;
           return true;
         });
       },
       kPayloadMismatch, kOk},
      {"payload_missing",
       [](const fs::path& good, const fs::path& bad) {
         rewrite_zip(good, bad, [](std::string& name, Bytes&) { return name != "payload/boot.img"; });
       },
       kPayloadMismatch, kPayloadMismatch},
      {"zip_slip_entry",
       [](const fs::path& good, const fs::path& bad) {
         rewrite_zip(good, bad, [](std::string& name, Bytes&) {
           if (name == "payload/boot.img") name = "../../evil";
           return true;
         });
       },
       kUnsafeEntry, kUnsafeEntry},
      {"absolute_entry",
       [](const fs::path& good, const fs::path& bad) {
         rewrite_zip(good, bad, [](std::string& name, Bytes&) {
           if (name == "payload/boot.img") name = "/tmp/dfota-evil";
           return true;
         });
       },
       kUnsafeEntry, kUnsafeEntry},
      {"manifest_path_escape",
       with_manifest_json([](auto& j) { j["partitions"][2]["files"][0]["path"] = "../../../outside"; }), kUnsafeEntry,
       kUnsafeEntry},
      // Truncated at many points: the central directory, then the data go.
      {"truncated_1pct", [](const fs::path& g, const fs::path& b) { truncate_to(g, b, 0.01); }, kCorruptZip,
       kCorruptZip},
      {"truncated_10pct", [](const fs::path& g, const fs::path& b) { truncate_to(g, b, 0.10); }, kCorruptZip,
       kCorruptZip},
      {"truncated_25pct", [](const fs::path& g, const fs::path& b) { truncate_to(g, b, 0.25); }, kCorruptZip,
       kCorruptZip},
      {"truncated_50pct", [](const fs::path& g, const fs::path& b) { truncate_to(g, b, 0.50); }, kCorruptZip,
       kCorruptZip},
      {"truncated_90pct", [](const fs::path& g, const fs::path& b) { truncate_to(g, b, 0.90); }, kCorruptZip,
       kCorruptZip},
      {"truncated_99pct", [](const fs::path& g, const fs::path& b) { truncate_to(g, b, 0.99); }, kCorruptZip,
       kCorruptZip},
      {"truncated_last_byte", [](const fs::path& g, const fs::path& b) { truncate_to(g, b, 1.0, 1); }, kCorruptZip,
       kCorruptZip},
      {"only_the_zip_magic", [](const fs::path&, const fs::path& b) { test::write_text(b, "PK\x03\x04"); }, kCorruptZip,
       kCorruptZip},
      // Single bit flips spread over the file.
      {"bitflip_5pct", [](const fs::path& g, const fs::path& b) { flip_bit_at(g, b, 0.05); }, kAnyFailure, kAnyFailure},
      {"bitflip_30pct", [](const fs::path& g, const fs::path& b) { flip_bit_at(g, b, 0.30); }, kAnyFailure,
       kAnyFailure},
      {"bitflip_60pct", [](const fs::path& g, const fs::path& b) { flip_bit_at(g, b, 0.60); }, kAnyFailure,
       kAnyFailure},
      {"bitflip_90pct", [](const fs::path& g, const fs::path& b) { flip_bit_at(g, b, 0.90); }, kAnyFailure,
       kAnyFailure},
      {"bitflip_central_directory", [](const fs::path& g, const fs::path& b) { flip_bit_at(g, b, 0.985); }, kAnyFailure,
       kAnyFailure},
      {"bitflip_end_record", [](const fs::path& g, const fs::path& b) { flip_bit_at(g, b, 0.9999); }, kAnyFailure,
       kAnyFailure},
      // Broken manifests.
      {"manifest_empty", with_manifest_bytes([](Bytes& bytes) { bytes.clear(); }), kManifestInvalid, kManifestInvalid},
      {"manifest_not_an_object", with_manifest_bytes([](Bytes& bytes) {
         bytes = Bytes{'[', ']'};
       }),
       kManifestInvalid, kManifestInvalid},
      {"manifest_oversize_17MiB",
       with_manifest_bytes([](Bytes& bytes) { bytes.insert(bytes.end(), std::size_t{17} << 20, ' '); }), kLimitExceeded,
       kLimitExceeded},
      {"manifest_twice",
       [](const fs::path& good, const fs::path& bad) {
         python(R"(
import sys, warnings, zipfile
warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
src = zipfile.ZipFile(sys.argv[1])
out = zipfile.ZipFile(sys.argv[2], "w")
for info in src.infolist():
    out.writestr(info.filename, src.read(info.filename))
out.writestr("manifest.json", b"{}")
out.close()
)",
                {good.string(), bad.string()});
       },
       kCorruptZip, kCorruptZip},
      {"engine_unknown", with_manifest_json([](auto& j) { j["partitions"][0]["engine"] = "bsdiff9"; }),
       kManifestInvalid, kManifestInvalid},
      // Sizes that lie.
      {"payload_declared_2_to_62",
       with_manifest_json([](auto& j) { j["partitions"][1]["payload_size"] = std::uint64_t{1} << 62; }),
       kPayloadMismatch, kPayloadMismatch},
      {"target_declared_1TiB",
       with_manifest_json([](auto& j) { j["partitions"][1]["target"]["size"] = std::uint64_t{1} << 40; }),
       kManifestInvalid, kManifestInvalid},
      {"payloads_swapped",
       [](const fs::path& good, const fs::path& bad) {
         const auto opened = package::ZipReader::open(good);
         const Bytes boot = *opened->read_entry("payload/boot.img", 1 << 20);
         const Bytes modem = *opened->read_entry("payload/modem.img", 1 << 20);
         rewrite_zip(good, bad, [&](std::string& name, Bytes& bytes) {
           if (name == "payload/boot.img") bytes = modem;
           if (name == "payload/modem.img") bytes = boot;
           return true;
         });
       },
       kPayloadMismatch, kPayloadMismatch},
      // A 1 GiB zip bomb: a deflated payload of zeros about a thousand times
      // smaller, with the manifest agreeing on its size.
      {"zip_bomb_1GiB",
       [](const fs::path& good, const fs::path& bad) {
         python(R"(
import json, sys, zipfile
good, bad = sys.argv[1], sys.argv[2]
src = zipfile.ZipFile(good)
out = zipfile.ZipFile(bad, "w", compresslevel=9)
for info in src.infolist():
    data = src.read(info.filename)
    if info.filename == "manifest.json":
        m = json.loads(data)
        m["partitions"][1]["payload_size"] = 1 << 30
        data = json.dumps(m).encode()
    if info.filename == "payload/modem.img":
        deflated = zipfile.ZipInfo(info.filename)
        deflated.compress_type = zipfile.ZIP_DEFLATED
        with out.open(deflated, "w", force_zip64=True) as w:
            zeros = bytes(1 << 20)
            for _ in range(1024):
                w.write(zeros)
        continue
    out.writestr(info.filename, data)
out.close()
)",
                {good.string(), bad.string()});
       },
       kLimitExceeded, kLimitExceeded},
      // Symbolic links that would lead a write outside the output.
      {"write_through_symlink", with_manifest_json([](auto& j) {
         for (auto& f : j["partitions"][2]["files"]) {
           if (f["type"] == "symlink") f["link_target"] = "/tmp";
           if (f["path"] == "features.db") f["path"] = "libqfota.so.1/dfota-evil";
         }
       }),
       kUnsafeEntry, kUnsafeEntry},
      {"symlink_out_of_tree", with_manifest_json([](auto& j) {
         j["partitions"][2]["files"].insert(j["partitions"][2]["files"].begin(),
                                            nlohmann::ordered_json{{"path", "escape"},
                                                                   {"type", "symlink"},
                                                                   {"op", "full"},
                                                                   {"mode", "0777"},
                                                                   {"link_target", "../../../../../../tmp"},
                                                                   {"target", nullptr}});
       }),
       kTargetMismatch, kOk, /*validate_may_pass=*/true},
  };
}

class BadInput : public ::testing::Test {
protected:
  void SetUp() override {
    auto built =
        package::build_package(test::sample_firmware("v1"), test::sample_firmware("v2"), dir_ / "good.zip", {});
    ASSERT_TRUE(built) << built.error().message();
  }
  test::ScratchDir dir_;
};

void expect_one_line(const test::CliResult& r, const std::string& label) {
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << label << ": " << r.err;
  EXPECT_EQ(r.err.rfind("dfota: error: ", 0), 0u) << label << ": " << r.err;
}

long max_rss_mib() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}

TEST_F(BadInput, EachDamageGetsItsOwnExitCodeAndNoOutput) {
  std::set<int> apply_codes;
  const auto cases = bad_cases();
  ASSERT_GE(cases.size(), 30u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const fs::path bad = dir_ / ("bad-" + c.name + ".zip");
    c.make(dir_ / "good.zip", bad);
    const auto before = test::list_all(dir_.path());
    const fs::path out = dir_ / "out";
    const auto started = std::chrono::steady_clock::now();

    auto applied =
        test::run_cli({"apply", bad.string(), "--source", test::sample_firmware("v1").string(), "-o", out.string()});
    if (c.apply_exit == kAnyFailure) {
      EXPECT_NE(applied.exit_code, kOk) << applied.err;
      EXPECT_NE(applied.exit_code, kInternal) << applied.err;
    } else {
      EXPECT_EQ(applied.exit_code, c.apply_exit) << applied.err;
    }
    expect_one_line(applied, c.name);
    EXPECT_FALSE(fs::exists(out));
    EXPECT_EQ(test::list_all(dir_.path()), before) << "apply wrote something";
    EXPECT_FALSE(fs::exists("/tmp/dfota-evil"));
    apply_codes.insert(applied.exit_code);

    auto inspected = test::run_cli({"inspect", bad.string()});
    if (c.inspect_exit == kAnyFailure) {
      EXPECT_NE(inspected.exit_code, kInternal) << inspected.err;
      if (inspected.exit_code != kOk) expect_one_line(inspected, c.name);
    } else {
      EXPECT_EQ(inspected.exit_code, c.inspect_exit) << inspected.err;
      if (c.inspect_exit != kOk) expect_one_line(inspected, c.name);
    }

    // validate names the damage as a failing rule (exit 20) or, when the file
    // cannot be read at all, as a one-line error; a zip without our manifest
    // may be another vendor's package: a warning that it cannot be checked.
    auto validated = test::run_cli({"validate", bad.string(), "--profile", "ec2x"});
    if (validated.exit_code == kOk && !c.validate_may_pass) {
      EXPECT_NE(validated.out.find(" warn "), std::string::npos) << validated.out;
    }
    EXPECT_NE(validated.exit_code, kInternal) << validated.err;
    if (validated.exit_code == kValidationFailed) {
      EXPECT_NE(validated.out.find(" fail "), std::string::npos) << validated.out;
    }
    EXPECT_EQ(test::list_all(dir_.path()), before) << "inspect or validate wrote something";

    const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    EXPECT_LT(seconds, 30.0) << "too slow: a hang?";
    fs::remove(bad);
  }
  // Different kinds of damage are told apart by their exit codes.
  EXPECT_GE(apply_codes.size(), 10u);
  // Nothing was inflated: the zip bomb stayed a file of about a megabyte.
  EXPECT_LT(max_rss_mib(), 768) << "MiB of peak memory";
}

TEST_F(BadInput, AWrongSourceIsRefusedByNameBeforeWriting) {
  const fs::path out = dir_ / "out";
  auto r = test::run_cli(
      {"apply", (dir_ / "good.zip").string(), "--source", test::sample_firmware("v2").string(), "-o", out.string()});
  EXPECT_EQ(r.exit_code, kSourceMismatch);
  expect_one_line(r, "wrong source");
  EXPECT_NE(r.err.find("partition boot.img"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
  const fs::path not_a_firmware = dir_ / "not-firmware";
  test::write_text(not_a_firmware / "notes.txt", "not a firmware");
  auto not_firmware =
      test::run_cli({"apply", (dir_ / "good.zip").string(), "--source", not_a_firmware.string(), "-o", out.string()});
  EXPECT_EQ(not_firmware.exit_code, kSourceMismatch) << not_firmware.err;
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(BadInput, BuildRefusesMissingFirmware) {
  auto r = test::run_cli({"build", "--from", (dir_ / "nope").string(), "--to", test::sample_firmware("v2").string(),
                          "-o", (dir_ / "x.zip").string()});
  EXPECT_EQ(r.exit_code, kBadFirmware) << r.err;
  expect_one_line(r, "build");
  EXPECT_FALSE(fs::exists(dir_ / "x.zip"));
}

TEST_F(BadInput, APayloadThatIsADirectoryIsNamedInTheError) {
  const fs::path source = test::sample_firmware("v1") / "boot.img";
  const fs::path out = dir_ / "patched";
  auto r = test::run_cli({"patch", source.string(), dir_.path().string(), "-o", out.string()});
  EXPECT_EQ(r.exit_code, kIoError) << r.err;
  expect_one_line(r, "patch");
  EXPECT_NE(r.err.find(dir_.path().string() + ": "), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
}

// Copies of the sample firmware in the scratch directory, so that a failing
// check cannot write into the source tree.
struct FirmwareCopies {
  fs::path v1, v2;
  explicit FirmwareCopies(const fs::path& dir) : v1(dir / "fw-v1"), v2(dir / "fw-v2") {
    const auto options = fs::copy_options::recursive | fs::copy_options::copy_symlinks;
    fs::copy(test::sample_firmware("v1"), v1, options);
    fs::copy(test::sample_firmware("v2"), v2, options);
  }
};

TEST_F(BadInput, OutputsInsideAFirmwareDirectoryAreRefusedBeforeWriting) {
  const FirmwareCopies fw(dir_.path());
  const auto v1_files = test::list_all(fw.v1), v2_files = test::list_all(fw.v2);
  auto unchanged = [&] { return test::list_all(fw.v1) == v1_files && test::list_all(fw.v2) == v2_files; };
  const std::string v1 = fw.v1.string(), v2 = fw.v2.string();
  const std::string forward = (dir_ / "forward.zip").string();

  auto into_target = test::run_cli({"build", "--from", v1, "--to", v2, "-o", v2 + "/update.zip"});
  EXPECT_EQ(into_target.exit_code, kOutputExists) << into_target.err;
  expect_one_line(into_target, "build -o in --to");
  EXPECT_NE(into_target.err.find("(--to)"), std::string::npos) << into_target.err;
  EXPECT_TRUE(unchanged());

  // The reverse output is checked before the forward package is written.
  auto reverse_into_source =
      test::run_cli({"build", "--from", v1, "--to", v2, "-o", forward, "--reverse-output", v2 + "/../fw-v1/back.zip"});
  EXPECT_EQ(reverse_into_source.exit_code, kOutputExists) << reverse_into_source.err;
  expect_one_line(reverse_into_source, "build --reverse-output in --from");
  EXPECT_NE(reverse_into_source.err.find("(--from)"), std::string::npos) << reverse_into_source.err;
  EXPECT_FALSE(fs::exists(forward));
  EXPECT_TRUE(unchanged());

  auto same_file = test::run_cli(
      {"build", "--from", v1, "--to", v2, "-o", forward, "--reverse-output", (dir_ / "." / "forward.zip").string()});
  EXPECT_EQ(same_file.exit_code, kUsage) << same_file.err;
  expect_one_line(same_file, "build -o = --reverse-output");
  EXPECT_FALSE(fs::exists(forward));

  auto apply_into_source = test::run_cli({"apply", (dir_ / "good.zip").string(), "--source", v1, "-o", v1 + "/v2"});
  EXPECT_EQ(apply_into_source.exit_code, kOutputExists) << apply_into_source.err;
  expect_one_line(apply_into_source, "apply -o in --source");
  EXPECT_TRUE(unchanged());

  auto release_into_target = test::run_cli({"release", "--to", v2, "--from", v1, "-o", v2 + "/packages"});
  EXPECT_EQ(release_into_target.exit_code, kOutputExists) << release_into_target.err;
  expect_one_line(release_into_target, "release -o in --to");
  auto release_into_source = test::run_cli({"release", "--to", v2, "--from", v1, "-o", v1 + "/packages"});
  EXPECT_EQ(release_into_source.exit_code, kOutputExists) << release_into_source.err;
  EXPECT_TRUE(unchanged());

  // Beside the firmware, both work.
  auto beside = test::run_cli({"build", "--from", v1, "--to", v2, "-o", forward});
  EXPECT_EQ(beside.exit_code, kOk) << beside.err;
  EXPECT_TRUE(fs::exists(forward));
}

// A decompression bomb: modem.img's payload replaced by a zstd frame of
// 256 MiB of zeros (a few KiB), the manifest's payload size and hash made
// to match, the announced target left as it is. validate fails it; apply
// refuses it before decoding: no window allocated, nothing written.
TEST_F(BadInput, ADecompressionBombIsRefusedBeforeDecoding) {
  VectorWriter frame;
  {
    const Bytes zeros(256u << 20, 0); // freed before apply runs
    ASSERT_TRUE(delta::find_engine("full")->diff({}, zeros, frame));
  }
  const fs::path bomb = dir_ / "bomb.zip";
  test::rewrite_zip(dir_ / "good.zip", bomb, [&](std::string& name, Bytes& bytes) {
    if (name == "payload/modem.img") bytes = frame.bytes();
    if (name == "manifest.json") {
      edit_manifest(bytes, [&](nlohmann::ordered_json& m) {
        for (auto& p : m["partitions"]) {
          if (p["name"] != "modem.img") continue;
          p["engine"] = "full";
          p["payload_size"] = frame.bytes().size();
          p["payload_sha256"] = sha256_hex(frame.bytes());
        }
      });
    }
    return true;
  });
  auto validated = test::run_cli({"validate", bomb.string(), "--profile", "ec2x"});
  EXPECT_EQ(validated.exit_code, kValidationFailed) << validated.out << validated.err;
  EXPECT_NE(validated.out.find("states 268435456 bytes"), std::string::npos) << validated.out;

  const long rss_before = max_rss_mib();
  auto applied = test::run_cli(
      {"apply", bomb.string(), "--source", test::sample_firmware("v1").string(), "-o", (dir_ / "out").string()});
  EXPECT_EQ(applied.exit_code, kPayloadMismatch) << applied.err;
  expect_one_line(applied, "apply");
  EXPECT_LT(max_rss_mib() - rss_before, 64) << "the bomb's window was allocated";
  EXPECT_FALSE(fs::exists(dir_ / "out"));
}

} // namespace
} // namespace dfota::cli
