#include "report/package_page.hpp"

#include <gtest/gtest.h>

#include "package/builder.hpp"
#include "support/test_support.hpp"

namespace dfota::report {
namespace {

namespace fs = std::filesystem;

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

TEST(PackagePage, ShowsVersionsBarsMapsAndSignatureState) {
  test::ScratchDir dir;
  package::BuildOptions options;
  options.engine = "native";
  ASSERT_TRUE(package::build_package(test::sample_firmware("v1"), test::sample_firmware("v2"), dir / "u.zip", options));
  auto page = render_package_page(dir / "u.zip");
  ASSERT_TRUE(page) << page.error().message();
  for (const char* expected :
       {"EC25EFAR06A06M4G_01.003.01.003", "EC25EFAR06A07M4G_01.004.01.004", "modem.img", "boot.img", "Change maps",
        "unsigned", "kept (same place, same bytes)", "Files of system", "Payload forms", "plain payload", "DFN5, "})
    EXPECT_NE(page->find(expected), std::string::npos) << expected;
  // Two image maps, each with its columns.
  EXPECT_EQ(occurrences(*page, "<svg class=\"map\""), 2u);
  EXPECT_GT(occurrences(*page, "<rect "), 500u);
}

TEST(PackagePage, IsSelfContained) {
  auto page = render_package_page(fs::path(DFOTA_SOURCE_DIR) / "tests/golden/sample-v1-to-v2.zip");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->find("<script"), std::string::npos);
  EXPECT_EQ(page->find("http://"), std::string::npos);
  EXPECT_EQ(page->find("https://"), std::string::npos);
  EXPECT_EQ(page->find(" src="), std::string::npos);
  EXPECT_EQ(page->find("<link"), std::string::npos);
  EXPECT_NE(page->find("No map: zstd payloads"), std::string::npos); // the golden package is zstd
}

TEST(PackagePage, ForeignZipsAndNamesAreEscaped) {
  test::ScratchDir dir;
  const fs::path zip = dir / "<b>vendor&.zip";
  test::rewrite_zip(fs::path(DFOTA_SOURCE_DIR) / "tests/golden/sample-v1-to-v2.zip", zip,
                    [](std::string& name, Bytes&) {
                      if (name == "manifest.json") return false;
                      name = "<img>" + name;
                      return true;
                    });
  auto page = render_package_page(zip);
  ASSERT_TRUE(page) << page.error().message();
  EXPECT_EQ(page->find("<b>vendor"), std::string::npos);
  EXPECT_NE(page->find("&lt;b&gt;vendor&amp;.zip"), std::string::npos);
  EXPECT_EQ(page->find("<img>"), std::string::npos);
  EXPECT_NE(page->find("Entries"), std::string::npos);
}

TEST(PackagePage, WhatIsNotAPackageFailsAsInspectDoes) {
  test::ScratchDir dir;
  test::write_text(dir / "x.zip", std::string("PK\x03\x04", 4) + "a damaged zip");
  EXPECT_FALSE(render_package_page(dir / "x.zip"));
  EXPECT_FALSE(render_package_page(dir / "missing.zip"));
  // A file that is no zip at all is a vendor's opaque package.
  test::write_text(dir / "EC200TCNTCNMAR02A02M16.bin", "opaque firmware");
  auto page = render_package_page(dir / "EC200TCNTCNMAR02A02M16.bin");
  ASSERT_TRUE(page) << page.error().message();
  EXPECT_NE(page->find("opaque vendor package"), std::string::npos);
}

} // namespace
} // namespace dfota::report
