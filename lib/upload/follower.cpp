// Following an upgrade once the module has the package: its FOTA reports
// through FotaTracker, the port vanishing and coming back at each reboot,
// the revision asked for when reports may be lost, and the target version
// confirmed.
#include "at/responses.hpp"
#include "core/text.hpp"
#include "profiles/revision.hpp"
#include "upload/session.hpp"

namespace dfota::upload {

using transport::Duration;
using transport::TimePoint;
using transport::TransportErrc;

void note(Session& s, const FotaStep& taken, const std::string& line) {
  switch (taken.kind) {
  case FotaStep::Kind::garbled: s.warn("garbled report ignored: " + line); break;
  case FotaStep::Kind::retry:
    s.emit({UploadEvent::Kind::retry, line, 0, 0, 0, taken.event->value});
    s.report.retried_codes.push_back(taken.event->value);
    break;
  case FotaStep::Kind::event:
    s.emit({UploadEvent::Kind::fota, at::to_string(taken.event->stage), 0, 0, 0, taken.event->value});
    break;
  case FotaStep::Kind::ready: s.emit({UploadEvent::Kind::fota, "RDY"}); break;
  case FotaStep::Kind::ignored: break;
  }
  s.report.garbled_urcs = s.tracker->garbled();
}

Error module_failed(Session& s) {
  const std::string scope = s.tracker->error_scope();
  const std::string what =
      scope == "fota" ? "the upgrade ended with END" : "the download ended with " + to_upper(scope) + "END";
  return s.fail(UploadErrc::module_error, what + " " + std::to_string(s.tracker->error_code()), s.tracker->error_code(),
                scope);
}

// Reopens the port after it vanished; the module comes back behind the same name.
namespace {

Status reopen(Session& s) {
  s.emit({UploadEvent::Kind::port, "port gone: the module reboots"});
  s.port.reset();
  auto back = s.ports.reopen_when_back(s.options.port, s.options.serial,
                                       s.clock.deadline_in(s.options.timeouts.port_back), s.clock);
  if (!back)
    return s.fail(UploadErrc::port_lost,
                  back.error().message() + "; waited " + s.named_timeout(s.options.timeouts.port_back, "port"));
  s.port = std::move(*back);
  s.channel->set_transport(*s.port);
  ++s.reboots;
  if (s.port->name() != s.options.port)
    s.emit({UploadEvent::Kind::port, "port back as " + s.port->name() + " (same USB interface, another name)"});
  else
    s.emit({UploadEvent::Kind::port, "port back"});
  return {};
}

// What the module should run instead: "not <target>", or without a stated
// target "the revision it ran before".
std::string wanted(const Session& s) {
  if (s.report.target_stated) return "not " + s.report.target_version;
  return "the revision it ran before (no target stated: give --to-version)";
}

// Feeds the URCs a command collected while it waited for its answer.
void take_queued_urcs(Session& s) {
  while (s.channel->has_urc()) {
    auto urc = s.channel->next_urc(s.clock.now());
    if (!urc) return;
    note(s, s.tracker->feed(*urc), *urc);
  }
}

// The revision, or an error when the module does not answer (yet).
Expected<std::string> probe_version(Session& s) {
  auto r = s.command(s.revision_command(), Duration(2000));
  if (!r) return r.error();
  if (!r->ok() || r->info.empty()) return make_error(UploadErrc::timeout, "no revision");
  std::string v = at::parse_revision_line(r->info.back());
  if (at::is_placeholder_revision(v)) {
    s.warn("revision " + v + " not valid yet");
    return make_error(UploadErrc::timeout, "placeholder revision");
  }
  return v;
}

// After a reboot the port may come back as another module (a rack's ttyUSBn
// renumbered onto the slot next door): a revision of another project than
// the module ran before and the package is for. Nothing when it is ours.
std::optional<std::string> another_module(const Session& s, const std::string& version) {
  if (s.reboots == 0) return std::nullopt;
  const std::string project = profiles::parse_revision(version).project;
  const std::string before = profiles::parse_revision(s.report.module_version_before).project;
  if (project.empty() || before.empty() || profiles::same_project(before, project)) return std::nullopt;
  if (s.report.target_stated && profiles::same_project(project, s.report.target_version)) return std::nullopt;
  return "the port came back as another module: it runs " + version + " (project " + project + "), the upgrade " +
         "started on a module of project " + before +
         "; name the port by /dev/serial/by-path or by-id so that it stays with its module";
}

Status confirm_with(Session& s, const std::string& version) {
  s.report.module_version_after = version;
  s.step("the module runs " + version);
  return {};
}

Status confirm(Session& s) {
  auto version = revision(s, s.clock.deadline_in(s.options.timeouts.version));
  if (!version) return version.error();
  if (auto other = another_module(s, *version)) return s.fail(UploadErrc::port_lost, *other);
  if (!s.reached_target(*version))
    return s.fail(UploadErrc::wrong_version, "the module runs " + *version + ", " + wanted(s));
  return confirm_with(s, *version);
}

// A URL download that never started: how long was waited, and what the
// family's guide says about it (the RG50xQ first-APN note).
Status download_not_started(Session& s, const std::string& timeout_named) {
  std::string message = "the module did not start the download (no FTPSTART or HTTPSTART) within " + timeout_named;
  if (!s.profile->url.not_started_note.empty()) message += "; " + s.profile->url.not_started_note;
  return s.fail(UploadErrc::timeout, message);
}

} // namespace

Status follow(Session& s) {
  if (!s.tracker) s.tracker.emplace(*s.profile);
  s.report.upgrade_started = true;
  s.step("following the upgrade");
  const TimePoint give_up = s.clock.deadline_in(s.options.timeouts.total);
  TimePoint last_report = s.clock.now();
  // START and UPDATING may be lost while a USB port re-enumerates (and
  // UGxx shows none on USB): after a reboot, or when the module has been
  // quiet a while, it is asked for its version instead.
  const Duration quiet_probe(3000);
  bool probe_now = false;
  // A URL download starts within the guide's time where it states one
  // (UGxx), else within the URC gap.
  const bool download_bounded = s.profile->download_start_timeout_s.has_value();
  const TimePoint download_due = s.clock.deadline_in(Duration(s.profile->download_start_timeout_s.value_or(0) * 1000));
  for (;;) {
    if (s.tracker->phase() == FotaPhase::failed) return module_failed(s);
    if (s.clock.now() >= give_up)
      return s.fail(UploadErrc::timeout,
                    "the upgrade did not finish within " + s.named_timeout(s.options.timeouts.total, "total"));
    const bool installed = s.tracker->phase() == FotaPhase::installed;
    if (installed && s.tracker->saw_ready()) return confirm(s);
    if (!probe_now) {
      const Duration wait = installed || s.reboots > 0 ? quiet_probe : s.options.timeouts.urc_gap;
      const bool awaiting_download =
          s.report.method == "url" && s.tracker->phase() == FotaPhase::triggered && s.reboots == 0;
      TimePoint until = std::min(give_up, s.clock.deadline_in(wait));
      if (awaiting_download && download_bounded) until = std::min(until, download_due);
      auto urc = s.channel->next_urc(until);
      if (urc) {
        last_report = s.clock.now();
        note(s, s.tracker->feed(*urc), *urc);
        continue;
      }
      if (urc.error().is(TransportErrc::closed)) {
        if (auto ok = reopen(s); !ok) return ok;
        last_report = s.clock.now();
        probe_now = true;
        continue;
      }
      if (!urc.error().is(TransportErrc::timeout)) return urc.error();
      if (s.clock.now() >= give_up) continue; // the total timeout fired: named above
      if (awaiting_download && download_bounded && s.clock.now() >= download_due)
        return download_not_started(s, std::to_string(*s.profile->download_start_timeout_s) + " s (the " +
                                           s.profile->family + " guide's maximum)");
      if (awaiting_download) return download_not_started(s, s.named_timeout(wait, "urc"));
      if (!installed && s.reboots == 0)
        return s.fail(UploadErrc::timeout, "no report from the module for " + s.named_timeout(wait, "urc"));
    }
    probe_now = false;
    auto version = probe_version(s);
    take_queued_urcs(s); // reports that came in while the probe waited
    if (s.tracker->phase() == FotaPhase::failed) return module_failed(s);
    if (!version && version.error().is(TransportErrc::closed)) {
      if (auto ok = reopen(s); !ok) return ok;
      probe_now = true;
      continue;
    }
    if (version) {
      if (auto other = another_module(s, *version)) return s.fail(UploadErrc::port_lost, *other);
    }
    if (version && s.reached_target(*version)) return confirm_with(s, *version);
    if (version && installed)
      return s.fail(UploadErrc::wrong_version, "the module reported END 0 but runs " + *version + ", " + wanted(s));
    if (version && s.clock.now() - last_report > s.options.timeouts.urc_gap)
      return s.fail(UploadErrc::wrong_version, "the module still runs " + *version + " and reports nothing");
    // Back from a reboot but neither reporting nor answering: never waited
    // on until the total timeout. The RG50xQ note bounds the first URC
    // after the reboot; elsewhere the URC gap does.
    if (!version && s.reboots > 0) {
      const auto& first_urc = s.profile->first_urc_after_reboot_s;
      const Duration limit = first_urc ? Duration(*first_urc * 1000) : s.options.timeouts.urc_gap;
      if (s.clock.now() - last_report > limit)
        return s.fail(UploadErrc::timeout,
                      "the module came back from its reboot but has reported and answered nothing for " +
                          (first_urc ? std::to_string(*first_urc) + " s (" + s.profile->family +
                                           " guide: the first URC after the reboot comes within " +
                                           std::to_string(*first_urc) + " s, otherwise an unknown error occurred)"
                                     : s.named_timeout(limit, "urc")));
    }
  }
}

} // namespace dfota::upload
