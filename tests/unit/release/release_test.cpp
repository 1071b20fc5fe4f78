#include "release/release.hpp"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "package/applier.hpp"
#include "support/test_support.hpp"

namespace dfota::release {
namespace {

namespace fs = std::filesystem;

class Release : public ::testing::Test {
protected:
  void SetUp() override {
    auto loaded = profiles::Registry::load(std::string(DFOTA_SOURCE_DIR) + "/formats");
    ASSERT_TRUE(loaded) << loaded.error().message();
    registry_ = std::move(*loaded);
    request_.target = test::sample_firmware("v2");
    request_.sources = {test::make_field_version(dir_.path(), "a", "EC25EFAR06A03M4G_01.001.01.001", 1),
                        test::make_field_version(dir_.path(), "b", "EC25EFAR06A04M4G_01.002.01.002", 2),
                        test::sample_firmware("v1")};
    request_.output_dir = dir_ / "out";
    request_.jobs = 2;
  }
  test::ScratchDir dir_;
  profiles::Registry registry_;
  Request request_;
};

TEST_F(Release, ThreeFieldVersionsToOneTargetInParallelEachVerifiedAndValidated) {
  std::mutex mutex;
  std::set<std::thread::id> workers;
  request_.reverse = true;
  auto result = build_release(request_, registry_, [&](const PackageResult&) {
    std::lock_guard lock(mutex);
    workers.insert(std::this_thread::get_id());
  });
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_TRUE(result->ok());
  EXPECT_EQ(workers.size(), 2u); // six packages of a few hundred ms each, two workers
  ASSERT_EQ(result->packages.size(), 6u);
  EXPECT_EQ(result->target_version, "EC25EFAR06A07M4G_01.004.01.004");
  for (std::size_t i = 0; i < result->packages.size(); ++i) {
    const auto& p = result->packages[i];
    EXPECT_EQ(p.reverse, i % 2 == 1);
    EXPECT_EQ(p.status, Status::ok) << p.file << (p.error ? p.error->message() : "");
    EXPECT_EQ(p.file, package_file_name(p.from_version, p.to_version));
    EXPECT_EQ(p.size, fs::file_size(request_.output_dir / p.file));
    ASSERT_EQ(p.validations.size(), 1u); // EC25EFA: the ec2x family
    EXPECT_EQ(p.validations[0].profile, "ec2x");
    // The package really turns its source into its target.
    test::ScratchDir applied;
    auto ok = package::apply_package(request_.output_dir / p.file, p.from_dir, applied / "fw");
    ASSERT_TRUE(ok) << ok.error().message();
    EXPECT_TRUE(test::same_tree(applied / "fw", p.to_dir));
  }
  const auto index = index_json(*result);
  EXPECT_EQ(index["packages"].size(), 6u);
  EXPECT_EQ(index["packages"][0]["for_modules"][0]["module_version"], "EC25EFAR06A03M4G_01.001.01.001");
  EXPECT_EQ(index["packages"][1]["direction"], "reverse");
}

TEST_F(Release, AFailingPairIsReportedAndTheOthersGoOn) {
  fs::create_directories(dir_ / "broken");
  request_.sources.insert(request_.sources.begin() + 1, dir_ / "broken");
  auto result = build_release(request_, registry_);
  ASSERT_TRUE(result);
  ASSERT_EQ(result->packages.size(), 4u);
  EXPECT_FALSE(result->ok());
  EXPECT_EQ(result->packages[1].status, Status::failed);
  ASSERT_TRUE(result->packages[1].error);
  EXPECT_NE(result->packages[1].error->message().find("firmware.json"), std::string::npos);
  for (std::size_t i : {0u, 2u, 3u})
    EXPECT_EQ(result->packages[i].status, Status::ok);
  EXPECT_TRUE(index_json(*result)["packages"][1]["file"].is_null());
}

TEST_F(Release, APackageAFamilyRefusesIsKeptAndMarked) {
  // A version string so long that the package's file name exceeds what AT+QFUPL takes (80 on EC2x).
  request_.sources = {test::make_field_version(dir_.path(), "long",
                                               "EC25EFAR06A03M4G_01.001.01.001_customer_build_for_line_seven_2026", 4)};
  auto result = build_release(request_, registry_);
  ASSERT_TRUE(result);
  const auto& p = result->packages[0];
  EXPECT_EQ(p.status, Status::refused);
  EXPECT_TRUE(fs::exists(request_.output_dir / p.file));
  ASSERT_EQ(p.validations.size(), 1u);
  EXPECT_FALSE(p.validations[0].ok);
  EXPECT_EQ(index_json(*result)["packages"][0]["for_modules"][0]["refusals"][0]["code"], 406);
}

TEST_F(Release, TwoSourcesWithOneVersionAreRefusedBeforeAnyBuild) {
  request_.sources = {test::sample_firmware("v1"),
                      test::make_field_version(dir_.path(), "c", "EC25EFAR06A06M4G_01.003.01.003", 3)};
  auto result = build_release(request_, registry_);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message().find("same package"), std::string::npos);
  EXPECT_FALSE(fs::exists(request_.output_dir) && !fs::is_empty(request_.output_dir));
}

TEST(PackageFileName, KeepsVersionsReadableAndSafe) {
  EXPECT_EQ(package_file_name("A_01.1", "B_01.2"), "A_01.1_to_B_01.2.zip");
  EXPECT_EQ(package_file_name("../x y", "z/w"), "_._x_y_to_z_w.zip");
}

} // namespace
} // namespace dfota::release
