// An upload's outcome in the vocabularies of the device-management systems
// that run dfota as their per-device step: OMA LwM2M (Firmware Update object
// 5), Eclipse hawkBit DDI feedback, AWS IoT Jobs. One mapping, so that an
// agent reports dfota's outcome without a table of its own; docs/uploader.md
// prints it and tests/cli/result_vocabularies_test.cpp holds it to the docs.
#pragma once

#include <string>

#include "profiles/profile.hpp"
#include "upload/uploader.hpp"

namespace dfota::cli {

struct ResultVocabularies {
  int lwm2m_result = 0;           // /5/0/5 Update Result: 1 success, 2..9 a failure
  int lwm2m_state = 0;            // /5/0/3 State when the run ends: 0 Idle, 2 Downloaded
  std::string hawkbit_execution;  // DDI feedback status.execution: "closed" or "rejected"
  std::string hawkbit_finished;   // DDI feedback status.result.finished: "success" or "failure"
  std::string aws_iot_job_status; // AWS IoT Jobs: SUCCEEDED, FAILED or REJECTED
};

// The outcome of one module's upload, ended with `exit_code` (0 for
// success). The module's own code (report.error_code, with its scope and the
// family) is looked up in the catalogue first; otherwise the exit code, the
// pre-flight rule or the checksum decide.
ResultVocabularies result_vocabularies(int exit_code, const upload::UploadReport& report,
                                       const profiles::Registry& registry);

// LwM2M's name of an Update Result value ("Integrity check failure").
const char* lwm2m_result_name(int result);

} // namespace dfota::cli
