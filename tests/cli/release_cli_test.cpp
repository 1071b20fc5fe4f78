// `dfota release` through Main(), and the installed documentation of the
// command line (man page, bash completion) kept in step with it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "cli/exit_codes.hpp"
#include "support/test_support.hpp"

namespace dfota::cli {
namespace {

namespace fs = std::filesystem;

TEST(ReleaseCli, ThreeFieldVersionsGiveVerifiedPackagesAndAnIndex) {
  test::ScratchDir dir;
  const auto a = test::make_field_version(dir.path(), "a", "EC25EFAR06A03M4G_01.001.01.001", 1);
  const auto b = test::make_field_version(dir.path(), "b", "EC25EFAR06A04M4G_01.002.01.002", 2);
  auto r = test::run_cli({"release", "--to", test::sample_firmware("v2").string(), "--from", a.string(), b.string(),
                          test::sample_firmware("v1").string(), "-o", (dir / "out").string(), "-j", "2", "--reverse"});
  ASSERT_EQ(r.exit_code, kOk) << r.out << r.err;
  // The table is the same every time (no timings), so it is a golden file.
  test::expect_golden("release-index.txt", r.out);
  EXPECT_EQ(test::read_text(dir / "out" / "index.txt"), r.out);
  const auto index = nlohmann::json::parse(test::read_text(dir / "out" / "index.json"));
  EXPECT_EQ(index["format"], "dfota-release-index");
  EXPECT_EQ(index["ok"], true);
  ASSERT_EQ(index["packages"].size(), 6u);
  for (const auto& p : index["packages"]) {
    const fs::path file = dir / "out" / p["file"].get<std::string>();
    ASSERT_TRUE(fs::exists(file)) << file;
    EXPECT_EQ(p["size"], fs::file_size(file));
    auto check = test::run_cli({"checksum", "--json", file.string()});
    EXPECT_EQ(nlohmann::json::parse(check.out)["files"][0]["sha256"], p["sha256"]);
  }
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 6) << r.err; // one progress line each
}

TEST(ReleaseCli, AFailingPairExitsWithItsCodeAndTheOthersAreBuilt) {
  test::ScratchDir dir;
  fs::create_directories(dir / "empty");
  auto r = test::run_cli({"release", "--to", test::sample_firmware("v2").string(), "--from", (dir / "empty").string(),
                          test::sample_firmware("v1").string(), "-o", (dir / "out").string()});
  EXPECT_EQ(r.exit_code, kBadFirmware) << r.out << r.err;
  EXPECT_NE(r.out.find("1 of 2 packages ok"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("failed  " + (dir / "empty").string()), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(dir / "out" / "EC25EFAR06A06M4G_01.003.01.003_to_EC25EFAR06A07M4G_01.004.01.004.zip"));

  auto no_target = test::run_cli({"release", "--to", (dir / "none").string(), "--from",
                                  test::sample_firmware("v1").string(), "-o", (dir / "out2").string()});
  EXPECT_EQ(no_target.exit_code, kBadFirmware) << no_target.err;
  EXPECT_EQ(std::count(no_target.err.begin(), no_target.err.end(), '\n'), 1) << no_target.err;
  auto no_from = test::run_cli({"release", "--to", test::sample_firmware("v2").string(), "-o", (dir / "o").string()});
  EXPECT_EQ(no_from.exit_code, kUsage);
  auto bad_profile =
      test::run_cli({"release", "--to", test::sample_firmware("v2").string(), "--from",
                     test::sample_firmware("v1").string(), "-o", (dir / "o").string(), "--profile", "bg96"});
  EXPECT_EQ(bad_profile.exit_code, kUsage);
}

// Every verb and exit code is in the man page; the completion script knows every verb.
TEST(InstalledDocs, ManPageAndCompletionCoverTheCommandLine) {
  const std::string man = test::read_text(fs::path(DFOTA_SOURCE_DIR) / "packaging" / "dfota.1");
  auto completion = test::run_cli({"completion", "bash"});
  ASSERT_EQ(completion.exit_code, kOk);
  auto help = test::run_cli({"--help"});
  const std::regex verb_line(R"(\n  ([a-z]+) {2,})");
  int verbs = 0;
  for (std::sregex_iterator it(help.out.begin(), help.out.end(), verb_line), end; it != end; ++it) {
    const std::string verb = (*it)[1];
    if (help.out.find("Subcommands:") > static_cast<std::size_t>(it->position())) continue;
    if (help.out.find("Examples:") < static_cast<std::size_t>(it->position())) break;
    ++verbs;
    EXPECT_NE(man.find(".B " + verb), std::string::npos) << verb << " is not in packaging/dfota.1";
    EXPECT_NE(completion.out.find("    " + verb + ") options="), std::string::npos) << verb;
  }
  EXPECT_GE(verbs, 14);
  for (const auto& row : exit_code_table())
    EXPECT_NE(man.find(".B " + std::to_string(row.code) + "\n"), std::string::npos) << "exit code " << row.code;
}

// docs/troubleshooting.md carries the catalogue as `dfota explain --all --markdown` prints it.
TEST(InstalledDocs, TroubleshootingTableIsTheCatalogue) {
  const fs::path page = fs::path(DFOTA_SOURCE_DIR) / "docs" / "troubleshooting.md";
  const std::string text = test::read_text(page);
  const std::string begin = "<!-- begin: dfota explain --all --markdown -->\n", end = "<!-- end -->";
  const auto from = text.find(begin), to = text.find(end);
  ASSERT_NE(from, std::string::npos);
  ASSERT_NE(to, std::string::npos);
  auto table = test::run_cli({"explain", "--all", "--markdown"});
  ASSERT_EQ(table.exit_code, kOk) << table.err;
  if (std::getenv("DFOTA_UPDATE_GOLDEN")) {
    test::write_text(page, text.substr(0, from + begin.size()) + table.out + text.substr(to));
    return;
  }
  EXPECT_EQ(text.substr(from + begin.size(), to - from - begin.size()), table.out)
      << "regenerate with DFOTA_UPDATE_GOLDEN=1";
  EXPECT_NE(table.out.find("| 511 | fota | rg50xq |"), std::string::npos);
  auto no_code = test::run_cli({"explain"});
  EXPECT_EQ(no_code.exit_code, kUsage);
}

} // namespace
} // namespace dfota::cli
