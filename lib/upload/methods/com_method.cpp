// COM transparent mode: AT+QFOTADL="COM",<size>,<timeout>, the package in
// data mode, the module's size and checksum report; the module then upgrades.
#include "upload/methods/upload_method.hpp"

#include "at/requests.hpp"
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
  if (r->final.kind == LineKind::cme_error && r->final.code == 421)
    return s.fail(UploadErrc::timeout, "the module timed out waiting for data", 421, "cme");
  if (!r->ok()) return s.fail(UploadErrc::transfer_failed, "COM upload ended with " + r->final.text);
  return check_report(s, *r, "+QFOTADL");
}

const UploadMethod& com_method() {
  static const ComMethod method;
  return method;
}

} // namespace dfota::upload
