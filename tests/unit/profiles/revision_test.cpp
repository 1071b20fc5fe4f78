// Revision strings as modules print them and packages name them.
#include "profiles/revision.hpp"

#include <gtest/gtest.h>

namespace dfota::profiles {
namespace {

TEST(Revision, SplitsProjectReleaseAndSubVersion) {
  Revision r = parse_revision("RM500QGLABR11A06M4G_01.001.01.001");
  EXPECT_EQ(r.project, "RM500QGLAB");
  EXPECT_EQ(r.base, "RM500QGLABR11A06M4G");
  EXPECT_EQ(r.sub_version, "01.001.01.001");
  EXPECT_EQ(parse_revision("EC25EFAR06A06M4G").project, "EC25EFA");
}

TEST(Revision, AModuleThatLeavesOutTheSubVersionRunsTheBase) {
  EXPECT_TRUE(runs_revision("EC25EFAR06A06M4G_01.003.01.003", "EC25EFAR06A06M4G_01.003.01.003"));
  EXPECT_TRUE(runs_revision("EC25EFAR06A06M4G", "EC25EFAR06A06M4G_01.003.01.003")); // ATI, AT+CGMR
  EXPECT_FALSE(runs_revision("EC25EFAR06A06M4G_01.002.01.002", "EC25EFAR06A06M4G_01.003.01.003"));
  EXPECT_FALSE(runs_revision("EC25EFAR06A07M4G", "EC25EFAR06A06M4G_01.003.01.003"));
}

TEST(Revision, AProjectMatchesByNameOrByTheRevisionItIsGivenAs) {
  EXPECT_TRUE(same_project("EC25EFA", "EC25EFA"));
  EXPECT_TRUE(same_project("EC25EFA", "EC25EFAR06A06M4G"));
  EXPECT_FALSE(same_project("EC25EFA", "EC21EFA"));
  EXPECT_FALSE(same_project("EC25EF", "EC25EFAR06A06M4G"));
}

} // namespace
} // namespace dfota::profiles
