#include <gtest/gtest.h>

#include "core/text.hpp"

namespace dfota {
namespace {

TEST(Text, PrintableKeepsTextAndUtf8) {
  EXPECT_EQ(printable("EC25EFAR06A06M4G"), "EC25EFAR06A06M4G");
  EXPECT_EQ(printable("Grüße, 模块"), "Grüße, 模块");
  EXPECT_EQ(printable(""), "");
}

TEST(Text, PrintableEscapesEveryControlSequence) {
  // OSC title, clear screen, bell, DEL, the C1 CSI (U+009B), a stray byte and a cut sequence.
  EXPECT_EQ(printable("EC25EFA\x1b]0;TITLE\a\x1b[2J"), "EC25EFA\\x1B]0;TITLE\\x07\\x1B[2J");
  EXPECT_EQ(printable("a\tb\nc\rd\x7f"), "a\\tb\\nc\\rd\\x7F");
  EXPECT_EQ(printable("\xc2\x9b"
                      "31m"),
            "\\xC2\\x9B31m");
  EXPECT_EQ(printable("\xff\xc3"), "\\xFF\\xC3");
  EXPECT_EQ(printable("\xe2\x82"), "\\xE2\\x82");
  EXPECT_EQ(printable("\xed\xa0\x80"), "\\xED\\xA0\\x80"); // a surrogate is not UTF-8
  EXPECT_EQ(printable("\xc2\xa0"), "\xc2\xa0");            // U+00A0 is printable
}

} // namespace
} // namespace dfota
