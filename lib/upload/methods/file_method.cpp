// FILE mode (EC200T/UC200T): AT+QFOTADL="FILE:<length>", then FILESTART,
// then the package at the family's pace without flow control.
#include "upload/methods/upload_method.hpp"

#include <cstdio>

#include "at/requests.hpp"
#include "at/responses.hpp"
#include "upload/methods/data_transfer.hpp"

namespace dfota::upload {

using at::LineKind;
using transport::Duration;
using transport::TimePoint;

namespace {
// Turns RTS/CTS on with the command that fits the port (EC200T guide:
// AT+IFC=2,2 on a UART, AT+QCFG="usbifc",2,2 on USB; both where the host
// cannot tell, as on a pseudo-terminal) and reads the setting back: the
// transfer starts only once the module confirms it.
Status enable_flow_control(Session& s) {
  if (s.options.serial.flow_control != transport::FlowControl::rtscts) return {};
  const std::optional<at::PortKind> kind = s.ports.kind_of(s.options.port);
  std::vector<at::PortKind> kinds;
  if (kind)
    kinds = {*kind};
  else
    kinds = {at::PortKind::uart, at::PortKind::usb};
  std::string answers; // what was refused or read back otherwise, for the error
  std::vector<at::PortKind> set;
  for (const at::PortKind k : kinds) {
    const std::string command = at::format_flow_control_set(k, true);
    auto r = s.command(command);
    if (!r) return r.error();
    if (r->ok())
      set.push_back(k);
    else
      answers += (answers.empty() ? "" : "; ") + command + " answered " + r->final.text;
  }
  std::string confirmed;
  for (const at::PortKind k : set) {
    const std::string query = at::format_flow_control_query(k);
    auto read = s.command(query);
    if (!read) return read.error();
    std::optional<at::FlowControlSetting> setting;
    for (const auto& line : read->info)
      if (!setting) setting = at::parse_flow_control(line);
    if (read->ok() && setting && setting->hardware()) {
      confirmed += (confirmed.empty() ? "" : ", ") + query + " reads " + setting->text();
      continue;
    }
    answers += (answers.empty() ? "" : "; ") + query + " reads " +
               (setting      ? setting->text()
                : read->ok() ? std::string("nothing")
                             : read->final.text);
  }
  if (!confirmed.empty()) {
    s.step("flow control confirmed: " + confirmed);
    return {};
  }
  return s.fail(UploadErrc::not_supported, "hardware flow control not confirmed (" + answers +
                                               "): nothing sent; check the module, or leave out --flow-control");
}

class FileMethod final : public UploadMethod {
public:
  Status deliver(Session& s) const override;
};

} // namespace

Status FileMethod::deliver(Session& s) const {
  if (auto ok = enable_flow_control(s); !ok) return ok;
  if (s.profile->file_mode_requires_flow_control && s.options.serial.flow_control != transport::FlowControl::rtscts) {
    const double pace = file_mode_pace(s);
    char rate[64] = "unpaced";
    if (pace > 0 && s.profile->no_flow_control_bytes_per_s)
      std::snprintf(rate, sizeof rate, "at %.1f kB/s, under the guide's %.0f kB/s", pace / 1000,
                    static_cast<double>(*s.profile->no_flow_control_bytes_per_s) / 1000);
    s.warn("the " + s.profile->family +
           " guide asks for hardware flow control before FILE mode; without --flow-control rtscts the package goes " +
           rate);
  }
  const std::string cmd = *at::FotaDownload{at::FotaDownload::Source::file, s.bytes().size(), {}, ""}.format();
  s.step("FILE mode");
  auto r = s.command(cmd, s.qfotadl_timeout());
  if (!r) return r.error();
  if (!r->ok()) return s.fail(UploadErrc::transfer_failed, "AT+QFOTADL=\"FILE:...\" answered " + r->final.text);
  s.tracker.emplace(*s.profile);
  // The module says FILESTART, then takes the bytes.
  const TimePoint deadline =
      s.clock.deadline_in(s.profile->download_start_timeout_s ? Duration(*s.profile->download_start_timeout_s * 1000)
                                                              : s.options.timeouts.urc_gap);
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
