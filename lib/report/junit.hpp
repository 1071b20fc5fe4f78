// JUnit XML, the test-result format Jenkins, GitLab and most CI servers show:
// a <testsuites> document with one <testsuite> per run and one <testcase>
// per check. tests/formats/junit.xsd states the shape written here.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace dfota::report {

struct TestCase {
  enum class Outcome { passed, failed, error, skipped };
  std::string name;
  std::string classname; // CI servers group by it ("dfota.validate.ec2x")
  double seconds = 0;
  Outcome outcome = Outcome::passed;
  std::string message; // failed/error/skipped: one line
  std::string type;    // failed/error: a short kind ("module-error-511")
  std::string detail;  // failed/error: the body text
  std::string output;  // <system-out>: what the check saw (may be empty)
};

struct TestSuite {
  std::string name;
  std::string timestamp; // ISO 8601 without zone, as the format wants ("2026-11-21T10:00:00")
  std::string hostname;
  double seconds = 0;
  std::vector<std::pair<std::string, std::string>> properties;
  std::vector<TestCase> cases;
};

// The document, UTF-8. Text is escaped; characters XML 1.0 cannot carry
// (control bytes other than tab, CR, LF) are written as U+FFFD.
std::string to_junit_xml(const std::vector<TestSuite>& suites);

// Now, in the form TestSuite::timestamp wants (UTC).
std::string junit_timestamp_now();

} // namespace dfota::report
