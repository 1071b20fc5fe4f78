// URLs as modules take them, and their redaction for every output.
#include "profiles/url.hpp"

#include <gtest/gtest.h>

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

} // namespace
} // namespace dfota::profiles
