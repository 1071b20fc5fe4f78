// FILE mode (EC200T/UC200T): AT+QFOTADL="FILE:<length>", then FILESTART,
// then the package at the family's pace without flow control.
#include "upload/methods/upload_method.hpp"

#include "at/requests.hpp"
#include "upload/methods/data_transfer.hpp"

namespace dfota::upload {

using at::LineKind;
using transport::Duration;
using transport::TimePoint;

namespace {
Status enable_flow_control(Session& s) {
  if (s.options.serial.flow_control != transport::FlowControl::rtscts) return {};
  // UART: AT+IFC=2,2; USB AT port: AT+QCFG="usbifc",2,2 (EC200T guide).
  auto uart = s.command("AT+IFC=2,2");
  auto usb = s.command("AT+QCFG=\"usbifc\",2,2");
  if ((!uart || !uart->ok()) && (!usb || !usb->ok()))
    return s.fail(UploadErrc::not_supported, "the module refuses hardware flow control");
  return {};
}

class FileMethod final : public UploadMethod {
public:
  Status deliver(Session& s) const override;
};

} // namespace

Status FileMethod::deliver(Session& s) const {
  if (auto ok = enable_flow_control(s); !ok) return ok;
  const std::string cmd = *at::FotaDownload{at::FotaDownload::Source::file, s.bytes().size(), {}, ""}.format();
  s.step("FILE mode");
  auto r = s.command(cmd, s.qfotadl_timeout());
  if (!r) return r.error();
  if (!r->ok()) return s.fail(UploadErrc::transfer_failed, "AT+QFOTADL=\"FILE:...\" answered " + r->final.text);
  s.tracker.emplace(*s.profile);
  // The module says FILESTART, then takes the bytes.
  const TimePoint deadline = s.clock.deadline_in(Duration(s.profile->download_start_timeout_s * 1000));
  while (s.tracker->phase() != FotaPhase::downloading) {
    auto urc = s.channel->next_urc(deadline);
    if (!urc) return s.fail(UploadErrc::timeout, "no FILESTART from the module: " + urc.error().message());
    note(s, s.tracker->feed(*urc), *urc);
    if (s.tracker->phase() == FotaPhase::failed) return module_failed(s);
  }
  const std::size_t chunk = std::max<std::size_t>(s.profile->no_flow_control_min_chunk.value_or(32), 512);
  return send_package(s, file_mode_pace(s), chunk, false);
}

const UploadMethod& file_method() {
  static const FileMethod method;
  return method;
}

} // namespace dfota::upload
