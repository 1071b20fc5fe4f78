#include "sim/link.hpp"

#include <gtest/gtest.h>

namespace dfota::sim {
namespace {

using transport::Duration;
using transport::TimePoint;

TEST(Pacer, SpacesBytesAtTheRate) {
  Pacer pacer(1000.0); // bytes per second
  const TimePoint t0{};
  EXPECT_EQ(pacer.reserve(100, t0), t0);
  EXPECT_EQ(pacer.reserve(100, t0), t0 + Duration(100));               // the first 100 bytes take 100 ms
  EXPECT_EQ(pacer.reserve(1, t0 + Duration(500)), t0 + Duration(500)); // idle time is not saved up
  Pacer unlimited(std::nullopt);
  EXPECT_EQ(unlimited.reserve(1 << 20, t0), t0);
}

TEST(OverflowModel, LosesWhatArrivesFasterThanItDrains) {
  OverflowModel model(15000.0, 4096); // the EC200T's limit without flow control
  const TimePoint t0{};
  EXPECT_EQ(model.accept(4096, t0), 4096u);
  EXPECT_EQ(model.accept(1000, t0), 0u); // buffer full: lost
  EXPECT_EQ(model.lost(), 1000u);
  // 100 ms later 1500 bytes have drained.
  EXPECT_EQ(model.accept(2000, t0 + Duration(100)), 1500u);
  EXPECT_EQ(model.lost(), 1500u);
  // A host that paces at the limit loses nothing.
  OverflowModel paced(15000.0, 4096);
  for (int i = 0; i < 1000; ++i)
    EXPECT_EQ(paced.accept(150, t0 + Duration(10 * i)), 150u);
  EXPECT_EQ(paced.lost(), 0u);
}

} // namespace
} // namespace dfota::sim
