#include "cli/upload_results.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

#include "cli/exit_codes.hpp"
#include "cli/json_values.hpp"
#include "cli/result_vocabularies.hpp"
#include "cli/text_table.hpp"
#include "core/text.hpp"
#include "report/junit.hpp"
#include "report/session_log.hpp"

namespace dfota::cli {

std::string event_line(const upload::UploadEvent& e) {
  using Kind = upload::UploadEvent::Kind;
  switch (e.kind) {
  case Kind::transfer: return "sent " + std::to_string(e.bytes) + " of " + std::to_string(e.total) + " bytes";
  case Kind::fota: return "module: " + e.text + " " + std::to_string(e.value);
  case Kind::retry: return "module retries after " + e.text;
  case Kind::warning: return "warning: " + e.text;
  default: return e.text;
  }
}

nlohmann::ordered_json event_json(const std::string& port, const upload::UploadEvent& e) {
  using Kind = upload::UploadEvent::Kind;
  nlohmann::ordered_json j;
  j["schema"] = "dfota.upload-event/1"; // formats/json/upload-event.schema.json
  j["time"] = report::utc_timestamp_now();
  const char* kind = e.kind == Kind::step       ? "step"
                     : e.kind == Kind::transfer ? "transfer"
                     : e.kind == Kind::fota     ? "fota"
                     : e.kind == Kind::retry    ? "retry"
                     : e.kind == Kind::warning  ? "warning"
                                                : "port";
  j["event"] = kind;
  j["port"] = port;
  if (e.kind == Kind::transfer) {
    j["bytes"] = e.bytes;
    j["total"] = e.total;
    j["seconds"] = e.seconds;
  } else if (e.kind == Kind::fota || e.kind == Kind::retry) {
    j["stage"] = e.text;
    j["value"] = e.value;
  } else {
    j["text"] = e.text;
  }
  return j;
}

nlohmann::ordered_json summary_json(const ModuleRun& run, const profiles::Registry& registry) {
  const upload::UploadOutcome& o = run.outcome;
  const auto& r = o.report;
  nlohmann::ordered_json j;
  // Absent values are null, never 0 or "".
  j["schema"] = "dfota.upload-summary/1"; // formats/json/upload-summary.schema.json
  j["time"] = report::utc_timestamp_now();
  j["event"] = "summary";
  j["port"] = r.port;
  j["by_path"] = text_or_null(run.by_path);
  j["ok"] = r.ok;
  j["profile"] = text_or_null(r.profile);
  j["method"] = text_or_null(r.method);
  j["upload_bytes"] = r.upload_bytes;
  j["upload_seconds"] = std::round(r.upload_seconds * 1000) / 1000;
  j["total_seconds"] = std::round(r.total_seconds * 1000) / 1000;
  j["module_version_before"] = text_or_null(r.module_version_before);
  j["module_version_after"] = text_or_null(r.module_version_after);
  j["target_version"] = text_or_null(r.target_version);
  j["target_stated"] = r.target_stated;
  j["error_code"] = r.error_code ? nlohmann::ordered_json(r.error_code) : nlohmann::ordered_json();
  j["error_scope"] = text_or_null(r.error_scope);
  j["error_meaning"] = text_or_null(r.error_meaning);
  j["error"] = o.error ? nlohmann::ordered_json(o.error->message()) : nlohmann::ordered_json();
  const int exit_code = o.error ? exit_code_for(*o.error) : 0;
  j["exit_code"] = exit_code;
  const auto vocabularies = result_vocabularies(exit_code, r, registry);
  j["lwm2m_result"] = vocabularies.lwm2m_result;
  j["lwm2m_state"] = vocabularies.lwm2m_state;
  j["hawkbit"] = {{"execution", vocabularies.hawkbit_execution}, {"finished", vocabularies.hawkbit_finished}};
  j["aws_iot_job_status"] = vocabularies.aws_iot_job_status;
  j["garbled_urcs"] = r.garbled_urcs;
  j["retried_codes"] = r.retried_codes;
  return j;
}

std::string junit_document(const std::filesystem::path& package, const std::string& method,
                           const std::vector<ModuleRun>& runs, const profiles::Registry& registry) {
  report::TestSuite suite;
  suite.name = "dfota upload " + package.filename().string();
  suite.timestamp = report::junit_timestamp_now();
  suite.properties = {{"package", package.string()}, {"method", method}};
  for (const ModuleRun& run : runs) {
    const auto& r = run.outcome.report;
    report::TestCase c;
    c.name = r.port;
    c.classname = "dfota.upload." + (r.profile.empty() ? std::string("unknown") : r.profile);
    c.seconds = r.total_seconds;
    suite.seconds = std::max(suite.seconds, r.total_seconds); // modules run in parallel
    std::ostringstream record;
    record << "method " << r.method << ", " << r.upload_bytes << " bytes in " << r.upload_seconds << " s\n"
           << "before: " << r.module_version_before << "\nafter:  " << r.module_version_after
           << "\ntarget: " << (r.target_stated ? r.target_version : std::string("(none stated)")) << "\n";
    const int exit_code = run.outcome.error ? exit_code_for(*run.outcome.error) : kOk;
    const auto vocabularies = result_vocabularies(exit_code, r, registry);
    record << "lwm2m_result: " << vocabularies.lwm2m_result << " (" << lwm2m_result_name(vocabularies.lwm2m_result)
           << "), lwm2m_state: " << vocabularies.lwm2m_state << ", hawkbit: " << vocabularies.hawkbit_execution << "/"
           << vocabularies.hawkbit_finished << ", aws_iot_job_status: " << vocabularies.aws_iot_job_status << "\n";
    if (!run.by_path.empty()) record << "by-path: " << run.by_path << "\n";
    for (const auto& line : run.events)
      record << line << "\n";
    c.output = record.str();
    if (const auto& error = run.outcome.error) {
      const int code = exit_code_for(*error);
      c.outcome = code == kTransferFailed || code == kModuleError || code == kWrongVersion ||
                          code == kValidationFailed || code == kSignatureRefused
                      ? report::TestCase::Outcome::failed
                      : report::TestCase::Outcome::error;
      c.message = error->message();
      c.type = r.error_code ? "module-error-" + std::to_string(r.error_code) : "exit-" + std::to_string(code);
      c.detail = error->message() + "\nexit code " + std::to_string(code) + "\n";
      if (r.error_code) {
        c.detail += "module error " + std::to_string(r.error_code) + " (" + r.error_scope + "): " + r.error_meaning +
                    "\nmore: dfota explain " + std::to_string(r.error_code) +
                    (r.profile.empty() ? "" : " --profile " + r.profile) + "\n";
      }
    }
    suite.cases.push_back(std::move(c));
  }
  return report::to_junit_xml({suite});
}

void print_summary(const std::vector<ModuleRun>& runs, std::ostream& out, std::ostream& err) {
  if (runs.size() == 1) {
    const auto& o = runs[0].outcome;
    if (!o.error) {
      out << "upgraded " << o.report.port << ": " << o.report.module_version_before << " -> "
          << o.report.module_version_after << " (" << o.report.method << ", " << grouped(o.report.upload_bytes)
          << " bytes in " << std::fixed << std::setprecision(1) << o.report.upload_seconds << " s, total "
          << o.report.total_seconds << " s)\n";
    } else {
      // An error about the port itself already starts with its name.
      const std::string& message = o.error->message();
      const bool names_port = message.rfind(o.report.port + ": ", 0) == 0;
      err << "dfota: error: " << printable((names_port ? "" : o.report.port + ": ") + message) << "\n";
    }
    return;
  }
  TextTable table({"PORT", "RESULT", "METHOD", "BEFORE", "AFTER", "SECONDS", "ERROR"},
                  {TextTable::Align::left, TextTable::Align::left, TextTable::Align::left, TextTable::Align::left,
                   TextTable::Align::left, TextTable::Align::right});
  for (const ModuleRun& run : runs) {
    const auto& o = run.outcome;
    std::ostringstream seconds;
    seconds << std::fixed << std::setprecision(1) << o.report.total_seconds;
    table.add_row({run.by_path.empty() ? o.report.port : run.by_path, o.error ? "failed" : "ok", o.report.method,
                   o.report.module_version_before, o.report.module_version_after, seconds.str(),
                   o.error
                       ? (o.report.error_code ? std::to_string(o.report.error_code) + " " : "") + o.report.error_message
                       : ""});
  }
  table.print(out);
}

} // namespace dfota::cli
