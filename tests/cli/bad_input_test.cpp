// Bad packages and bad sources: each gets one clear line and its own exit
// code, and nothing is written outside -o (nor -o itself).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <set>

#include "cli/exit_codes.hpp"
#include "package/builder.hpp"
#include "support/test_support.hpp"

namespace dfota::cli {
namespace {

namespace fs = std::filesystem;

struct BadCase {
  std::string name;
  std::function<void(const fs::path& good, const fs::path& bad)> make;
  int apply_exit;
  int inspect_exit;
};

std::string edit_manifest(Bytes& bytes, const std::function<void(nlohmann::ordered_json&)>& fn) {
  auto j = nlohmann::ordered_json::parse(bytes.begin(), bytes.end());
  fn(j);
  std::string text = j.dump(2);
  bytes.assign(text.begin(), text.end());
  return text;
}

std::vector<BadCase> bad_cases() {
  using test::rewrite_zip;
  return {
      {"missing", [](const fs::path&, const fs::path&) {}, kPackageNotFound, kPackageNotFound},
      {"empty", [](const fs::path&, const fs::path& bad) { test::write_file(bad, Bytes{}); }, kPackageEmpty,
       kPackageEmpty},
      {"not_a_zip", [](const fs::path&, const fs::path& bad) { test::write_text(bad, "firmware? no.\n"); }, kNotAZip,
       kNotAZip},
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
      {"manifest_broken",
       [](const fs::path& good, const fs::path& bad) {
         rewrite_zip(good, bad, [](std::string& name, Bytes& bytes) {
           if (name == "manifest.json") bytes.resize(bytes.size() / 2);
           return true;
         });
       },
       kManifestInvalid, kManifestInvalid},
      {"manifest_field_missing",
       [](const fs::path& good, const fs::path& bad) {
         rewrite_zip(good, bad, [](std::string& name, Bytes& bytes) {
           if (name == "manifest.json") edit_manifest(bytes, [](auto& j) { j.erase("target_version"); });
           return true;
         });
       },
       kManifestInvalid, kManifestInvalid},
      {"unknown_version",
       [](const fs::path& good, const fs::path& bad) {
         rewrite_zip(good, bad, [](std::string& name, Bytes& bytes) {
           if (name == "manifest.json") edit_manifest(bytes, [](auto& j) { j["format_version"] = "9.0"; });
           return true;
         });
       },
       kUnsupportedVersion, kUnsupportedVersion},
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
       [](const fs::path& good, const fs::path& bad) {
         rewrite_zip(good, bad, [](std::string& name, Bytes& bytes) {
           if (name == "manifest.json") {
             edit_manifest(bytes, [](auto& j) { j["partitions"][2]["files"][0]["path"] = "../../../outside"; });
           }
           return true;
         });
       },
       kUnsafeEntry, kUnsafeEntry},
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

TEST_F(BadInput, EachDamageGetsItsOwnExitCodeAndNoOutput) {
  std::set<int> apply_codes;
  const auto cases = bad_cases();
  for (const auto& c : cases) {
    const fs::path bad = dir_ / ("bad-" + c.name + ".zip");
    c.make(dir_ / "good.zip", bad);
    const auto before = test::list_all(dir_.path());
    const fs::path out = dir_ / "out";

    auto applied =
        test::run_cli({"apply", bad.string(), "--source", test::sample_firmware("v1").string(), "-o", out.string()});
    EXPECT_EQ(applied.exit_code, c.apply_exit) << c.name << ": " << applied.err;
    expect_one_line(applied, c.name);
    EXPECT_FALSE(fs::exists(out)) << c.name;
    EXPECT_EQ(test::list_all(dir_.path()), before) << c.name << ": apply wrote something";
    EXPECT_FALSE(fs::exists("/tmp/dfota-evil"));
    apply_codes.insert(applied.exit_code);

    auto inspected = test::run_cli({"inspect", bad.string()});
    EXPECT_EQ(inspected.exit_code, c.inspect_exit) << c.name << ": " << inspected.err;
    if (c.inspect_exit != kOk) expect_one_line(inspected, c.name);
  }
  // Different kinds of damage are told apart by their exit codes.
  EXPECT_EQ(apply_codes.size(), 9u);
}

TEST_F(BadInput, AWrongSourceIsRefusedByNameBeforeWriting) {
  const fs::path out = dir_ / "out";
  auto r = test::run_cli(
      {"apply", (dir_ / "good.zip").string(), "--source", test::sample_firmware("v2").string(), "-o", out.string()});
  EXPECT_EQ(r.exit_code, kSourceMismatch);
  expect_one_line(r, "wrong source");
  EXPECT_NE(r.err.find("partition boot.img"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
  auto not_firmware =
      test::run_cli({"apply", (dir_ / "good.zip").string(), "--source", dir_.path().string(), "-o", out.string()});
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

} // namespace
} // namespace dfota::cli
