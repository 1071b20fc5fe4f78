#include "cli/result_vocabularies.hpp"

#include "cli/exit_codes.hpp"

namespace dfota::cli {

namespace {

constexpr int kSuccess = 1, kNotEnoughFlash = 2, kConnectionLost = 4, kIntegrity = 5, kUnsupportedPackage = 6,
              kInvalidUri = 7, kFailed = 8, kUnsupportedProtocol = 9;

// A pre-flight rule's refusal, when the module would answer no code of its own.
int lwm2m_for_rule(const std::string& rule) {
  if (rule == "space" || rule == "size") return kNotEnoughFlash;
  if (rule == "project" || rule == "version" || rule == "source" || rule == "zip") return kUnsupportedPackage;
  if (rule == "payloads" || rule == "signature" || rule == "checksum") return kIntegrity;
  if (rule == "url") return kInvalidUri;
  if (rule == "method") return kUnsupportedProtocol;
  return kFailed;
}

int lwm2m_for_exit_code(int exit_code) {
  switch (exit_code) {
  case kOk: return kSuccess;
  case kNotAZip:
  case kManifestMissing:
  case kManifestInvalid:
  case kUnsupportedVersion:
  case kSourceMismatch:
  case kLimitExceeded: return kUnsupportedPackage;
  case kCorruptZip:
  case kPayloadMismatch:
  case kUnsafeEntry:
  case kTargetMismatch:
  case kSignatureRefused: return kIntegrity;
  case kTransferFailed: return kConnectionLost;
  case kMethodUnsupported: return kUnsupportedProtocol;
  default: return kFailed; // the module, the port, the host: the update failed
  }
}

int lwm2m_for_module_code(const upload::UploadReport& report, const profiles::Registry& registry) {
  const bool predicted = report.error_scope == "validate";
  for (const auto* entry : registry.lookup(report.error_code, report.profile))
    if ((predicted || entry->scope == report.error_scope) && entry->applies_to(report.profile))
      return entry->lwm2m_result;
  return 0;
}

} // namespace

ResultVocabularies result_vocabularies(int exit_code, const upload::UploadReport& report,
                                       const profiles::Registry& registry) {
  ResultVocabularies v;
  if (exit_code == kOk) {
    v.lwm2m_result = kSuccess;
    v.lwm2m_state = 0;
    v.hawkbit_execution = "closed";
    v.hawkbit_finished = "success";
    v.aws_iot_job_status = "SUCCEEDED";
    return v;
  }
  if (report.error_code != 0) v.lwm2m_result = lwm2m_for_module_code(report, registry);
  if (v.lwm2m_result == 0 && !report.error_rule.empty()) v.lwm2m_result = lwm2m_for_rule(report.error_rule);
  if (v.lwm2m_result == 0) v.lwm2m_result = lwm2m_for_exit_code(exit_code);
  // A failed download leaves the object Idle; a failed upgrade of a package
  // the module holds leaves it Downloaded (as LwM2M clients such as Anjay do).
  const bool download_failed =
      report.error_scope == "ftp" || report.error_scope == "http" || report.error_scope == "file";
  v.lwm2m_state = report.upgrade_started && !download_failed ? 2 : 0;
  // Refused before anything reached the module: the device rejects the job.
  const bool rejected = exit_code == kValidationFailed || exit_code == kSignatureRefused ||
                        exit_code == kMethodUnsupported || (exit_code >= kPackageNotFound && exit_code <= kUnsafeEntry);
  v.hawkbit_execution = rejected ? "rejected" : "closed";
  v.hawkbit_finished = "failure";
  v.aws_iot_job_status = rejected ? "REJECTED" : "FAILED";
  return v;
}

const char* lwm2m_result_name(int result) {
  switch (result) {
  case 0: return "Initial value";
  case 1: return "Firmware updated successfully";
  case 2: return "Not enough flash memory for the new firmware package";
  case 3: return "Out of RAM during downloading process";
  case 4: return "Connection lost during downloading process";
  case 5: return "Integrity check failure for new downloaded package";
  case 6: return "Unsupported package type";
  case 7: return "Invalid URI";
  case 8: return "Firmware update failed";
  case 9: return "Unsupported protocol";
  default: return "unknown";
  }
}

} // namespace dfota::cli
