#include <gtest/gtest.h>

#include "package/builder.hpp"
#include "package/inspector.hpp"
#include "support/test_support.hpp"

namespace dfota::package {
namespace {

Status write_zip(const std::filesystem::path& path, const std::vector<std::pair<std::string, std::string>>& entries) {
  auto zip = ZipWriter::create(path);
  if (!zip) return zip.error();
  for (const auto& [name, text] : entries) {
    if (auto ok = zip->add_bytes(name, Bytes(text.begin(), text.end())); !ok) return ok;
  }
  return zip->close();
}

TEST(Inspector, DescribesOurPackages) {
  test::ScratchDir dir;
  ASSERT_TRUE(build_package(test::sample_firmware("v1"), test::sample_firmware("v2"), dir / "p.zip", {}));
  auto r = inspect_package(dir / "p.zip");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->layout, Layout::dfota);
  ASSERT_TRUE(r->manifest);
  EXPECT_EQ(r->manifest->project, "EC25EFA");
  EXPECT_FALSE(r->has_signature);
  EXPECT_EQ(r->file.size, std::filesystem::file_size(dir / "p.zip"));
  EXPECT_EQ(r->entries.front().name, "manifest.json");
}

TEST(Inspector, TellsTheFormEachNativePayloadStates) {
  test::ScratchDir dir;
  BuildOptions native;
  native.engine = "native";
  ASSERT_TRUE(build_package(test::sample_firmware("v1"), test::sample_firmware("v2"), dir / "native.zip", native));
  auto r = inspect_package(dir / "native.zip");
  ASSERT_TRUE(r) << r.error().message();
  std::size_t native_payloads = 0;
  for (const PartitionEntry& p : r->manifest->partitions) {
    if (!p.payload || p.payload->engine != "native") continue;
    ++native_payloads;
    const auto found = r->payload_forms.find(p.payload->path);
    ASSERT_NE(found, r->payload_forms.end()) << p.payload->path;
    ASSERT_FALSE(found->second.empty());
    EXPECT_EQ(found->second.back().name, "plain payload") << p.payload->path;
  }
  EXPECT_GT(native_payloads, 0u);

  // The zstd engine's payloads state nothing of their form.
  BuildOptions zstd;
  zstd.engine = "zstd";
  ASSERT_TRUE(build_package(test::sample_firmware("v1"), test::sample_firmware("v2"), dir / "zstd.zip", zstd));
  auto z = inspect_package(dir / "zstd.zip");
  ASSERT_TRUE(z) << z.error().message();
  EXPECT_TRUE(z->payload_forms.empty());
}

TEST(Inspector, RecognisesAnAndroidRecoveryUpdateZip) {
  test::ScratchDir dir;
  ASSERT_TRUE(write_zip(dir / "update.zip", {{"META-INF/com/google/android/update-binary", "\x7f"
                                                                                           "ELF..."},
                                             {"META-INF/com/google/android/updater-script", "ui_print(\"x\");\n"},
                                             {"META-INF/com/android/metadata",
                                              "ota-type=BLOCK\npre-device=EC25\npost-build=EC25EFAR06A07M4G\n"},
                                             {"patch/modem.img.p", "delta"}}));
  auto r = inspect_package(dir / "update.zip");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->layout, Layout::android_recovery);
  EXPECT_FALSE(r->manifest);
  EXPECT_EQ(r->entries.size(), 4u);
  ASSERT_FALSE(r->facts.empty());
  EXPECT_EQ(r->facts[0], (std::pair<std::string, std::string>{"metadata.ota-type", "BLOCK"}));
}

TEST(Inspector, RecognisesAnAbPayload) {
  test::ScratchDir dir;
  std::string header = std::string("CrAU") + std::string("\0\0\0\0\0\0\0\2", 8) + std::string("\0\0\0\0\0\0\1\0", 8) +
                       std::string("\0\0\0\x10", 4) + "rest";
  ASSERT_TRUE(write_zip(dir / "ab.zip", {{"payload.bin", header},
                                         {"payload_properties.txt", "FILE_HASH=abc\nFILE_SIZE=28\n"},
                                         {"META-INF/com/android/metadata", "ota-type=AB\n"}}));
  auto r = inspect_package(dir / "ab.zip");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->layout, Layout::android_ab);
  std::map<std::string, std::string> facts(r->facts.begin(), r->facts.end());
  EXPECT_EQ(facts["payload.version"], "2");
  EXPECT_EQ(facts["payload.manifest_size"], "256");
  EXPECT_EQ(facts["properties.FILE_SIZE"], "28");
  EXPECT_EQ(facts["metadata.ota-type"], "AB");
}

TEST(Inspector, ListsAnyOtherZipWithoutFailing) {
  test::ScratchDir dir;
  ASSERT_TRUE(write_zip(dir / "misc.zip", {{"readme.txt", "hi"}, {"../odd", "x"}}));
  auto r = inspect_package(dir / "misc.zip");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->layout, Layout::zip);
  EXPECT_FALSE(r->entries[1].safe_name);
}

} // namespace
} // namespace dfota::package
