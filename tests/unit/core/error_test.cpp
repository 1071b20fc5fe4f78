#include <gtest/gtest.h>

#include "core/error.hpp"

namespace dfota {
namespace {

TEST(Error, CarriesCategoryCodeAndMessage) {
  Error e = make_error(CoreErrc::not_found, "boot.img");
  EXPECT_TRUE(e.is(CoreErrc::not_found));
  EXPECT_FALSE(e.is(CoreErrc::io_error));
  EXPECT_STREQ(e.code().category().name(), "core");
  EXPECT_EQ(e.message(), "boot.img");
}

TEST(Error, WithContextPrefixesTheMessageAndKeepsTheCode) {
  Error e = make_error(CoreErrc::truncated, "stream ended").with_context("payload/boot.img");
  EXPECT_EQ(e.message(), "payload/boot.img: stream ended");
  EXPECT_TRUE(e.is(CoreErrc::truncated));
}

TEST(Error, SystemErrorMapsErrno) {
  EXPECT_TRUE(system_error("x", ENOENT).is(CoreErrc::not_found));
  EXPECT_TRUE(system_error("x", EACCES).is(CoreErrc::permission_denied));
  EXPECT_TRUE(system_error("x", EIO).is(CoreErrc::io_error));
  EXPECT_NE(system_error("x", ENOENT).message().find("x: "), std::string::npos);
}

TEST(Expected, HoldsValueOrError) {
  Expected<int> good = 42;
  ASSERT_TRUE(good);
  EXPECT_EQ(*good, 42);
  Expected<int> bad = make_error(CoreErrc::invalid_input, "no");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "no");
  Status ok;
  EXPECT_TRUE(ok);
  Status failed = make_error(CoreErrc::io_error, "disk");
  EXPECT_FALSE(failed);
  EXPECT_TRUE(failed.error().is(CoreErrc::io_error));
}

} // namespace
} // namespace dfota
