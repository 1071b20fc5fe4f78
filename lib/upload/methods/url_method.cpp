// The module downloads the package itself: the PDP context (--apn) and FOTA
// context id (--cid) when given, then AT+QFOTADL with the FTP or HTTP(S) URL.
#include "upload/methods/upload_method.hpp"

#include "at/requests.hpp"
#include "profiles/url.hpp"
#include "upload/methods/data_transfer.hpp"

namespace dfota::upload {

using at::LineKind;
using transport::Duration;
using transport::TimePoint;

namespace {

class UrlMethod final : public UploadMethod {
public:
  Status deliver(Session& s) const override;
};

} // namespace

Status UrlMethod::deliver(Session& s) const {
  const int cid = s.options.cid.value_or(1);
  if (s.options.apn) {
    auto apn = at::quote_argument(*s.options.apn);
    if (!apn) return s.fail(UploadErrc::not_supported, "APN has characters AT cannot carry");
    auto r = s.command("AT+QICSGP=" + std::to_string(cid) + ",1," + *apn + ",\"\",\"\",1");
    if (!r || !r->ok()) return s.fail(UploadErrc::module_error, "AT+QICSGP refused");
  }
  if (s.options.cid) {
    auto r = s.command("AT+QCFG=\"fota/cid\"," + std::to_string(cid));
    if (!r || !r->ok()) return s.fail(UploadErrc::module_error, "AT+QCFG=\"fota/cid\" refused");
  }
  const auto trigger = at::FotaDownload{at::FotaDownload::Source::url, {}, {}, *s.options.url}.format();
  if (!trigger) return s.fail(UploadErrc::not_supported, "the URL has characters AT cannot carry");
  const std::string shown = "AT+QFOTADL=\"" + profiles::redact_url(*s.options.url) + "\"";
  s.step(shown);
  if (auto ok = s.channel->send_command(*trigger, shown); !ok) return ok;
  auto r = s.channel->wait_final(*trigger, s.clock.deadline_in(s.qfotadl_timeout()));
  if (!r) return r.error();
  if (!r->ok()) return s.fail(UploadErrc::module_error, "AT+QFOTADL with the URL answered " + r->final.text);
  return {};
}

const UploadMethod& url_method() {
  static const UrlMethod method;
  return method;
}

} // namespace dfota::upload
