#include <gtest/gtest.h>

#include <sched.h>
#include <thread>

#include "core/cores.hpp"

namespace dfota {
namespace {

TEST(Cores, CountsTheCoresTheAffinityMaskLeaves) {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  ASSERT_EQ(sched_getaffinity(0, sizeof mask, &mask), 0);
  EXPECT_EQ(usable_cores(), static_cast<unsigned>(CPU_COUNT(&mask)));
  // A thread held to one CPU (as taskset -c N holds a process) has one core.
  int first = 0;
  while (!CPU_ISSET(first, &mask))
    ++first;
  unsigned seen = 0;
  std::thread held([&] {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    if (sched_setaffinity(0, sizeof one, &one) == 0) seen = usable_cores();
  });
  held.join();
  EXPECT_EQ(seen, 1u);
}

} // namespace
} // namespace dfota
