// AT+QFUPL into the module's file store (ack mode without flow control),
// then AT+QFOTADL with the file's local path.
#include "upload/methods/upload_method.hpp"

#include "at/requests.hpp"
#include "upload/methods/data_transfer.hpp"

namespace dfota::upload {

using at::LineKind;
using transport::Duration;
using transport::TimePoint;

namespace {

class QfuplMethod final : public UploadMethod {
public:
  Status deliver(Session& s) const override;
};

} // namespace

Status QfuplMethod::deliver(Session& s) const {
  const std::string name = s.stored_name();
  const bool ack = s.options.serial.flow_control != transport::FlowControl::rtscts;
  const auto upload = at::FileUpload{name, s.bytes().size(), 10, ack}.format();
  const auto remove = at::format_file_delete(name);
  const std::string local_path = s.options.sd_card                ? s.profile->sd_card_path()
                                 : s.profile->local_paths.empty() ? std::string()
                                                                  : s.profile->local_paths.front();
  if (!upload || !remove || local_path.empty())
    return s.fail(UploadErrc::not_supported, "cannot upload under the name \"" + name + "\"");
  s.step(std::string("AT+QFUPL into the module's ") + (s.options.sd_card ? "SD card" : "file system") + " as " + name);
  // A stale file of the same name would make AT+QFUPL fail with 407.
  auto del = s.command(*remove);
  if (!del) return del.error();
  const std::string& cmd = *upload;
  if (auto ok = expect_connect(s, s.command(cmd), "AT+QFUPL"); !ok) return ok;
  auto cleanup = [&] { (void)s.command(*remove); };
  if (auto ok = send_package(s, 0, 4096, ack); !ok) {
    (void)s.channel->escape_data_mode(s.options.guard_time);
    cleanup();
    return ok;
  }
  auto r = s.channel->wait_final(cmd, s.clock.deadline_in(Duration(20000)));
  if (!r) return r.error();
  if (!r->ok()) {
    cleanup();
    if (r->final.kind == LineKind::cme_error)
      return s.fail(UploadErrc::transfer_failed, "AT+QFUPL failed", r->final.code, "file");
    return s.fail(UploadErrc::transfer_failed, "AT+QFUPL ended with " + r->final.text);
  }
  if (auto ok = check_report(s, *r, "+QFUPL"); !ok) {
    cleanup();
    return ok;
  }
  const std::string path = local_path + s.upload_name();
  const auto trigger_line = at::FotaDownload{at::FotaDownload::Source::local, {}, {}, path}.format();
  if (!trigger_line) return s.fail(UploadErrc::not_supported, "cannot name \"" + path + "\" in AT");
  s.step(*trigger_line);
  auto trigger = s.command(*trigger_line, s.qfotadl_timeout());
  if (!trigger) return trigger.error();
  if (!trigger->ok()) return s.fail(UploadErrc::module_error, "AT+QFOTADL answered " + trigger->final.text);
  return {};
}

const UploadMethod& qfupl_method() {
  static const QfuplMethod method;
  return method;
}

} // namespace dfota::upload
