#include "sim/firmware_slot.hpp"

#include <gtest/gtest.h>

#include "sim/file_store.hpp"
#include "support/test_support.hpp"

namespace dfota::sim {
namespace {

namespace fs = std::filesystem;

class Slot : public ::testing::Test {
protected:
  void SetUp() override {
    fs::copy(test::sample_firmware("v1"), firmware_, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  }
  test::ScratchDir dir_;
  fs::path firmware_ = dir_ / "fw";
  fs::path state_ = dir_ / "state";
};

TEST_F(Slot, ReplacesTheFirmwareWhole) {
  auto slot = FirmwareSlot::open(firmware_, state_);
  ASSERT_TRUE(slot) << slot.error().message();
  EXPECT_EQ(slot->info().version, "EC25EFAR06A06M4G_01.003.01.003");
  fs::copy(test::sample_firmware("v2"), slot->staging(), fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  ASSERT_TRUE(slot->replace_with_staging());
  EXPECT_EQ(slot->info().version, "EC25EFAR06A07M4G_01.004.01.004");
  EXPECT_TRUE(test::same_tree(firmware_, test::sample_firmware("v2")));
  EXPECT_FALSE(fs::exists(slot->staging()));
}

TEST_F(Slot, FinishesAReplacementInterruptedBetweenItsTwoRenames) {
  // Power lost after the old version moved aside, before the new moved in.
  fs::rename(firmware_, dir_ / ".fw.dfota-old");
  fs::copy(test::sample_firmware("v2"), dir_ / ".fw.dfota-new",
           fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  auto slot = FirmwareSlot::open(firmware_, state_);
  ASSERT_TRUE(slot) << slot.error().message();
  EXPECT_EQ(slot->info().version, "EC25EFAR06A07M4G_01.004.01.004");
  EXPECT_FALSE(fs::exists(dir_ / ".fw.dfota-old"));
}

TEST_F(Slot, RollsBackWhenTheNewVersionWasNotComplete) {
  fs::rename(firmware_, dir_ / ".fw.dfota-old");
  auto slot = FirmwareSlot::open(firmware_, state_);
  ASSERT_TRUE(slot);
  EXPECT_EQ(slot->info().version, "EC25EFAR06A06M4G_01.003.01.003");
  EXPECT_TRUE(test::same_tree(firmware_, test::sample_firmware("v1")));
}

TEST_F(Slot, DropsHalfWrittenStagingAndKeepsTheFlagAcrossRestarts) {
  fs::create_directories(dir_ / "..fw.dfota-new.partial-abc" / "system");
  test::write_text(dir_ / "..fw.dfota-new.partial-abc" / "modem.img", "half");
  {
    auto slot = FirmwareSlot::open(firmware_, state_);
    ASSERT_TRUE(slot);
    EXPECT_FALSE(fs::exists(dir_ / "..fw.dfota-new.partial-abc"));
    EXPECT_FALSE(slot->flag());
    ASSERT_TRUE(slot->set_flag({state_ / "fota" / "package.bin", true, 2}));
  }
  auto again = FirmwareSlot::open(firmware_, state_);
  ASSERT_TRUE(again);
  auto flag = again->flag();
  ASSERT_TRUE(flag);
  EXPECT_EQ(flag->attempts, 2);
  EXPECT_TRUE(flag->delete_package_after);
  again->clear_flag();
  EXPECT_FALSE(again->flag());
}

TEST(FileStore, NamesAndModulePaths) {
  test::ScratchDir dir;
  auto store = FileStore::open(dir.path(), 1000, false);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->resolve("UFS:a.zip", 80), dir / "ufs" / "a.zip");
  EXPECT_EQ(store->resolve("a.zip", 80), dir / "ufs" / "a.zip");
  EXPECT_EQ(store->resolve("SD:a.zip", 80), dir / "sd" / "a.zip");
  EXPECT_FALSE(store->resolve("../a.zip", 80));
  EXPECT_FALSE(store->resolve("x/a.zip", 80));
  EXPECT_FALSE(store->resolve(std::string(81, 'a'), 80));
  EXPECT_FALSE(store->resolve("", 80));
  const std::vector<std::string> ec2x{"/data/ufs/", "/media/card/"};
  EXPECT_EQ(store->resolve_module_path("/data/ufs/update.zip", ec2x), dir / "ufs" / "update.zip");
  EXPECT_EQ(store->resolve_module_path("/media/card/update.zip", ec2x, "/media/card/"), dir / "sd" / "update.zip");
  EXPECT_FALSE(store->resolve_module_path("/data/ufs/../etc", ec2x));
  EXPECT_FALSE(store->resolve_module_path("/cache/ufs/update.zip", ec2x));
  // The RG50xQ note writes the prefix without its leading slash once.
  EXPECT_EQ(store->resolve_module_path("cache/ufs/u.zip", {"/cache/ufs/"}), dir / "ufs" / "u.zip");
  test::write_text(dir / "ufs" / "a.zip", std::string(300, 'x'));
  EXPECT_EQ(store->free(), 700u);
  test::write_text(dir / "sd" / "b.zip", std::string(100, 'y'));
  EXPECT_EQ(store->free(), 700u) << "the card's files fill the card";
  EXPECT_EQ(store->free(Area::sd), 900u);
  ASSERT_EQ(store->list(Area::sd).size(), 1u);
  EXPECT_EQ(store->list(Area::sd).front().name, "b.zip");
  EXPECT_EQ(FileStore::area_of("SD:b.zip"), Area::sd);
  EXPECT_EQ(FileStore::area_of("UFS:b.zip"), Area::ufs);
  ASSERT_EQ(store->list().size(), 1u);
  EXPECT_EQ(store->list()[0].name, "a.zip");
  auto full = FileStore::open(dir.path(), 1000, true);
  EXPECT_EQ(full->free(), 0u);
}

} // namespace
} // namespace dfota::sim
