#include <gtest/gtest.h>

#include "delta/native/estimate.hpp"
#include "support/test_support.hpp"

namespace dfota::delta::native {
namespace {

TEST(EstimateWindows, CoverASmallTargetWhole) {
  const auto windows = estimate_windows(1000);
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_EQ(windows[0].first, 0u);
  EXPECT_EQ(windows[0].second, 1000u);
  EXPECT_EQ(estimate_windows(kEstimateSample).size(), 1u);
}

TEST(EstimateWindows, SpreadOverALargeTarget) {
  const std::uint64_t size = std::uint64_t{100} << 20;
  const auto windows = estimate_windows(size);
  ASSERT_EQ(windows.size(), kEstimateWindows);
  EXPECT_EQ(windows.front().first, 0u);
  std::uint64_t total = 0, end = 0;
  for (const auto& [from, to] : windows) {
    EXPECT_GE(from, end);
    EXPECT_LE(to, size);
    total += to - from;
    end = to;
  }
  EXPECT_EQ(total, kEstimateSample);
  EXPECT_GT(windows.back().second, size - size / kEstimateWindows);
}

TEST(EstimatedPayloadSize, CopiesWeighLessThanTheSameBytesAsLiterals) {
  const Bytes source = test::random_bytes(64 << 10, 1);
  const Bytes& target = source;
  const std::vector<ControlEntry> copied = {{0, static_cast<std::uint32_t>(target.size()), 0}};
  const std::vector<ControlEntry> literal = {{0, 0, static_cast<std::uint32_t>(target.size())}};
  const std::uint64_t as_copy =
      estimated_payload_size(Layout{}, MovedAddresses{}, source, target, copied, LiteralTransform::none);
  const std::uint64_t as_literal =
      estimated_payload_size(Layout{}, MovedAddresses{}, source, target, literal, LiteralTransform::none);
  EXPECT_LT(as_copy, 100u);
  EXPECT_GE(as_literal, target.size()); // random bytes: stored, not packed
  EXPECT_EQ(as_literal,
            estimated_payload_size(Layout{}, MovedAddresses{}, source, target, literal, LiteralTransform::none));
}

TEST(EstimatedPayloadSize, LooksOnlyAtTheWindowsOfALargeTarget) {
  // 12 MiB of random literals, cut by entries of 100,000 bytes that
  // straddle the windows' edges.
  const Bytes target = test::random_bytes(12u << 20, 2);
  const Bytes source = test::random_bytes(1000, 3);
  std::vector<ControlEntry> entries;
  for (std::uint64_t at = 0; at < target.size(); at += 100000)
    entries.push_back({0, 0, static_cast<std::uint32_t>(std::min<std::uint64_t>(100000, target.size() - at))});
  const std::uint64_t estimate =
      estimated_payload_size(Layout{}, MovedAddresses{}, source, target, entries, LiteralTransform::none);
  EXPECT_GE(estimate, kEstimateSample);
  EXPECT_LT(estimate, kEstimateSample + kEstimateSample / 50);
}

} // namespace
} // namespace dfota::delta::native
