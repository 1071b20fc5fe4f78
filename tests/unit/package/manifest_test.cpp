#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "package/manifest.hpp"
#include "support/test_support.hpp"

namespace dfota::package {
namespace {

const std::string kSha(64, 'a');
const std::string kMd5(32, 'b');

Manifest sample_manifest() {
  Manifest m;
  m.project = "EC25EFA";
  m.source_version = "A";
  m.target_version = "B";
  m.space_needed = 100;
  m.largest_partition = 60;
  m.apply_memory = 4096;
  m.firmware_json = Content{40, kSha, kMd5};
  PartitionEntry image;
  image.name = "modem.img";
  image.op = Operation::delta;
  image.payload = Payload{"zstd", "payload/modem.img", 10, kSha};
  image.source = Content{50, kSha, kMd5};
  image.target = Content{60, kSha, kMd5};
  image.apply_memory = 4096;
  PartitionEntry tree;
  tree.name = "system";
  tree.kind = firmware::PartitionKind::tree;
  tree.op = Operation::delta;
  tree.mode = 0755;
  tree.source = Content{1, kSha, kMd5};
  tree.target = Content{2, kSha, kMd5};
  TreeFile dir{"etc",       firmware::EntryType::directory, Operation::unchanged, 0700, "", std::nullopt, std::nullopt,
               std::nullopt};
  TreeFile file{"etc/a.conf",
                firmware::EntryType::file,
                Operation::full,
                0600,
                "",
                Payload{"full", "payload/system/etc/a.conf", 5, kSha},
                std::nullopt,
                Content{9, kSha, kMd5}};
  TreeFile link{"lib.so.1",  firmware::EntryType::symlink, Operation::full, 0777, "lib.so", std::nullopt, std::nullopt,
                std::nullopt};
  TreeFile gone{"old.db",     firmware::EntryType::file, Operation::remove, 0644, "",
                std::nullopt, Content{3, kSha, kMd5},    std::nullopt};
  tree.files = {dir, file, link, gone};
  PartitionEntry removed;
  removed.name = "legacy.img";
  removed.op = Operation::remove;
  removed.source = Content{7, kSha, kMd5};
  m.partitions = {image, tree, removed};
  return m;
}

nlohmann::json as_json(const Manifest& m) { return nlohmann::json::parse(to_json_text(m)); }

Expected<Manifest> parse_json(const nlohmann::json& j) { return parse_manifest(as_bytes(j.dump())); }

TEST(Manifest, RoundTripsThroughItsText) {
  const Manifest m = sample_manifest();
  const std::string text = to_json_text(m);
  auto parsed = parse_manifest(as_bytes(text));
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(to_json_text(*parsed), text);
  EXPECT_EQ(parsed->partitions[1].files[2].link_target, "lib.so");
  EXPECT_EQ(parsed->partitions[1].files[1].mode, 0600u);
  EXPECT_EQ(parsed->payload_bytes(), 15u);
}

TEST(Manifest, TextIsCanonical) { test::expect_golden("manifest-sample.json", to_json_text(sample_manifest())); }

TEST(Manifest, IgnoresUnknownFieldsAndAcceptsNewerMinorVersions) {
  auto j = as_json(sample_manifest());
  j["format_version"] = "1.7";
  j["added_later"] = {{"x", 1}};
  j["partitions"][0]["hint"] = "fast";
  auto parsed = parse_json(j);
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(parsed->format_minor, 7);
}

TEST(Manifest, RefusesUnknownMajorVersions) {
  auto j = as_json(sample_manifest());
  j["format_version"] = "2.0";
  auto parsed = parse_json(j);
  ASSERT_FALSE(parsed);
  EXPECT_TRUE(parsed.error().is(PackageErrc::unsupported_version));
  EXPECT_NE(parsed.error().message().find("2.0"), std::string::npos);
}

TEST(Manifest, NamesTheFieldThatIsWrong) {
  struct Case {
    std::function<void(nlohmann::json&)> damage;
    std::string field;
  };
  const std::vector<Case> cases{
      {[](auto& j) { j.erase("project"); }, "project"},
      {[](auto& j) { j["format"] = "other"; }, "format"},
      {[](auto& j) { j["requirements"].erase("space_needed"); }, "requirements.space_needed"},
      {[](auto& j) { j["partitions"][0]["target"]["sha256"] = "XYZ"; }, "partitions[0].target.sha256"},
      {[](auto& j) { j["partitions"][0]["op"] = "patch"; }, "partitions[0].op"},
      {[](auto& j) { j["partitions"][0].erase("payload"); }, "partitions[0]"},
      {[](auto& j) { j["partitions"][0]["payload_size"] = -1; }, "partitions[0].payload_size"},
      {[](auto& j) { j["partitions"][1]["files"][1]["mode"] = "999"; }, "partitions[1].files[1].mode"},
      {[](auto& j) { j["partitions"] = 3; }, "partitions"},
  };
  for (const auto& c : cases) {
    auto j = as_json(sample_manifest());
    c.damage(j);
    auto parsed = parse_json(j);
    ASSERT_FALSE(parsed) << c.field;
    EXPECT_TRUE(parsed.error().is(PackageErrc::manifest_invalid)) << parsed.error().message();
    EXPECT_NE(parsed.error().message().find(c.field), std::string::npos) << parsed.error().message();
  }
}

TEST(Manifest, RefusesUnsafePathsAndDuplicates) {
  const std::vector<std::function<void(nlohmann::json&)>> damages{
      [](auto& j) { j["partitions"][0]["payload"] = "../evil"; },
      [](auto& j) { j["partitions"][0]["payload"] = "/etc/passwd"; },
      [](auto& j) { j["partitions"][0]["name"] = "a/b"; },
      [](auto& j) { j["partitions"][0]["name"] = ".."; },
      [](auto& j) { j["partitions"][1]["files"][0]["path"] = "../../x"; },
      [](auto& j) { j["partitions"][2]["name"] = "modem.img"; },
      [](auto& j) { j["partitions"][1]["files"][1]["payload"] = "payload/modem.img"; },
  };
  for (std::size_t i = 0; i < damages.size(); ++i) {
    auto j = as_json(sample_manifest());
    damages[i](j);
    auto parsed = parse_json(j);
    ASSERT_FALSE(parsed) << i;
    EXPECT_TRUE(parsed.error().is(PackageErrc::unsafe_entry)) << i << ": " << parsed.error().message();
  }
}

TEST(Manifest, RefusesNonJsonAndOversizedText) {
  EXPECT_TRUE(parse_manifest(as_bytes("{not json")).error().is(PackageErrc::manifest_invalid));
  EXPECT_TRUE(parse_manifest(as_bytes("[]")).error().is(PackageErrc::manifest_invalid));
  Bytes huge(kMaxManifestSize + 1, ' ');
  EXPECT_TRUE(parse_manifest(huge).error().is(PackageErrc::limit_exceeded));
}

} // namespace
} // namespace dfota::package
