#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <sys/stat.h>

#include "core/subprocess.hpp"
#include "package/applier.hpp"
#include "package/builder.hpp"
#include "support/test_support.hpp"

namespace dfota::package {
namespace {

namespace fs = std::filesystem;
using test::ScratchDir;

// Two firmware versions that exercise every operation: images changed,
// unchanged, added and removed; trees added, removed and changed (content,
// modes, symlinks, empty directories, files added and removed).
void make_pair(const fs::path& v1, const fs::path& v2) {
  Bytes modem = test::random_bytes(120000, 1);
  test::write_firmware_json(v1, "EC25EFA", "EC25EFAR06A06M4G");
  test::write_file(v1 / "modem.img", modem);
  test::write_file(v1 / "same.img", test::random_bytes(3000, 2));
  test::write_file(v1 / "gone.img", test::random_bytes(1000, 3));
  test::write_text(v1 / "sys/x", "version one of x\n");
  test::write_text(v1 / "sys/sub/y", "y stays\n");
  test::write_text(v1 / "sys/old.db", "removed later\n");
  fs::create_directories(v1 / "sys/emptydir");
  fs::create_symlink("x", v1 / "sys/link");
  test::write_text(v1 / "oldtree/f", "tree removed\n");

  test::write_firmware_json(v2, "EC25EFA", "EC25EFAR06A07M4G");
  test::write_file(v2 / "modem.img", test::mutate(modem, 4), 0755);
  test::write_file(v2 / "same.img", test::random_bytes(3000, 2));
  test::write_file(v2 / "new.img", test::random_bytes(2000, 5));
  test::write_text(v2 / "sys/x", "version two of x, longer\n");
  test::write_text(v2 / "sys/sub/y", "y stays\n", 0600);
  test::write_text(v2 / "sys/new.conf", "added\n");
  fs::create_directories(v2 / "sys/emptydir2");
  fs::create_symlink("sub/y", v2 / "sys/link");
  test::write_text(v2 / "newtree/deep/f", "new tree\n");
  ::chmod((v2 / "newtree/deep").c_str(), 0500);
}

class BuildApply : public ::testing::TestWithParam<std::string> {};

TEST_P(BuildApply, EveryOperationRoundTripsBothWays) {
  if (GetParam() == "vcdiff" && !program_available("xdelta3")) GTEST_SKIP();
  ScratchDir dir;
  make_pair(dir / "v1", dir / "v2");
  BuildOptions options;
  options.engine = GetParam();
  auto forward = build_package(dir / "v1", dir / "v2", dir / "fwd.zip", options);
  ASSERT_TRUE(forward) << forward.error().message();
  auto backward = build_package(dir / "v2", dir / "v1", dir / "rev.zip", options);
  ASSERT_TRUE(backward) << backward.error().message();

  auto applied = apply_package(dir / "fwd.zip", dir / "v1", dir / "out2");
  ASSERT_TRUE(applied) << applied.error().message();
  std::string why;
  EXPECT_TRUE(test::same_tree(dir / "out2", dir / "v2", &why)) << why;
  auto reverted = apply_package(dir / "rev.zip", dir / "v2", dir / "out1");
  ASSERT_TRUE(reverted) << reverted.error().message();
  EXPECT_TRUE(test::same_tree(dir / "out1", dir / "v1", &why)) << why;

  const Manifest& m = forward->manifest;
  EXPECT_EQ(m.source_version, "EC25EFAR06A06M4G");
  EXPECT_EQ(m.target_version, "EC25EFAR06A07M4G");
  std::map<std::string, Operation> ops;
  for (const auto& p : m.partitions)
    ops[p.name] = p.op;
  EXPECT_EQ(ops["same.img"], Operation::unchanged);
  EXPECT_EQ(ops["gone.img"], Operation::remove);
  EXPECT_EQ(ops["new.img"], Operation::full);
  EXPECT_EQ(ops["oldtree"], Operation::remove);
  EXPECT_EQ(ops["newtree"], Operation::full);
  EXPECT_EQ(ops["sys"], Operation::delta);
  EXPECT_EQ(ops["modem.img"], GetParam() == "full" ? Operation::full : Operation::delta);
}

INSTANTIATE_TEST_SUITE_P(Engines, BuildApply, ::testing::Values("auto", "zstd", "vcdiff", "full"));

TEST(Build, TheSameInputsGiveTheSameBytes) {
  ScratchDir dir;
  BuildOptions options;
  ASSERT_TRUE(build_package(test::sample_firmware("v1"), test::sample_firmware("v2"), dir / "a.zip", options));
  ASSERT_TRUE(build_package(test::sample_firmware("v1"), test::sample_firmware("v2"), dir / "b.zip", options));
  EXPECT_EQ(test::read_bytes(dir / "a.zip"), test::read_bytes(dir / "b.zip"));
  EXPECT_EQ(test::list_all(dir.path()), (std::vector<std::string>{"a.zip", "b.zip"}));
}

// Progress within a partition rises by whole percents to 100 % for every
// partition that is encoded, and starts again with the next partition.
TEST(Build, TellsProgressWithinEachPartition) {
  ScratchDir dir;
  BuildOptions options;
  std::vector<std::vector<double>> told; // per partition
  std::vector<std::string> names;
  options.on_partition = [&](const std::string& name, std::size_t, std::size_t) {
    names.push_back(name);
    told.emplace_back();
  };
  options.on_partition_progress = [&](double fraction) {
    ASSERT_FALSE(told.empty()) << "progress before any partition";
    told.back().push_back(fraction);
  };
  auto result = build_package(test::sample_firmware("v1"), test::sample_firmware("v2"), dir / "p.zip", options);
  ASSERT_TRUE(result);
  ASSERT_EQ(told.size(), result->manifest.partitions.size());
  for (std::size_t i = 0; i < told.size(); ++i) {
    const auto& p = result->manifest.partitions[i];
    EXPECT_TRUE(std::is_sorted(told[i].begin(), told[i].end())) << names[i];
    EXPECT_EQ(std::adjacent_find(told[i].begin(), told[i].end()), told[i].end()) << names[i] << ": told twice";
    if (p.op != Operation::unchanged && p.op != Operation::remove) {
      ASSERT_FALSE(told[i].empty()) << names[i];
      EXPECT_EQ(told[i].back(), 1.0) << names[i];
    }
  }
}

TEST(Build, AutoKeepsTheSmallestAndDeltasBeatFull) {
  ScratchDir dir;
  auto result = build_package(test::sample_firmware("v1"), test::sample_firmware("v2"), dir / "p.zip", {});
  ASSERT_TRUE(result);
  for (const auto& p : result->manifest.partitions) {
    if (p.kind == firmware::PartitionKind::image) {
      EXPECT_EQ(p.op, Operation::delta) << p.name;
      EXPECT_LT(p.payload->size, p.target->size / 4) << p.name;
    }
  }
}

// auto stops a candidate as soon as its payload outgrows the smallest one
// finished; that must never change which payload it keeps.
TEST(Build, AutoKeepsWhatTheSmallestSingleEngineMakes) {
  ScratchDir dir;
  make_pair(dir / "v1", dir / "v2");
  // Every image and tree file's payload size, per engine.
  auto sizes = [&](const std::string& engine) {
    BuildOptions options;
    options.engine = engine;
    auto result = build_package(dir / "v1", dir / "v2", dir / (engine + ".zip"), options);
    EXPECT_TRUE(result) << engine;
    std::map<std::string, std::uint64_t> found;
    if (!result) return found;
    for (const auto& p : result->manifest.partitions) {
      if (p.payload) found[p.name] = p.payload->size;
      for (const auto& f : p.files)
        if (f.payload) found[p.name + "/" + f.path] = f.payload->size;
    }
    return found;
  };
  const auto chosen = sizes("auto");
  ASSERT_FALSE(chosen.empty());
  std::vector<std::string> engines{"native", "zstd", "full"};
  if (program_available("xdelta3")) engines.push_back("vcdiff");
  for (const auto& engine : engines) {
    for (const auto& [name, size] : sizes(engine)) {
      ASSERT_TRUE(chosen.contains(name)) << name;
      EXPECT_LE(chosen.at(name), size) << name << " with " << engine;
    }
  }
}

TEST(Build, RefusesMismatchedPairsAndUnknownEngines) {
  ScratchDir dir;
  test::write_firmware_json(dir / "a", "P1", "1");
  test::write_firmware_json(dir / "b", "P2", "2");
  auto projects = build_package(dir / "a", dir / "b", dir / "p.zip", {});
  ASSERT_FALSE(projects);
  EXPECT_TRUE(projects.error().is(PackageErrc::bad_firmware_pair));
  BuildOptions with_project;
  with_project.project = "P2";
  EXPECT_TRUE(build_package(dir / "a", dir / "b", dir / "p.zip", with_project));

  test::write_firmware_json(dir / "c", "P", "1");
  test::write_firmware_json(dir / "d", "P", "2");
  test::write_text(dir / "c/part", "image");
  test::write_text(dir / "d/part/file", "tree");
  auto kinds = build_package(dir / "c", dir / "d", dir / "q.zip", {});
  ASSERT_FALSE(kinds);
  EXPECT_TRUE(kinds.error().is(PackageErrc::bad_firmware_pair));
  EXPECT_FALSE(fs::exists(dir / "q.zip"));

  BuildOptions bad;
  bad.engine = "bsdiff";
  EXPECT_FALSE(build_package(dir / "c", dir / "c", dir / "r.zip", bad));
}

TEST(Build, RefusesAPackageThatLeavesTheVersionAsItIs) {
  ScratchDir dir;
  make_pair(dir / "v1", dir / "v2");
  // The same directory twice, and two directories that name one version.
  fs::copy(dir / "v2", dir / "v2b", fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  test::write_firmware_json(dir / "v2b", "EC25EFA", "EC25EFAR06A06M4G"); // v1's
  for (const auto& [from, to] : {std::pair{dir / "v1", dir / "v1"}, std::pair{dir / "v1", dir / "v2b"}}) {
    auto same = build_package(from, to, dir / "p.zip", {});
    ASSERT_FALSE(same);
    EXPECT_TRUE(same.error().is(PackageErrc::bad_firmware_pair)) << same.error().message();
    EXPECT_NE(same.error().message().find("give --from-version or --to-version"), std::string::npos);
    EXPECT_FALSE(fs::exists(dir / "p.zip"));
  }
  // Naming the versions builds it (a rebuild of one version, deliberately).
  BuildOptions named;
  named.to_version = "1-rebuilt";
  ASSERT_TRUE(build_package(dir / "v1", dir / "v2b", dir / "p.zip", named));
  ASSERT_TRUE(apply_package(dir / "p.zip", dir / "v1", dir / "out"));
}

TEST(Apply, AWrongSourceIsRefusedBeforeAnythingIsWritten) {
  ScratchDir dir;
  make_pair(dir / "v1", dir / "v2");
  ASSERT_TRUE(build_package(dir / "v1", dir / "v2", dir / "p.zip", {}));
  const auto before = test::list_all(dir.path());

  // The target instead of the source.
  auto wrong = apply_package(dir / "p.zip", dir / "v2", dir / "out");
  ASSERT_FALSE(wrong);
  EXPECT_TRUE(wrong.error().is(PackageErrc::source_mismatch)) << wrong.error().message();
  EXPECT_EQ(test::list_all(dir.path()), before);

  // One changed byte in one image: the message names it and both hashes.
  fs::copy(dir / "v1", dir / "v1b", fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  Bytes modem = test::read_bytes(dir / "v1b/modem.img");
  modem[500] ^= 1;
  test::write_file(dir / "v1b/modem.img", modem);
  auto changed = apply_package(dir / "p.zip", dir / "v1b", dir / "out");
  ASSERT_FALSE(changed);
  EXPECT_NE(changed.error().message().find("modem.img"), std::string::npos) << changed.error().message();
  EXPECT_NE(changed.error().message().find(sha256_hex(modem)), std::string::npos) << changed.error().message();
  EXPECT_FALSE(fs::exists(dir / "out"));

  // A changed file inside a tree is named.
  test::write_file(dir / "v1b/modem.img", test::read_bytes(dir / "v1/modem.img"));
  test::write_text(dir / "v1b/sys/sub/y", "tampered\n");
  auto tree = apply_package(dir / "p.zip", dir / "v1b", dir / "out");
  ASSERT_FALSE(tree);
  EXPECT_NE(tree.error().message().find("sub/y"), std::string::npos) << tree.error().message();

  // An extra partition, and a missing one.
  test::write_text(dir / "v1b/sys/sub/y", "y stays\n");
  test::write_text(dir / "v1b/extra.img", "x");
  EXPECT_TRUE(apply_package(dir / "p.zip", dir / "v1b", dir / "out").error().is(PackageErrc::source_mismatch));
  fs::remove(dir / "v1b/extra.img");
  fs::remove(dir / "v1b/same.img");
  EXPECT_TRUE(apply_package(dir / "p.zip", dir / "v1b", dir / "out").error().is(PackageErrc::source_mismatch));
  EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST(Apply, ADamagedPayloadLeavesNoOutput) {
  ScratchDir dir;
  make_pair(dir / "v1", dir / "v2");
  ASSERT_TRUE(build_package(dir / "v1", dir / "v2", dir / "p.zip", {}));
  test::rewrite_zip(dir / "p.zip", dir / "bad.zip", [](std::string& name, Bytes& bytes) {
    if (name == "payload/modem.img") bytes[bytes.size() / 2] ^= 0x10;
    return true;
  });
  auto result = apply_package(dir / "bad.zip", dir / "v1", dir / "out");
  ASSERT_FALSE(result);
  EXPECT_FALSE(fs::exists(dir / "out"));
  for (const auto& name : test::list_all(dir.path()))
    EXPECT_EQ(name.find("partial"), std::string::npos) << name;
}

TEST(Apply, TheOutputMustNotBeInTheWay) {
  ScratchDir dir;
  ASSERT_TRUE(build_package(test::sample_firmware("v1"), test::sample_firmware("v2"), dir / "p.zip", {}));
  test::write_text(dir / "busy/file", "keep me");
  auto busy = apply_package(dir / "p.zip", test::sample_firmware("v1"), dir / "busy");
  ASSERT_FALSE(busy);
  EXPECT_TRUE(busy.error().is(PackageErrc::output_exists));
  EXPECT_EQ(test::read_text(dir / "busy/file"), "keep me");
  fs::create_directories(dir / "empty");
  EXPECT_TRUE(apply_package(dir / "p.zip", test::sample_firmware("v1"), dir / "empty"));
  EXPECT_TRUE(test::same_tree(dir / "empty", test::sample_firmware("v2")));
}

TEST(Apply, GoldenPackagesStillApply) {
  // Packages written by earlier builds of this program: format 1.0 (trees by
  // listing version 1) and the current one.
  for (const char* golden : {"tests/golden/sample-v1-to-v2-format-1.0.zip", "tests/golden/sample-v1-to-v2.zip"}) {
    ScratchDir dir;
    auto result = apply_package(test::source_dir() / golden, test::sample_firmware("v1"), dir / "out");
    ASSERT_TRUE(result) << golden << ": " << result.error().message();
    EXPECT_TRUE(test::same_tree(dir / "out", test::sample_firmware("v2"))) << golden;
  }
  auto old = open_package(test::source_dir() / "tests/golden/sample-v1-to-v2-format-1.0.zip");
  ASSERT_TRUE(old);
  EXPECT_EQ(old->manifest.format_minor, 0);
  EXPECT_EQ(listing_version(old->manifest), firmware::ListingVersion::v1);
}

TEST(Build, GoldenPackageIsReproduced) {
  ScratchDir dir;
  BuildOptions options;
  options.engine = "zstd";
  ASSERT_TRUE(build_package(test::sample_firmware("v1"), test::sample_firmware("v2"), dir / "p.zip", options));
  const fs::path golden = test::source_dir() / "tests/golden/sample-v1-to-v2.zip";
  if (const char* u = std::getenv("DFOTA_UPDATE_GOLDEN"); u && std::string(u) == "1") {
    fs::copy_file(dir / "p.zip", golden, fs::copy_options::overwrite_existing);
  }
  EXPECT_EQ(test::read_bytes(dir / "p.zip"), test::read_bytes(golden));
}

} // namespace
} // namespace dfota::package
