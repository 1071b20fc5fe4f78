#include <gtest/gtest.h>

#include <algorithm>

#include "core/files.hpp"
#include "support/test_support.hpp"

namespace dfota {
namespace {

TEST(Files, SafeRelativePaths) {
  for (const char* good : {"a", "payload/boot.img", "a/b/c.txt", "..a", "a..", ".hidden"}) {
    EXPECT_TRUE(is_safe_relative_path(good)) << good;
  }
  for (const char* bad : {"", "/etc/passwd", "../x", "a/../b", "a/..", "./a", "a//b", "a/", "a\\b", ".", ".."}) {
    EXPECT_FALSE(is_safe_relative_path(bad)) << bad;
  }
  EXPECT_FALSE(is_safe_relative_path(std::string_view("a\0b", 3)));
}

TEST(Files, OutputFileAppearsOnlyOnCommit) {
  test::ScratchDir dir;
  {
    auto out = OutputFile::create(dir / "kept");
    ASSERT_TRUE(out);
    ASSERT_TRUE(out->writer().write(as_bytes("hello")));
    EXPECT_FALSE(std::filesystem::exists(dir / "kept"));
    ASSERT_TRUE(out->commit());
  }
  EXPECT_EQ(test::read_text(dir / "kept"), "hello");
  {
    auto out = OutputFile::create(dir / "dropped");
    ASSERT_TRUE(out);
    ASSERT_TRUE(out->writer().write(as_bytes("half")));
  }
  EXPECT_EQ(test::list_all(dir.path()), std::vector<std::string>{"kept"});
}

TEST(Files, AMappedRegionIsTheFileOnCommitAndNothingWithout) {
  test::ScratchDir dir;
  {
    auto out = OutputFile::create(dir / "kept");
    ASSERT_TRUE(out);
    auto region = out->map_region(5);
    ASSERT_TRUE(region);
    ASSERT_EQ(region->size(), 5u);
    std::copy_n("hello", 5, region->begin());
    EXPECT_FALSE(out->map_region(5)) << "mapped once only";
    ASSERT_TRUE(out->commit());
  }
  EXPECT_EQ(test::read_text(dir / "kept"), "hello");
  {
    auto out = OutputFile::create(dir / "empty");
    ASSERT_TRUE(out);
    auto region = out->map_region(0);
    ASSERT_TRUE(region);
    EXPECT_TRUE(region->empty());
    ASSERT_TRUE(out->commit());
  }
  EXPECT_EQ(test::read_text(dir / "empty"), "");
  {
    auto out = OutputFile::create(dir / "dropped");
    ASSERT_TRUE(out);
    auto region = out->map_region(1u << 20);
    ASSERT_TRUE(region);
    (*region)[0] = 1;
  }
  EXPECT_EQ(test::list_all(dir.path()), (std::vector<std::string>{"empty", "kept"}));
  // More than the file system can hold is an error before any byte is
  // written, never a fault while writing.
  auto out = OutputFile::create(dir / "huge");
  ASSERT_TRUE(out);
  EXPECT_FALSE(out->map_region(std::uint64_t{1} << 60));
}

TEST(Files, TempDirIsRemovedUnlessReleased) {
  test::ScratchDir dir;
  std::filesystem::path gone, kept;
  {
    auto t = TempDir::create(dir.path(), "x-");
    ASSERT_TRUE(t);
    gone = t->path();
    test::write_text(gone / "a/b", "data");
  }
  EXPECT_FALSE(std::filesystem::exists(gone));
  {
    auto t = TempDir::create(dir.path(), "y-");
    ASSERT_TRUE(t);
    kept = t->release();
  }
  EXPECT_TRUE(std::filesystem::is_directory(kept));
}

TEST(Files, IsWithinResolvesLinksAndDotsOfWhatExists) {
  namespace fs = std::filesystem;
  test::ScratchDir dir;
  fs::create_directories(dir / "fw/v1/system");
  fs::create_directories(dir / "out");
  fs::create_directory_symlink(dir / "fw/v1", dir / "current");
  EXPECT_TRUE(is_within(dir / "fw/v1", dir / "fw/v1"));
  EXPECT_TRUE(is_within(dir / "fw/v1/", dir / "fw/v1"));
  EXPECT_TRUE(is_within(dir / "fw/v1/update.zip", dir / "fw/v1/"));  // not there yet
  EXPECT_TRUE(is_within(dir / "fw/v1/new/deeper/x", dir / "fw/v1")); // nor its directories
  EXPECT_TRUE(is_within(dir / "current/system/x", dir / "fw/v1"));   // through a link
  EXPECT_TRUE(is_within(dir / "out/../fw/v1/x", dir / "fw/v1"));     // through ".."
  EXPECT_TRUE(is_within(dir / "fw/v1/x", dir / "current"));          // the directory a link
  EXPECT_FALSE(is_within(dir / "fw/v1b/x", dir / "fw/v1"));          // a longer name is no child
  EXPECT_FALSE(is_within(dir / "fw/x", dir / "fw/v1"));              // the parent
  EXPECT_FALSE(is_within(dir / "fw/v1/../v2/x", dir / "fw/v1"));     // out again
  EXPECT_FALSE(is_within(dir / "out/update.zip", dir / "fw/v1"));
  // Relative paths, from the current directory (restored afterwards).
  const fs::path was = fs::current_path();
  fs::current_path(dir / "fw");
  const bool relative_inside = is_within("v1/update.zip", dir / "fw/v1");
  const bool relative_beside = is_within("update.zip", "v1");
  fs::current_path(was);
  EXPECT_TRUE(relative_inside);
  EXPECT_FALSE(relative_beside);
}

// What an interrupted run's cleanup does; once it ran, the ending process
// creates no further temporary that it could leave behind. (In a child
// process: the removal is for good.)
TEST(Files, PendingOutputsAreRemovedAndNoneIsCreatedAfterwards) {
  test::ScratchDir dir;
  EXPECT_EXIT(
      {
        auto file = OutputFile::create(dir / "out.bin");
        auto temp = TempDir::create_beside(dir / "tree");
        if (!file || !temp) std::_Exit(2);
        remove_pending_outputs();
        if (!test::list_all(dir.path()).empty()) std::_Exit(3);
        auto later = OutputFile::create(dir / "later.bin");
        if (later || !later.error().message().starts_with("cannot create")) std::_Exit(4);
        if (!test::list_all(dir.path()).empty()) std::_Exit(5);
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(Files, ReadFileLimit) {
  test::ScratchDir dir;
  test::write_text(dir / "f", "0123456789");
  EXPECT_TRUE(read_file((dir / "f").string(), 10));
  auto over = read_file((dir / "f").string(), 9);
  ASSERT_FALSE(over);
  EXPECT_TRUE(over.error().is(CoreErrc::limit_exceeded));
}

TEST(Files, NamesSameFileNeverThrowsAndAnEmptyPathNamesNoFile) {
  test::ScratchDir dir;
  test::write_text(dir / "a", "x");
  EXPECT_NO_THROW(EXPECT_FALSE(names_same_file("", dir / "a")));
  EXPECT_NO_THROW(EXPECT_FALSE(names_same_file(dir / "a", "")));
  EXPECT_NO_THROW(EXPECT_FALSE(names_same_file("", "")));
  EXPECT_TRUE(names_same_file(dir / "a", dir / "." / "a"));
  EXPECT_TRUE(names_same_file(dir / "not-yet", dir / "sub" / ".." / "not-yet"));
  EXPECT_FALSE(names_same_file(dir / "a", dir / "b"));
}

} // namespace
} // namespace dfota
