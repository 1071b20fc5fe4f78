// The module downloads the package itself: the PDP context (--apn) and FOTA
// context id (--cid) when given, then AT+QFOTADL with the FTP or HTTP(S) URL.
#include "upload/methods/upload_method.hpp"

#include "at/requests.hpp"
#include "at/responses.hpp"
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

namespace {

// The FOTA context the module will download over, read where the guide
// asks for one (UGxx): its id, then its APN; a warning when no APN is set.
// Only a module that answers both is judged; silence is not a verdict.
Status check_pdp_context(Session& s) {
  int cid = s.options.cid.value_or(1);
  if (!s.options.cid) {
    auto r = s.command(at::format_fota_cid_query());
    if (!r) return r.error();
    for (const auto& line : r->info)
      if (auto read = at::parse_fota_cid(line)) cid = *read;
  }
  auto r = s.command(at::format_pdp_context_query(cid));
  if (!r) return r.error();
  std::optional<std::string> apn;
  for (const auto& line : r->info)
    if (!apn) apn = at::parse_pdp_context_apn(line);
  if (!r->ok() || !apn) return {};
  if (apn->empty())
    s.warn("the " + s.profile->family + " guide asks for a PDP context for FTP/HTTP downloads; context " +
           std::to_string(cid) + " (AT+QCFG=\"fota/cid\") has no APN: give --apn unless the network needs none");
  else
    s.step("the module downloads over PDP context " + std::to_string(cid) + ", APN " + *apn);
  return {};
}

} // namespace

Status UrlMethod::deliver(Session& s) const {
  const int cid = s.options.cid.value_or(1);
  if (s.options.apn) {
    auto set = at::format_pdp_context_set(cid, *s.options.apn);
    if (!set) return s.fail(UploadErrc::not_supported, "APN has characters AT cannot carry");
    auto r = s.command(*set);
    if (!r || !r->ok()) return s.fail(UploadErrc::module_error, "AT+QICSGP refused");
  }
  if (s.options.cid) {
    auto r = s.command(at::format_fota_cid_set(cid));
    if (!r || !r->ok()) return s.fail(UploadErrc::module_error, "AT+QCFG=\"fota/cid\" refused");
  }
  if (s.profile->url.pdp_context_check && !s.options.apn) {
    if (auto ok = check_pdp_context(s); !ok) return ok;
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
