#include <gtest/gtest.h>

#include "core/bytes.hpp"
#include "support/test_support.hpp"

namespace dfota {
namespace {

TEST(Bytes, ReadExactFailsWithTruncatedWhenTheStreamIsShort) {
  Bytes data{1, 2, 3};
  SpanReader reader(data);
  std::uint8_t buffer[4];
  Status s = read_exact(reader, buffer);
  ASSERT_FALSE(s);
  EXPECT_TRUE(s.error().is(CoreErrc::truncated));
}

TEST(Bytes, ReadAllHonoursItsLimit) {
  Bytes data(1000, 7);
  SpanReader r1(data);
  auto all = read_all(r1, 1000);
  ASSERT_TRUE(all);
  EXPECT_EQ(*all, data);
  SpanReader r2(data);
  auto limited = read_all(r2, 999);
  ASSERT_FALSE(limited);
  EXPECT_TRUE(limited.error().is(CoreErrc::limit_exceeded));
}

TEST(Bytes, CopyStreamAndTeeDeliverEverything) {
  Bytes data = test::random_bytes(300000, 1);
  SpanReader reader(data);
  VectorWriter a;
  CountingWriter count;
  TeeWriter tee(a, count);
  auto n = copy_stream(reader, tee);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, data.size());
  EXPECT_EQ(a.bytes(), data);
  EXPECT_EQ(count.count(), data.size());
}

TEST(Bytes, MappedFileMapsEmptyAndNonEmptyFiles) {
  test::ScratchDir dir;
  test::write_file(dir / "empty", Bytes{});
  test::write_file(dir / "three", Bytes{1, 2, 3});
  auto empty = MappedFile::open((dir / "empty").string());
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->size(), 0u);
  auto three = MappedFile::open((dir / "three").string());
  ASSERT_TRUE(three);
  EXPECT_EQ(Bytes(three->bytes().begin(), three->bytes().end()), (Bytes{1, 2, 3}));
  auto missing = MappedFile::open((dir / "missing").string());
  ASSERT_FALSE(missing);
  EXPECT_TRUE(missing.error().is(CoreErrc::not_found));
  auto directory = MappedFile::open(dir.path().string());
  EXPECT_FALSE(directory);
}

} // namespace
} // namespace dfota
