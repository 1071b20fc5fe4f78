#include "report/junit.hpp"

#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace dfota::report {
namespace {

using Outcome = TestCase::Outcome;

TestSuite suite_of_every_outcome() {
  TestSuite suite;
  suite.name = "dfota validate u.zip (ec2x)";
  suite.timestamp = "2026-11-21T10:00:00";
  suite.seconds = 0.25;
  suite.properties = {{"profile", "ec2x"}};
  suite.cases.push_back({"zip", "dfota.validate.ec2x", 0.01, Outcome::passed, "", "", "", ""});
  suite.cases.push_back({"project", "dfota.validate.ec2x", 0, Outcome::failed, "module answers 504: project differs",
                         "module-error-504", "line one\nline <two> & \"three\"", ""});
  suite.cases.push_back({"url", "dfota.validate.ec2x", 0, Outcome::skipped, "no --url given", "", "", ""});
  suite.cases.push_back({"port", "dfota.upload", 1.5, Outcome::error, "timed out", "exit-26", "", "seen: START"});
  return suite;
}

TEST(JUnit, CountsEachOutcomeInTheSuiteAndTheDocument) {
  const std::string xml = to_junit_xml({suite_of_every_outcome()});
  EXPECT_NE(xml.find("<testsuites name=\"dfota\" tests=\"4\" failures=\"1\" errors=\"1\" skipped=\"1\""),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("tests=\"4\" failures=\"1\" errors=\"1\" skipped=\"1\" time=\"0.250\" timestamp="),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<testcase name=\"zip\" classname=\"dfota.validate.ec2x\" time=\"0.010\"/>"), std::string::npos);
  EXPECT_NE(xml.find("<failure message=\"module answers 504: project differs\" type=\"module-error-504\">"),
            std::string::npos);
  EXPECT_NE(xml.find("<skipped message=\"no --url given\"/>"), std::string::npos);
  EXPECT_NE(xml.find("<error message=\"timed out\" type=\"exit-26\"></error>"), std::string::npos);
  EXPECT_NE(xml.find("<system-out>seen: START</system-out>"), std::string::npos);
}

TEST(JUnit, EscapesMarkupAndKeepsLinesInText) {
  const std::string xml = to_junit_xml({suite_of_every_outcome()});
  EXPECT_NE(xml.find("line one\nline &lt;two&gt; &amp; &quot;three&quot;</failure>"), std::string::npos) << xml;
}

TEST(JUnit, BytesXmlCannotCarryBecomeReplacementCharacters) {
  TestSuite suite;
  suite.name = "bad \x01 bytes \xff\xfe and \xc3\xa9t\xc3\xa9";
  suite.cases.push_back({"n\"a<m>e\n", "c", 0, Outcome::failed, "m\x1b[31m", "t", "a\x00b", ""});
  const std::string xml = to_junit_xml({suite});
  EXPECT_NE(xml.find("bad \xEF\xBF\xBD bytes \xEF\xBF\xBD\xEF\xBF\xBD and \xc3\xa9t\xc3\xa9"), std::string::npos);
  EXPECT_NE(xml.find("name=\"n&quot;a&lt;m&gt;e&#10;\""), std::string::npos) << xml;
  EXPECT_EQ(xml.find('\x1b'), std::string::npos);
}

TEST(JUnit, TheDocumentHasTheShapeCiServersRead) {
  test::ScratchDir dir;
  TestSuite odd;
  odd.name = "odd \xff";
  odd.cases.push_back({"x", "y", 0, Outcome::failed, "\x02", "", "\x7f", "\x01"});
  for (const auto& suites : std::vector<std::vector<TestSuite>>{{suite_of_every_outcome()}, {}, {odd, TestSuite{}}}) {
    test::write_text(dir / "report.xml", to_junit_xml(suites));
    EXPECT_EQ(test::junit_schema_problems(dir / "report.xml"), "");
  }
}

TEST(JUnit, TimestampIsUtcIsoWithoutZone) {
  const std::string t = junit_timestamp_now();
  ASSERT_EQ(t.size(), 19u) << t;
  EXPECT_EQ(t[4], '-');
  EXPECT_EQ(t[10], 'T');
  EXPECT_EQ(t[16], ':');
}

} // namespace
} // namespace dfota::report
