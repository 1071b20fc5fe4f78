#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "firmware/firmware.hpp"
#include "support/test_support.hpp"

namespace dfota::firmware {
namespace {

using test::ScratchDir;

TEST(Firmware, OpensTheSampleLayout) {
  auto fw = open_firmware(test::sample_firmware("v1"));
  ASSERT_TRUE(fw) << fw.error().message();
  EXPECT_EQ(fw->info.project, "EC25EFA");
  EXPECT_EQ(fw->info.version, "EC25EFAR06A06M4G_01.003.01.003");
  ASSERT_EQ(fw->partitions.size(), 3u);
  EXPECT_EQ(fw->partitions[0].name, "boot.img");
  EXPECT_EQ(fw->partitions[0].kind, PartitionKind::image);
  EXPECT_EQ(fw->partitions[2].name, "system");
  EXPECT_EQ(fw->partitions[2].kind, PartitionKind::tree);
}

TEST(Firmware, RefusesADirectoryWithoutFirmwareJson) {
  ScratchDir dir;
  test::write_text(dir / "modem.img", "x");
  auto fw = open_firmware(dir.path());
  ASSERT_FALSE(fw);
  EXPECT_TRUE(fw.error().is(FirmwareErrc::not_a_firmware));
  EXPECT_FALSE(open_firmware(dir / "missing"));
}

TEST(Firmware, FirmwareJsonNeedsProjectAndVersion) {
  EXPECT_TRUE(parse_firmware_json(as_bytes(R"({"project":"P","version":"V","extra":1})")));
  for (const char* bad : {"", "[]", "{", R"({"project":"P"})", R"({"version":"V"})", R"({"project":1,"version":"V"})",
                          R"({"project":"","version":"V"})"}) {
    auto info = parse_firmware_json(as_bytes(bad));
    ASSERT_FALSE(info) << bad;
    EXPECT_TRUE(info.error().is(FirmwareErrc::bad_firmware_json)) << bad;
  }
}

TEST(Firmware, ListsTreesSortedWithDirectoriesAndSymlinks) {
  ScratchDir dir;
  test::write_text(dir / "t/b.txt", "b");
  test::write_text(dir / "t/a/x", "x", 0600);
  std::filesystem::create_directories(dir / "t/empty");
  std::filesystem::create_symlink("b.txt", dir / "t/link");
  auto entries = list_tree(dir / "t");
  ASSERT_TRUE(entries);
  std::vector<std::string> names;
  for (const auto& e : *entries)
    names.push_back(e.path);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "a/x", "b.txt", "empty", "link"}));
  EXPECT_EQ((*entries)[0].type, EntryType::directory);
  EXPECT_EQ((*entries)[1].mode, 0600u);
  EXPECT_EQ((*entries)[4].type, EntryType::symlink);
  EXPECT_EQ((*entries)[4].link_target, "b.txt");
}

TEST(Firmware, TreeDigestSeesContentModesAndLinks) {
  ScratchDir dir;
  test::write_text(dir / "t/f", "data");
  auto base = digest_tree(dir / "t");
  ASSERT_TRUE(base);
  EXPECT_EQ(base->size, 4u);
  ::chmod((dir / "t/f").c_str(), 0600);
  auto moded = digest_tree(dir / "t");
  EXPECT_NE(base->sha256, moded->sha256);
  ::chmod((dir / "t/f").c_str(), 0644);
  EXPECT_EQ(digest_tree(dir / "t")->sha256, base->sha256);
  std::filesystem::create_symlink("f", dir / "t/l");
  EXPECT_NE(digest_tree(dir / "t")->sha256, base->sha256);
}

TEST(Firmware, RefusesSpecialFiles) {
  ScratchDir dir;
  test::write_firmware_json(dir.path(), "P", "V");
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  auto fw = open_firmware(dir.path());
  ASSERT_FALSE(fw);
  EXPECT_TRUE(fw.error().is(FirmwareErrc::unsupported_entry));
}

TEST(Firmware, ListingVersion2KeepsTreesApartThatVersion1Confused) {
  namespace fs = std::filesystem;
  // A link target with a TAB and a LF imitates a second line of the listing:
  // tree a holds one link, tree b two, and version 1 gives both one digest.
  test::ScratchDir dir;
  fs::create_directories(dir / "a");
  fs::create_directories(dir / "b");
  fs::create_symlink("x\tk\nsymlink\t0777\t0\ty", dir / "a" / "l");
  fs::create_symlink("x", dir / "b" / "k");
  fs::create_symlink("y", dir / "b" / "l");
  auto a1 = digest_tree(dir / "a", ListingVersion::v1), b1 = digest_tree(dir / "b", ListingVersion::v1);
  ASSERT_TRUE(a1 && b1);
  EXPECT_EQ(a1->sha256, b1->sha256) << "version 1 was expected to confuse these two trees";
  auto a2 = digest_tree(dir / "a"), b2 = digest_tree(dir / "b");
  ASSERT_TRUE(a2 && b2);
  EXPECT_NE(a2->sha256, b2->sha256);
  // Without such characters, both versions give the same listing.
  auto plain1 = digest_tree(test::sample_firmware("v1") / "system", ListingVersion::v1);
  auto plain2 = digest_tree(test::sample_firmware("v1") / "system", ListingVersion::v2);
  ASSERT_TRUE(plain1 && plain2);
  EXPECT_EQ(plain1->sha256, plain2->sha256);
}

} // namespace
} // namespace dfota::firmware
