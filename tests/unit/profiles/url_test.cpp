// URLs as modules take them, and their redaction for every output.
#include "profiles/url.hpp"

#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace dfota::profiles {
namespace {

TEST(Url, ParsesAndRedacts) {
  auto u = parse_url("FTP://test:pw@demo.com:21/update/delta.bin");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->scheme, "ftp");
  EXPECT_EQ(u->user, "test");
  EXPECT_EQ(u->password, "pw");
  EXPECT_EQ(u->host, "demo.com");
  EXPECT_EQ(*u->port, 21);
  EXPECT_EQ(u->path, "update/delta.bin");
  EXPECT_EQ(redact_url("ftp://test:pw@demo.com:21/x"), "ftp://test:***@demo.com:21/x");
  EXPECT_EQ(redact_url("http://host/x"), "http://host/x");
  // Redaction does not depend on the URL parsing.
  for (const auto& [url, shown] : std::vector<std::pair<std::string, std::string>>{
           {"ftp://test:pa/ss@demo.com/x", "ftp://test:***@demo.com/x"},
           {"ftp://test:p@ss/w@demo.com/x", "ftp://test:***@demo.com/x"},
           {"ftp:/test:secret@demo.com/x", "ftp:/test:***@demo.com/x"},
           {"ftp:test:secret@demo.com/x", "ftp:***@demo.com/x"}, // no slash: the whole user-info is hidden
           {"test:secret@demo.com/x", "test:***@demo.com/x"},
           {"HTTPS://u:secret?x#y@host:8443/p", "HTTPS://u:***@host:8443/p"},
           {"ftp://user@demo.com/x", "ftp://user@demo.com/x"},
           {"ftp://demo.com:21/x", "ftp://demo.com:21/x"},
       }) {
    EXPECT_EQ(redact_url(url), shown) << url;
    EXPECT_EQ(redact_url(url).find("secret"), std::string::npos) << url;
  }
  EXPECT_FALSE(parse_url("no-scheme"));
  EXPECT_FALSE(parse_url("http://host:abc/x"));
}

// The 50-byte limits of the guides are on the FTP URL's user, password,
// server and path; an HTTP(S) URL is held to its whole length only.
TEST(Url, TheFiftyByteLimitsAreTheFtpUrlsOnly) {
  auto registry = Registry::load(test::source_dir() / "formats");
  ASSERT_TRUE(registry) << registry.error().message();
  const std::string long_host = "firmware-distribution." + std::string(40, 'x') + ".example.com"; // 74 bytes
  for (const char* id : {"ugxx", "ec2x", "ec200t"}) {
    const Profile& family = **registry->find(id);
    const std::string http = "http://" + long_host + "/releases/2026/" + std::string(60, 'p') + ".zip";
    auto http_url = parse_url(http);
    ASSERT_TRUE(http_url);
    EXPECT_TRUE(url_rule_problems(*http_url, http.size(), family).empty()) << id;
    const std::string ftp = "ftp://user:pw@" + long_host + "/update.zip";
    auto ftp_url = parse_url(ftp);
    ASSERT_TRUE(ftp_url);
    const auto problems = url_rule_problems(*ftp_url, ftp.size(), family);
    ASSERT_EQ(problems.size(), 1u) << id;
    EXPECT_EQ(problems[0], "server is 74 bytes, at most 50") << id;
  }
}

} // namespace
} // namespace dfota::profiles
