#include <gtest/gtest.h>

#include <fstream>
#include <string>

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

// This process's resident pages of mapped files, in KiB.
std::uint64_t resident_file_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("RssFile:", 0) == 0) return std::stoull(line.substr(8));
  }
  return 0;
}

TEST(Bytes, ReleasingMappedPagesLowersTheResidentSetAndKeepsEveryByte) {
  test::ScratchDir dir;
  const Bytes content = test::random_bytes(8 << 20, 3);
  test::write_file(dir / "image", content);
  auto mapped = MappedFile::open((dir / "image").string());
  ASSERT_TRUE(mapped);
  const ByteSpan bytes = mapped->bytes();
  ASSERT_EQ(Bytes(bytes.begin(), bytes.end()), content); // every page touched
  const std::uint64_t touched = resident_file_kib();
  release_mapped_pages(bytes.subspan(1, bytes.size() - 2)); // the pages wholly inside
  const std::uint64_t released = resident_file_kib();
  EXPECT_GE(touched, released + (7 << 10)) << touched << " KiB resident before, " << released << " after";
  EXPECT_EQ(Bytes(bytes.begin(), bytes.end()), content); // read again from the file
}

TEST(Bytes, ReleasingPagesThatNoFileBacksChangesNothing) {
  const Bytes content = test::random_bytes(4 << 20, 4);
  Bytes heap = content;
  release_mapped_pages(heap);
  EXPECT_EQ(heap, content);
  release_mapped_pages({});
}

// Records each write it gets; fails every write once `fail` is set.
class RecordingWriter final : public Writer {
public:
  Status write(ByteSpan data) override {
    if (fail) return make_error(CoreErrc::io_error, "disk full");
    sizes.push_back(data.size());
    bytes.insert(bytes.end(), data.begin(), data.end());
    return {};
  }
  std::vector<std::size_t> sizes;
  Bytes bytes;
  bool fail = false;
};

TEST(Bytes, BufferedWriterGathersSmallWritesAndPassesLargeOnes) {
  RecordingWriter next;
  Bytes expected;
  {
    BufferedWriter buffered(next, 100);
    for (std::uint8_t i = 0; i < 30; ++i) { // 30 writes of 7 bytes: 210 bytes
      const Bytes piece(7, i);
      ASSERT_TRUE(buffered.write(piece));
      expected.insert(expected.end(), piece.begin(), piece.end());
    }
    const Bytes large(250, 0xAB); // at least the capacity: straight through, after what is held
    ASSERT_TRUE(buffered.write(large));
    expected.insert(expected.end(), large.begin(), large.end());
    ASSERT_TRUE(buffered.write(Bytes{1, 2, 3}));
    expected.insert(expected.end(), {1, 2, 3});
    EXPECT_EQ(next.bytes.size(), expected.size() - 3) << "held until flush()";
    ASSERT_TRUE(buffered.flush());
    ASSERT_TRUE(buffered.flush()); // nothing held: nothing written
  }
  EXPECT_EQ(next.bytes, expected);
  // 98 + 98 bytes (14 pieces each), then 14 held and flushed before the
  // large write, the large write, then the last 3.
  EXPECT_EQ(next.sizes, (std::vector<std::size_t>{98, 98, 14, 250, 3}));
}

TEST(Bytes, BufferedWriterReportsAFailureWhereItReachesTheNextWriter) {
  RecordingWriter next;
  BufferedWriter buffered(next, 100);
  next.fail = true;
  EXPECT_TRUE(buffered.write(Bytes(50, 1))) << "held, not yet written";
  auto failed = buffered.flush();
  ASSERT_FALSE(failed);
  EXPECT_TRUE(failed.error().is(CoreErrc::io_error));
  EXPECT_FALSE(buffered.write(Bytes(500, 1)));
}

} // namespace
} // namespace dfota
