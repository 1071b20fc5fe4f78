#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "profiles/profile.hpp"
#include "support/test_support.hpp"

namespace dfota::profiles {
namespace {

Registry registry() {
  auto r = Registry::load(test::source_dir() / "formats");
  if (!r) throw std::runtime_error(r.error().message());
  return std::move(*r);
}

TEST(Profiles, TheFourFamiliesLoad) {
  Registry r = registry();
  for (const char* id : {"ugxx", "ec2x", "ec200t", "rg50xq"}) {
    auto p = r.find(id);
    ASSERT_TRUE(p) << id;
    EXPECT_EQ((*p)->id, id);
  }
  auto missing = r.find("bg96");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("ec200t"), std::string::npos); // lists the known ids
}

TEST(Profiles, AFamilyIsFoundByTheLongestModelItsNameStartsWith) {
  Registry r = registry();
  ASSERT_NE(r.find_by_model("EC25"), nullptr);
  EXPECT_EQ(r.find_by_model("EC25")->id, "ec2x");
  EXPECT_EQ(r.find_by_model("EC200T")->id, "ec200t"); // not EC2x by a shorter prefix
  EXPECT_EQ(r.find_by_model("RM500QGLABR11A06M4G_01.001.01.001")->id, "rg50xq");
  EXPECT_EQ(r.find_by_model("EC25EFAR06A06M4G")->id, "ec2x");
  EXPECT_EQ(r.find_by_model("BG96"), nullptr);
  EXPECT_EQ(r.find_by_model(""), nullptr);
  EXPECT_EQ((*r.find("rg50xq"))->model_prefix_of("RM502Q-AEABR11A02M4G"), "RM502Q-AE");
  EXPECT_EQ((*r.find("ec2x"))->model_prefix_of("UG96"), "");
}

TEST(Profiles, AtQfotadlResponseTimesAreTheGuides) {
  Registry r = registry();
  EXPECT_EQ((*r.find("ugxx"))->qfotadl_answer, std::chrono::milliseconds(90000)); // "Maximum Response Time 90 seconds"
  EXPECT_EQ((*r.find("rg50xq"))->qfotadl_answer, std::chrono::milliseconds(300)); // "300 ms"
  EXPECT_FALSE((*r.find("ec2x"))->qfotadl_answer);                                // the guide is silent
  EXPECT_FALSE((*r.find("ec200t"))->qfotadl_answer);
}

// Facts read off the four guides, one by one.
TEST(Profiles, AgreeWithTheGuides) {
  Registry r = registry();
  const Profile& ug = **r.find("ugxx");
  EXPECT_TRUE(ug.supports("com"));
  EXPECT_FALSE(ug.supports("qfupl"));
  EXPECT_EQ(ug.url.max_length, 255u);
  EXPECT_EQ(ug.url.user_max, 50u);
  EXPECT_EQ(ug.urc.http_end, "HTTPPEND"); // the UGxx guide's own spelling
  EXPECT_FALSE(ug.urcs_on_usb);           // "If the current port is not UART ... will not be outputted"
  const Profile& ec = **r.find("ec2x");
  EXPECT_EQ(ec.local_paths, (std::vector<std::string>{"/data/ufs/", "/media/card/"}));
  EXPECT_EQ(ec.local_name_max, 128u);
  EXPECT_EQ(ec.urc.http_end, "HTTPEND");
  EXPECT_EQ(ec.retry_attempts, 5);
  const Profile& asr = **r.find("ec200t");
  EXPECT_TRUE(asr.supports("file"));
  EXPECT_TRUE(asr.supports("https"));
  EXPECT_TRUE(asr.url.ftp_root_only);
  EXPECT_TRUE(asr.file_mode_requires_flow_control);
  EXPECT_EQ(asr.no_flow_control_bytes_per_s, 15000u);
  EXPECT_EQ(asr.no_flow_control_min_chunk, 32u);
  EXPECT_EQ(asr.urc.file_end, "FILEEND");
  const Profile& rg = **r.find("rg50xq");
  EXPECT_EQ(rg.url.max_length, 512u);
  EXPECT_EQ(rg.local_paths, (std::vector<std::string>{"/cache/ufs/"}));
  EXPECT_EQ(rg.urc.http_end, "HTTPEnd");
  for (int code : {520, 525, 530, 540, 546})
    EXPECT_TRUE(rg.module_retries(code)) << code;
  for (int code : {504, 505, 510, 511, 531, 539, 547, 550})
    EXPECT_FALSE(rg.module_retries(code)) << code;
  // 520-530 until success; 502 and 540-546 five attempts in all.
  EXPECT_TRUE(rg.retries_after(525, 1));
  EXPECT_TRUE(rg.retries_after(525, 50));
  EXPECT_TRUE(rg.retries_after(502, 4));
  EXPECT_FALSE(rg.retries_after(502, 5));
  EXPECT_FALSE(rg.retries_after(510, 1));
  const Profile& ec2x = **r.find("ec2x");
  EXPECT_TRUE(ec2x.retries_after(504, 4));
  EXPECT_FALSE(ec2x.retries_after(504, 5));
  EXPECT_FALSE((*r.find("ugxx"))->retries_after(504, 1));
  EXPECT_EQ(rg.first_urc_after_reboot_s, 90);
  // Only the RG50xQ note states it; the other guides are silent.
  for (const char* silent : {"ugxx", "ec2x", "ec200t"})
    EXPECT_FALSE((*r.find(silent))->first_urc_after_reboot_s) << silent;
}

TEST(ErrorCatalogue, HoldsEveryTableEntryOfTheGuides) {
  Registry r = registry();
  // FTP 601-630 and HTTP 701-730 (UGxx, EC200T tables), for every family.
  for (int code = 601; code <= 630; ++code)
    EXPECT_FALSE(r.meaning(code, "ugxx", "ftp").empty()) << code;
  for (int code = 701; code <= 730; ++code)
    EXPECT_FALSE(r.meaning(code, "ec200t", "http").empty()) << code;
  EXPECT_EQ(r.meaning(625, "ec2x", "ftp"), "Failed to login FTP");
  EXPECT_EQ(r.meaning(711, "rg50xq", "http"), "HTTP URL error");
  // <err> tables, family by family.
  EXPECT_EQ(r.meaning(504, "rg50xq"), "Incorrect zip format");
  EXPECT_EQ(r.meaning(505, "rg50xq"), "The project or the version of the package does not match");
  EXPECT_EQ(r.meaning(506, "ec200t"), "FOTA firmware MD5 check error");
  EXPECT_EQ(r.meaning(550, "rg50xq"), "The firmware package is too large");
  EXPECT_NE(r.meaning(511, "rg50xq").find("no enough space"), std::string::npos);
  EXPECT_NE(r.meaning(504, "ec2x").find("five times"), std::string::npos);
  EXPECT_EQ(r.meaning(500, "ec200t", "file"), "File download error");
  EXPECT_EQ(r.meaning(421, "ec2x", "cme"), "Time out");
  EXPECT_EQ(r.lookup(527, "rg50xq").front()->module_retries, true);
  // Every END code a profile gives a refusal has a meaning for that family
  // in the catalogue (where the guide names none, the profile has null).
  for (const auto& p : r.profiles()) {
    for (int code : {p.upgrade.bad_package, p.upgrade.corrupt_payload, p.upgrade.project, p.upgrade.version,
                     p.upgrade.source, p.upgrade.space, p.upgrade.too_large, p.upgrade.failed})
      if (code != 0) {
        EXPECT_FALSE(r.meaning(code, p.id, "fota").empty()) << p.id << " " << code;
      }
  }
}

TEST(Profiles, BadFilesAreNamedWithTheField) {
  const Bytes good = test::read_bytes(test::source_dir() / "formats/profiles/ec2x.json");
  auto j = nlohmann::json::parse(good.begin(), good.end());
  j["url"].erase("max_length");
  auto missing = parse_profile(as_bytes(j.dump()), "my.json");
  ASSERT_FALSE(missing);
  EXPECT_TRUE(missing.error().is(ProfileErrc::missing_field));
  EXPECT_NE(missing.error().message().find("my.json"), std::string::npos);
  EXPECT_NE(missing.error().message().find("url.max_length"), std::string::npos);

  auto j2 = nlohmann::json::parse(good.begin(), good.end());
  j2["methods"] = {"com", "pigeon"};
  auto bad = parse_profile(as_bytes(j2.dump()), "my.json");
  ASSERT_FALSE(bad);
  EXPECT_TRUE(bad.error().is(ProfileErrc::bad_value));
  EXPECT_NE(bad.error().message().find("methods"), std::string::npos);

  auto syntax = parse_profile(as_bytes("{\"id\": \"x\",,}"), "broken.json");
  ASSERT_FALSE(syntax);
  EXPECT_TRUE(syntax.error().is(ProfileErrc::syntax));
  EXPECT_NE(syntax.error().message().find("broken.json"), std::string::npos);
}

TEST(Profiles, AProfileWhoseIdDiffersFromItsFileIsRefused) {
  test::ScratchDir dir;
  std::filesystem::create_directories(dir / "profiles");
  std::filesystem::copy_file(test::source_dir() / "formats/error-codes.json", dir / "error-codes.json");
  std::filesystem::copy_file(test::source_dir() / "formats/profiles/ec2x.json", dir / "profiles/other.json");
  auto r = Registry::load(dir.path());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("other.json"), std::string::npos);
}

} // namespace
} // namespace dfota::profiles
