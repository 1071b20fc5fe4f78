// COM transparent mode: AT+QFOTADL="COM",<size>,<timeout>, the package in
// data mode, the module's size and checksum report; the module then upgrades.
#include "upload/methods/upload_method.hpp"

#include "at/requests.hpp"
#include "at/responses.hpp"
#include "upload/methods/data_transfer.hpp"

namespace dfota::upload {

using at::LineKind;
using transport::Duration;
using transport::TimePoint;

namespace {

class ComMethod final : public UploadMethod {
public:
  Status deliver(Session& s) const override;
};

} // namespace

Status ComMethod::deliver(Session& s) const {
  const int idle = std::max(s.profile->com_idle_default_s, 5);
  const std::string cmd =
      *at::FotaDownload{at::FotaDownload::Source::com, s.bytes().size(), static_cast<std::uint64_t>(idle), ""}.format();
  s.step("COM transparent mode");
  if (auto ok = expect_connect(s, s.command(cmd, s.qfotadl_timeout()), "AT+QFOTADL=\"COM\""); !ok) return ok;
  if (auto ok = send_package(s, 0, 4096, false); !ok) return ok;
  auto r = s.channel->wait_final(cmd, s.clock.deadline_in(Duration(idle * 1000 + 10000)));
  if (!r) return r.error();
  std::optional<at::UploadReport> got;
  for (const auto& line : r->info)
    if (auto parsed = at::parse_upload_report(line, "+QFOTADL")) got = parsed;
  const bool timed_out = r->final.kind == LineKind::cme_error && r->final.code == 421;
  if (!timed_out && !r->ok()) return s.fail(UploadErrc::transfer_failed, "COM upload ended with " + r->final.text);
  if (!got || got->size == 0) {
    if (timed_out) return s.fail(UploadErrc::timeout, "the module timed out waiting for data", 421, "cme");
    return check_report(s, *r, "+QFOTADL");
  }
  // UGxx guide: "If the <uploadsize> is greater than 0, TA will begin to
  // upgrade" -- after a timeout (+CME ERROR: 421) or a report that differs
  // from the package alike. The module reboots into its upgrade whatever
  // the host thinks; the host follows it and fails once it is back.
  if (timed_out) {
    s.delivery_problem = DeliveryProblem{UploadErrc::timeout,
                                         "the module timed out waiting for data after " + std::to_string(got->size) +
                                             " of " + std::to_string(s.bytes().size()) + " bytes (+CME ERROR: 421)",
                                         421, "cme"};
  } else if (auto mismatch = report_mismatch(s, *got)) {
    s.delivery_problem = DeliveryProblem{UploadErrc::transfer_failed, *mismatch, 0, ""};
  } else {
    s.step("checksum " + checksum_hex(s.package->checksum) + " confirmed by the module");
    return {};
  }
  s.warn(s.delivery_problem->message +
         "; the module upgrades with what it received (the guide: <uploadsize> greater than 0): following it");
  return {};
}

const UploadMethod& com_method() {
  static const ComMethod method;
  return method;
}

} // namespace dfota::upload
