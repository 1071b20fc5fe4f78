#include <gtest/gtest.h>

#include "package/zip_container.hpp"
#include "support/test_support.hpp"

namespace dfota::package {
namespace {

Status write_zip(const std::filesystem::path& path, const std::vector<std::pair<std::string, Bytes>>& entries) {
  auto zip = ZipWriter::create(path);
  if (!zip) return zip.error();
  for (const auto& [name, bytes] : entries) {
    if (auto ok = zip->add_bytes(name, bytes); !ok) return ok;
  }
  return zip->close();
}

TEST(ZipContainer, WritesReproducibleArchivesAndReadsThemBack) {
  test::ScratchDir dir;
  Bytes payload = test::random_bytes(70000, 3);
  test::write_file(dir / "payload.bin", payload);
  for (const char* name : {"a.zip", "b.zip"}) {
    auto zip = ZipWriter::create(dir / name);
    ASSERT_TRUE(zip);
    ASSERT_TRUE(zip->add_bytes("manifest.json", Bytes{'{', '}'}));
    ASSERT_TRUE(zip->add_file("payload/x", dir / "payload.bin"));
    ASSERT_TRUE(zip->close());
  }
  EXPECT_EQ(test::read_bytes(dir / "a.zip"), test::read_bytes(dir / "b.zip"));
  auto reader = ZipReader::open(dir / "a.zip");
  ASSERT_TRUE(reader) << reader.error().message();
  ASSERT_EQ(reader->entries().size(), 2u);
  EXPECT_EQ(reader->entries()[0].name, "manifest.json");
  EXPECT_EQ(reader->entries()[1].method, 0); // stored
  auto bytes = reader->read_entry("payload/x", 1 << 20);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(*bytes, payload);
  EXPECT_TRUE(reader->read_entry("payload/x", 100).error().is(PackageErrc::limit_exceeded));
}

TEST(ZipContainer, AnUnclosedWriterLeavesNothing) {
  test::ScratchDir dir;
  {
    auto zip = ZipWriter::create(dir / "never.zip");
    ASSERT_TRUE(zip);
    ASSERT_TRUE(zip->add_bytes("a", Bytes{1}));
  }
  EXPECT_TRUE(test::list_all(dir.path()).empty());
}

TEST(ZipContainer, ClassifiesWhatIsNotAGoodZip) {
  test::ScratchDir dir;
  ASSERT_TRUE(write_zip(dir / "good.zip", {{"a", test::random_bytes(5000, 1)}}));
  Bytes good = test::read_bytes(dir / "good.zip");
  test::write_file(dir / "empty.zip", Bytes{});
  test::write_text(dir / "text.zip", "this is not a zip archive at all, just text\n");
  test::write_file(dir / "truncated.zip", ByteSpan(good).first(good.size() / 2));
  test::write_file(dir / "tail-cut.zip", ByteSpan(good).first(good.size() - 10));
  EXPECT_TRUE(ZipReader::open(dir / "missing.zip").error().is(PackageErrc::not_found));
  EXPECT_TRUE(ZipReader::open(dir / "empty.zip").error().is(PackageErrc::empty));
  EXPECT_TRUE(ZipReader::open(dir / "text.zip").error().is(PackageErrc::not_a_zip));
  EXPECT_TRUE(ZipReader::open(dir / "truncated.zip").error().is(PackageErrc::corrupt_zip));
  EXPECT_TRUE(ZipReader::open(dir / "tail-cut.zip").error().is(PackageErrc::corrupt_zip));
  EXPECT_TRUE(ZipReader::open(dir.path()).error().is(PackageErrc::not_a_zip));
}

TEST(ZipContainer, DetectsDamagedEntryData) {
  test::ScratchDir dir;
  Bytes data = test::random_bytes(20000, 2);
  ASSERT_TRUE(write_zip(dir / "z.zip", {{"data", data}}));
  Bytes zip = test::read_bytes(dir / "z.zip");
  zip[100] ^= 0xff; // inside the stored data
  test::write_file(dir / "z.zip", zip);
  auto reader = ZipReader::open(dir / "z.zip");
  ASSERT_TRUE(reader);
  auto bytes = reader->read_entry("data", 1 << 20);
  ASSERT_FALSE(bytes);
  EXPECT_TRUE(bytes.error().is(PackageErrc::corrupt_zip)) << bytes.error().message();
}

TEST(ZipContainer, FlagsUnsafeNames) {
  test::ScratchDir dir;
  ASSERT_TRUE(
      write_zip(dir / "z.zip", {{"../evil", Bytes{1}}, {"/abs", Bytes{2}}, {"ok/dir/", Bytes{}}, {"fine", Bytes{3}}}));
  auto reader = ZipReader::open(dir / "z.zip");
  ASSERT_TRUE(reader);
  EXPECT_FALSE(reader->find("../evil")->safe_name);
  EXPECT_FALSE(reader->find("/abs")->safe_name);
  EXPECT_TRUE(reader->find("ok/dir/")->safe_name);
  EXPECT_TRUE(reader->find("fine")->safe_name);
}

} // namespace
} // namespace dfota::package
