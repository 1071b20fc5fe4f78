// The first steps of an upload: a clean command state, the module's
// identity and revision, and the pre-flight validation against it.
#include "at/requests.hpp"
#include "at/responses.hpp"
#include "profiles/revision.hpp"
#include "upload/session.hpp"

namespace dfota::upload {

using transport::Duration;
using transport::TimePoint;
using transport::TransportErrc;

namespace {

// The size of a stale file of our name in UFS (it is deleted before upload).
std::uint64_t stale_size(Session& s) {
  auto list = at::format_file_list(s.stored_name());
  if (!list) return 0;
  auto r = s.command(*list);
  if (!r || !r->ok()) return 0;
  for (const auto& line : r->info)
    if (auto entry = at::parse_file_entry(line)) return entry->size;
  return 0;
}

} // namespace

Status clean_state(Session& s) {
  s.step("getting a clean command state");
  s.channel->discard_input();
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 3; ++i) {
      auto r = s.command("AT", Duration(1000));
      if (r && r->ok()) {
        (void)s.command("ATE0");
        (void)s.command("AT+CMEE=1");
        return {};
      }
      if (!r && r.error().is(TransportErrc::closed)) return r.error();
    }
    // A data mode left over from an earlier session: escape it.
    s.warn("no answer to AT: leaving a possible data mode with +++");
    if (auto ok = s.channel->escape_data_mode(s.options.guard_time); !ok) return ok;
    s.channel->discard_input();
  }
  return s.fail(UploadErrc::no_module, "nothing answers AT on " + s.options.port);
}

Expected<std::string> revision(Session& s, TimePoint deadline) {
  for (;;) {
    std::string found;
    auto r = s.command(s.revision_command());
    if (r && !r->ok() && s.qgmr_works) {
      s.qgmr_works = false; // old firmware: ERROR to AT+QGMR
      continue;
    }
    if (r && r->ok() && !r->info.empty()) found = at::parse_revision_line(r->info.back());
    if (!r && !r.error().is(TransportErrc::timeout)) return r.error();
    if (!found.empty() && !at::is_placeholder_revision(found)) return found;
    if (s.clock.now() >= deadline)
      return s.fail(UploadErrc::timeout, "the module reports no valid revision within " +
                                             s.named_timeout(s.options.timeouts.version, "version") + " (last: \"" +
                                             found + "\")");
    if (!found.empty()) s.warn("revision " + found + " not valid yet, asking again");
    s.clock.sleep_for(Duration(1000));
  }
}

Status identify(Session& s) {
  s.step("identifying the module");
  auto ati = s.command("ATI");
  if (!ati) return ati.error();
  const at::Identity id = at::parse_identity(ati->info);
  auto version = revision(s, s.clock.deadline_in(s.options.timeouts.version));
  if (!version) return version.error();
  s.report.module_version_before = *version;
  if (!s.profile) {
    // The model ATI prints decides; the revision's prefix only without one.
    s.profile = s.registry.find_by_model(id.model);
    if (!s.profile) s.profile = s.registry.find_by_model(*version);
    if (!s.profile)
      return s.fail(UploadErrc::no_module,
                    "cannot tell the family of model \"" + id.model + "\" (" + *version + "): give --profile");
  }
  return {};
}

Status preflight(Session& s) {
  s.step("pre-flight validation against the live module");
  validate::Request request;
  request.package = s.options.package;
  request.facts = s.package->facts; // examined once for the whole fleet
  request.module_version = s.report.module_version_before;
  request.method = s.url_scheme.empty() ? s.report.method : s.url_scheme;
  if (s.report.method == "url") request.url = s.options.url;
  if (s.report.method == "qfupl") {
    request.upload_name = s.upload_name();
    auto r = s.command(at::format_free_space_query(s.storage()));
    if (r && r->ok())
      for (const auto& line : r->info)
        if (auto space = at::parse_free_space(line)) request.free_space = space->free + stale_size(s);
  }
  if (s.options.source_firmware) request.source = s.options.source_firmware;
  s.report.findings = validate::validate_package(request, *s.profile, s.registry);
  for (const auto& f : s.report.findings) {
    if (f.verdict != validate::Verdict::fail) continue;
    s.report.error_rule = f.rule;
    return s.fail(UploadErrc::validation_refused, "pre-flight: " + f.rule + ": " + f.message, f.code, "validate");
  }
  return {};
}

} // namespace dfota::upload
