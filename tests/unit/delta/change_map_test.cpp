#include "delta/change_map.hpp"

#include <gtest/gtest.h>

#include "delta/engine.hpp"
#include "support/test_support.hpp"

namespace dfota::delta {
namespace {

std::uint64_t total(const ChangeMap& map, ByteOrigin origin) { return map.totals[static_cast<std::size_t>(origin)]; }

Bytes native_payload(const Bytes& source, const Bytes& target) {
  VectorWriter writer;
  EXPECT_TRUE(find_engine("native")->diff(source, target, writer));
  return writer.bytes();
}

TEST(ChangeMap, NativeTellsKeptMovedChangedAndAddedBytesApart) {
  const Bytes source = test::random_bytes(200000, 7);
  Bytes target(source.begin(), source.begin() + 100000); // kept: same place
  const Bytes added = test::random_bytes(5000, 8);       // added: new bytes
  target.insert(target.end(), added.begin(), added.end());
  target.insert(target.end(), source.begin() + 100000, source.end()); // moved: 5000 bytes later
  for (std::size_t i = 150000; i < 150000 + 4000; i += 8)
    target[i] ^= 0x5a; // changed: edits inside a copy
  const Bytes payload = native_payload(source, target);
  SpanReader reader(payload);
  auto map = native_change_map(reader, target.size(), 100);
  ASSERT_TRUE(map) << map.error().message();
  EXPECT_EQ(map->target_size, target.size());
  std::uint64_t sum = 0;
  for (auto n : map->totals)
    sum += n;
  EXPECT_EQ(sum, target.size());
  EXPECT_NEAR(static_cast<double>(total(*map, ByteOrigin::kept)), 100000, 200);
  EXPECT_NEAR(static_cast<double>(total(*map, ByteOrigin::added)), 5000, 200);
  EXPECT_NEAR(static_cast<double>(total(*map, ByteOrigin::changed)), 500, 100);
  EXPECT_GT(total(*map, ByteOrigin::moved), 90000u);
  ASSERT_EQ(map->cells.size(), 100u);
  // The cells hold the same bytes as the totals, each where it belongs.
  std::uint64_t cell_sum = 0;
  for (const auto& cell : map->cells)
    for (auto n : cell)
      cell_sum += n;
  EXPECT_EQ(cell_sum, target.size());
  const auto& first = map->cells[0];
  EXPECT_EQ(first[static_cast<std::size_t>(ByteOrigin::kept)], map->cell_size);
  const auto& last = map->cells.back();
  EXPECT_EQ(last[static_cast<std::size_t>(ByteOrigin::kept)], 0u);
}

TEST(ChangeMap, FullPayloadsAreAllAddedAndOtherEnginesHaveNoMap) {
  const Bytes bytes = test::random_bytes(1000, 1);
  SpanReader reader(bytes);
  auto full = map_changes("full", reader, 1000, 7);
  ASSERT_TRUE(full && *full);
  EXPECT_EQ(total(**full, ByteOrigin::added), 1000u);
  EXPECT_EQ((*full)->cells.size(), 7u);
  auto zstd = map_changes("zstd", reader, 1000, 7);
  ASSERT_TRUE(zstd);
  EXPECT_FALSE(*zstd);
}

TEST(ChangeMap, ADamagedNativePayloadIsAnErrorNotACrash) {
  const Bytes source = test::random_bytes(50000, 3);
  const Bytes target = test::mutate(source, 4);
  Bytes payload = native_payload(source, target);
  for (std::size_t cut : {std::size_t{3}, std::size_t{40}, payload.size() / 2, payload.size() - 1}) {
    Bytes shorter(payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(cut));
    SpanReader reader(shorter);
    EXPECT_FALSE(native_change_map(reader, target.size(), 50)) << cut;
  }
  SpanReader reader(payload);
  EXPECT_FALSE(native_change_map(reader, target.size() + 1, 50)); // another announced size
}

} // namespace
} // namespace dfota::delta
