#include "report/junit.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <sstream>

#include "report/markup.hpp"

namespace dfota::report {

namespace {

std::string seconds_text(double seconds) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3f", seconds < 0 ? 0.0 : seconds);
  return buffer;
}

// The tests/failures/errors/skipped attributes of a suite or of the document.
struct Counts {
  std::size_t tests = 0, failures = 0, errors = 0, skipped = 0;
  Counts& operator+=(const Counts& other) {
    tests += other.tests;
    failures += other.failures;
    errors += other.errors;
    skipped += other.skipped;
    return *this;
  }
  std::string attributes() const {
    return " tests=\"" + std::to_string(tests) + "\" failures=\"" + std::to_string(failures) + "\" errors=\"" +
           std::to_string(errors) + "\" skipped=\"" + std::to_string(skipped) + "\"";
  }
};

Counts count(const TestSuite& suite) {
  Counts counts;
  counts.tests = suite.cases.size();
  for (const auto& c : suite.cases) {
    counts.failures += c.outcome == TestCase::Outcome::failed;
    counts.errors += c.outcome == TestCase::Outcome::error;
    counts.skipped += c.outcome == TestCase::Outcome::skipped;
  }
  return counts;
}

} // namespace

std::string to_junit_xml(const std::vector<TestSuite>& suites) {
  Counts all;
  double seconds = 0;
  for (const auto& suite : suites) {
    all += count(suite);
    seconds += suite.seconds;
  }
  std::ostringstream xml;
  xml << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<testsuites name=\"dfota\"" << all.attributes() << " time=\"" << seconds_text(seconds) << "\">\n";
  int id = 0;
  for (const auto& suite : suites) {
    xml << "  <testsuite name=\"" << escape_markup(suite.name) << "\" id=\"" << id++ << "\"" << count(suite).attributes()
        << " time=\"" << seconds_text(suite.seconds) << "\"";
    if (!suite.timestamp.empty()) xml << " timestamp=\"" << escape_markup(suite.timestamp) << "\"";
    if (!suite.hostname.empty()) xml << " hostname=\"" << escape_markup(suite.hostname) << "\"";
    xml << ">\n";
    if (!suite.properties.empty()) {
      xml << "    <properties>\n";
      for (const auto& [name, value] : suite.properties)
        xml << "      <property name=\"" << escape_markup(name) << "\" value=\"" << escape_markup(value) << "\"/>\n";
      xml << "    </properties>\n";
    }
    for (const auto& c : suite.cases) {
      xml << "    <testcase name=\"" << escape_markup(c.name) << "\" classname=\"" << escape_markup(c.classname) << "\" time=\""
          << seconds_text(c.seconds) << "\"";
      if (c.outcome == TestCase::Outcome::passed && c.output.empty()) {
        xml << "/>\n";
        continue;
      }
      xml << ">\n";
      switch (c.outcome) {
      case TestCase::Outcome::passed: break;
      case TestCase::Outcome::skipped: xml << "      <skipped message=\"" << escape_markup(c.message) << "\"/>\n"; break;
      case TestCase::Outcome::failed:
      case TestCase::Outcome::error: {
        const char* tag = c.outcome == TestCase::Outcome::failed ? "failure" : "error";
        xml << "      <" << tag << " message=\"" << escape_markup(c.message) << "\" type=\"" << escape_markup(c.type) << "\">"
            << escape_markup(c.detail, false) << "</" << tag << ">\n";
        break;
      }
      }
      if (!c.output.empty()) xml << "      <system-out>" << escape_markup(c.output, false) << "</system-out>\n";
      xml << "    </testcase>\n";
    }
    xml << "  </testsuite>\n";
  }
  xml << "</testsuites>\n";
  return xml.str();
}

std::string junit_timestamp_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
  return buffer;
}

} // namespace dfota::report
