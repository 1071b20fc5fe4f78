#include "at/command_line.hpp"

#include <gtest/gtest.h>

namespace dfota::at {
namespace {

TEST(CommandLine, FormsAndArgumentsFromTheGuides) {
  auto com = parse_command_line(R"(AT+QFOTADL="COM",345200,5)");
  ASSERT_TRUE(com);
  EXPECT_EQ(com->name, "+QFOTADL");
  EXPECT_EQ(com->form, CommandForm::write);
  ASSERT_EQ(com->arguments.size(), 3u);
  EXPECT_EQ(com->arguments[0].text, "COM");
  EXPECT_TRUE(com->arguments[0].quoted);
  EXPECT_EQ(com->arguments[1].text, "345200");
  EXPECT_FALSE(com->arguments[1].quoted);

  // The UGxx guide puts spaces inside the quotes: kept, the module decides.
  auto http = parse_command_line(R"(AT+QFOTADL=" HTTP://www.example.com:80/delta.bin ")");
  ASSERT_TRUE(http);
  EXPECT_EQ(http->arguments[0].text, " HTTP://www.example.com:80/delta.bin ");

  auto qicsgp = parse_command_line(R"(AT+QICSGP=1,1,"UNINET","",1)");
  ASSERT_TRUE(qicsgp);
  ASSERT_EQ(qicsgp->arguments.size(), 5u);
  EXPECT_EQ(qicsgp->arguments[2].text, "UNINET");
  EXPECT_EQ(qicsgp->arguments[3].text, "");
  EXPECT_EQ(qicsgp->arguments[4].text, "1");

  EXPECT_EQ(parse_command_line("AT+QFOTADL=?")->form, CommandForm::test);
  EXPECT_EQ(parse_command_line("AT+CMEE?")->form, CommandForm::read);
  EXPECT_EQ(parse_command_line("AT+QGMR")->form, CommandForm::execute);
  auto ate = parse_command_line("ATE0");
  EXPECT_EQ(ate->name, "E");
  EXPECT_EQ(ate->arguments.at(0).text, "0");
  EXPECT_EQ(parse_command_line("at")->name, "");
  EXPECT_EQ(parse_command_line(R"(AT+QCFG="usbifc",2,2)")->arguments.size(), 3u);
}

TEST(CommandLine, RejectsWhatIsNotACommand) {
  EXPECT_FALSE(parse_command_line("hello"));
  EXPECT_FALSE(parse_command_line(R"(AT+QFUPL="open)"));
  EXPECT_FALSE(parse_command_line(R"(AT+QFUPL="a"x,1)"));
  EXPECT_FALSE(parse_command_line("AT+CMEE?1"));
}

TEST(CommandLine, TheCommandStartsAtItsFirstAt) {
  EXPECT_EQ(command_start("AT+QGMR"), 0u);
  EXPECT_EQ(command_start("+++at+qgmr"), 3u);
  EXPECT_EQ(command_start("\xfe\xfe"
                          "AT"),
            2u);
  EXPECT_EQ(command_start("+++"), std::string_view::npos);
  EXPECT_EQ(command_start("A"), std::string_view::npos);
}

} // namespace
} // namespace dfota::at
