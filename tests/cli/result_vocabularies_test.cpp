// An upload's outcome in LwM2M, hawkBit and AWS IoT Jobs terms, and the
// tables of docs/uploader.md that print it: every exit code and every
// catalogue code has its row, with the values the program gives.
#include "cli/result_vocabularies.hpp"

#include <gtest/gtest.h>

#include "cli/exit_codes.hpp"
#include "support/test_support.hpp"

namespace dfota::test {
namespace {

using namespace dfota::cli;

const profiles::Registry& registry() {
  static const auto loaded = profiles::Registry::load(source_dir() / "formats");
  EXPECT_TRUE(loaded) << loaded.error().message();
  return *loaded;
}

upload::UploadReport failed_with(const std::string& profile, int code, const std::string& scope,
                                 bool upgrade_started = false) {
  upload::UploadReport r;
  r.profile = profile;
  r.error_code = code;
  r.error_scope = scope;
  r.upgrade_started = upgrade_started;
  return r;
}

TEST(ResultVocabularies, SuccessIsSuccessEverywhere) {
  const auto v = result_vocabularies(kOk, upload::UploadReport{}, registry());
  EXPECT_EQ(v.lwm2m_result, 1);
  EXPECT_EQ(v.lwm2m_state, 0);
  EXPECT_EQ(v.hawkbit_execution, "closed");
  EXPECT_EQ(v.hawkbit_finished, "success");
  EXPECT_EQ(v.aws_iot_job_status, "SUCCEEDED");
}

TEST(ResultVocabularies, TheModulesCodeDecidesWithItsFamilyAndScope) {
  // 511 on RG50xQ: no room to apply, after the package reached the module.
  auto v = result_vocabularies(kModuleError, failed_with("rg50xq", 511, "fota", true), registry());
  EXPECT_EQ(v.lwm2m_result, 2);
  EXPECT_EQ(v.lwm2m_state, 2);
  EXPECT_EQ(v.aws_iot_job_status, "FAILED");
  EXPECT_EQ(v.hawkbit_execution, "closed");
  // 505 means "package check failed" on EC2x, "project or version mismatch" on RG50xQ.
  EXPECT_EQ(result_vocabularies(kModuleError, failed_with("ec2x", 505, "fota", true), registry()).lwm2m_result, 5);
  EXPECT_EQ(result_vocabularies(kModuleError, failed_with("rg50xq", 505, "fota", true), registry()).lwm2m_result, 6);
  // A failed download leaves the object Idle, whatever came before.
  v = result_vocabularies(kModuleError, failed_with("ec2x", 625, "ftp", true), registry());
  EXPECT_EQ(v.lwm2m_result, 4);
  EXPECT_EQ(v.lwm2m_state, 0);
  EXPECT_EQ(result_vocabularies(kModuleError, failed_with("ec2x", 711, "http", true), registry()).lwm2m_result, 7);
  // RG50xQ's retries that never succeed: the update failed.
  EXPECT_EQ(result_vocabularies(kModuleError, failed_with("rg50xq", 525, "fota", true), registry()).lwm2m_result, 8);
  // +CME ERROR: 420 from AT+QFUPL: no room for the package.
  EXPECT_EQ(result_vocabularies(kTransferFailed, failed_with("ec2x", 420, "cme"), registry()).lwm2m_result, 2);
}

TEST(ResultVocabularies, APreflightRefusalIsARejection) {
  auto predicted = failed_with("rg50xq", 511, "validate");
  predicted.error_rule = "space";
  auto v = result_vocabularies(kValidationFailed, predicted, registry());
  EXPECT_EQ(v.lwm2m_result, 2);
  EXPECT_EQ(v.lwm2m_state, 0);
  EXPECT_EQ(v.hawkbit_execution, "rejected");
  EXPECT_EQ(v.hawkbit_finished, "failure");
  EXPECT_EQ(v.aws_iot_job_status, "REJECTED");
  // A rule the module has no code for.
  upload::UploadReport url;
  url.error_scope = "validate";
  url.error_rule = "url";
  EXPECT_EQ(result_vocabularies(kValidationFailed, url, registry()).lwm2m_result, 7);
  url.error_rule = "project";
  EXPECT_EQ(result_vocabularies(kValidationFailed, url, registry()).lwm2m_result, 6);
}

TEST(ResultVocabularies, AChecksumTheModuleDisagreesWithIsAnIntegrityFailure) {
  upload::UploadReport r;
  r.error_rule = "checksum";
  EXPECT_EQ(result_vocabularies(kTransferFailed, r, registry()).lwm2m_result, 5);
  EXPECT_EQ(result_vocabularies(kTransferFailed, upload::UploadReport{}, registry()).lwm2m_result, 4);
}

std::string docs_uploader() { return read_text(source_dir() / "docs" / "uploader.md"); }

TEST(ResultVocabularies, TheDocsTableOfExitCodesIsWhatTheProgramSays) {
  const std::string docs = docs_uploader();
  for (const auto& doc : exit_code_table()) {
    const upload::UploadReport r; // no module code, before the upgrade began
    const auto v = result_vocabularies(doc.code, r, registry());
    const std::string row = "| " + std::to_string(doc.code) + " " + doc.name + " | " + std::to_string(v.lwm2m_result) +
                            " | " + std::to_string(v.lwm2m_state) + " | " + v.hawkbit_execution + " / " +
                            v.hawkbit_finished + " | " + v.aws_iot_job_status + " |";
    EXPECT_NE(docs.find(row), std::string::npos) << "docs/uploader.md lacks the row\n" << row;
  }
}

TEST(ResultVocabularies, TheDocsTableOfModuleCodesIsTheCatalogue) {
  const std::string docs = docs_uploader();
  for (const auto& e : registry().catalogue()) {
    std::string families;
    for (const auto& f : e.families)
      families += (families.empty() ? "" : ", ") + f;
    const std::string row = "| " + std::to_string(e.code) + (e.last != e.code ? "–" + std::to_string(e.last) : "") +
                            " | " + e.scope + " | " + (families.empty() ? "all" : families) + " | " +
                            std::to_string(e.lwm2m_result) + " |";
    EXPECT_NE(docs.find(row), std::string::npos) << "docs/uploader.md lacks the row\n" << row;
  }
}

} // namespace
} // namespace dfota::test
