// The module's own checks, shared by the validator and the simulator.
#include "profiles/acceptance.hpp"

#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace dfota::profiles {
namespace {

const Profile& family(const std::string& id) {
  static const auto registry = Registry::load(test::source_dir() / "formats");
  EXPECT_TRUE(registry) << registry.error().message();
  return **registry->find(id);
}

PackageFacts package() {
  return {1000, "EC25EFA", "EC25EFAR06A06M4G_01.003.01.003", "EC25EFAR06A07M4G_01.004.01.004", 5000};
}

TEST(Acceptance, AModuleOnTheSourceWithRoomTakesThePackage) {
  ModuleFacts module{"EC25EFA", "EC25EFAR06A06M4G_01.003.01.003", 8000};
  const auto checks = acceptance_checks(family("ec2x"), package(), module);
  ASSERT_EQ(checks.size(), 3u); // EC2x states no size limit
  EXPECT_EQ(checks[0].check, Check::project);
  EXPECT_EQ(checks[1].check, Check::version);
  EXPECT_EQ(checks[2].check, Check::space);
  EXPECT_FALSE(first_refusal(checks));
}

TEST(Acceptance, EachFailureGivesTheFamilysOwnCode) {
  // RG50xQ: project and version 505, space 511, size 550.
  ModuleFacts wrong_project{"RM500QGL", "RM500QGLABR11A06M4G_01.001.01.001", std::nullopt};
  EXPECT_EQ(first_refusal(acceptance_checks(family("rg50xq"), package(), wrong_project))->code, 505);
  ModuleFacts already{"EC25EFA", "EC25EFAR06A07M4G_01.004.01.004", std::nullopt};
  auto checks = acceptance_checks(family("rg50xq"), package(), already);
  EXPECT_EQ(first_refusal(checks)->code, 505);
  EXPECT_TRUE(checks.back().already_target);
  ModuleFacts full{"EC25EFA", "EC25EFAR06A06M4G_01.003.01.003", 4999};
  EXPECT_EQ(first_refusal(acceptance_checks(family("rg50xq"), package(), full))->code, 511);
  // EC200T (ASR): project 552, version 507.
  EXPECT_EQ(first_refusal(acceptance_checks(family("ec200t"), package(), wrong_project))->code, 552);
  ModuleFacts other_version{"EC25EFA", "EC25EFAR06A05M4G_01.002.01.002", std::nullopt};
  EXPECT_EQ(first_refusal(acceptance_checks(family("ec200t"), package(), other_version))->code, 507);
}

TEST(Acceptance, AnUnknownInputMakesNoCheck) {
  const auto checks = acceptance_checks(family("ec2x"), package(), ModuleFacts{});
  EXPECT_TRUE(checks.empty());
  EXPECT_FALSE(first_refusal(checks));
}

TEST(Acceptance, AFamilyWhoseGuideNamesNoCodeStillRefuses) {
  // UGxx: "<err> 0 means OK, else ERROR", no code for any kind of refusal.
  ModuleFacts wrong_project{"UG96LNA", "UG96LNAR02A06E1G_01.001.01.001", std::nullopt};
  auto refusal = first_refusal(acceptance_checks(family("ugxx"), package(), wrong_project));
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->check, Check::project);
  EXPECT_EQ(refusal->code, 0);
}

} // namespace
} // namespace dfota::profiles
