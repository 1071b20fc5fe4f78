// Following an upgrade once the module has the package: FollowMachine
// decides, this file does what it asks on the channel (reports, the
// revision, the port going and coming back) and tells the caller.
#include "at/responses.hpp"
#include "upload/follow_machine.hpp"
#include "upload/session.hpp"

namespace dfota::upload {

using transport::Duration;
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
  return s.fail(UploadErrc::module_error, s.tracker->failure(), s.tracker->error_code(), s.tracker->error_scope());
}

namespace {

// Reopens the port after it vanished; the module comes back behind the same
// name, or (USB) on the same interface under another.
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
  if (s.port->name() != s.options.port)
    s.emit({UploadEvent::Kind::port, "port back as " + s.port->name() + " (same USB interface, another name)"});
  else
    s.emit({UploadEvent::Kind::port, "port back"});
  return {};
}

// The revision; nullopt when the module does not answer (yet) or shows a
// placeholder; closed when the port went away.
Expected<std::optional<std::string>> probe_version(Session& s) {
  auto r = s.command(s.revision_command(), Duration(2000));
  if (!r) {
    if (r.error().is(TransportErrc::closed)) return r.error();
    return std::optional<std::string>();
  }
  if (!r->ok() || r->info.empty()) return std::optional<std::string>();
  std::string v = at::parse_revision_line(r->info.back());
  if (at::is_placeholder_revision(v)) {
    s.warn("revision " + v + " not valid yet");
    return std::optional<std::string>();
  }
  return std::optional<std::string>(v);
}

FollowFacts facts_of(const Session& s) {
  FollowFacts facts;
  facts.profile = s.profile;
  facts.total = s.options.timeouts.total;
  facts.urc_gap = s.options.timeouts.urc_gap;
  facts.url_method = s.report.method == "url";
  facts.version_before = s.report.module_version_before;
  facts.target_stated = s.report.target_stated;
  facts.target_version = s.report.target_version;
  facts.reached_target = [&s](const std::string& version) { return s.reached_target(version); };
  return facts;
}

} // namespace

Status follow(Session& s) {
  if (!s.tracker) s.tracker.emplace(*s.profile);
  s.report.upgrade_started = true;
  s.step("following the upgrade");
  FollowMachine machine(facts_of(s), *s.tracker, s.clock.now());
  for (;;) {
    const FollowAction action = machine.next(s.clock.now());
    switch (action.kind) {
    case FollowAction::Kind::wait_report: {
      auto urc = s.channel->next_urc(action.until);
      if (urc) {
        note(s, machine.report(*urc, s.clock.now()), *urc);
      } else if (urc.error().is(TransportErrc::closed)) {
        machine.port_gone();
      } else if (urc.error().is(TransportErrc::timeout)) {
        machine.quiet(s.clock.now());
      } else {
        return urc.error();
      }
      break;
    }
    case FollowAction::Kind::ask_revision: {
      auto version = probe_version(s);
      // Reports that came in while the probe waited.
      while (s.channel->has_urc()) {
        auto urc = s.channel->next_urc(s.clock.now());
        if (!urc) break;
        note(s, machine.queued_report(*urc), *urc);
      }
      if (version)
        machine.revision(*version, s.clock.now());
      else
        machine.port_gone();
      break;
    }
    case FollowAction::Kind::reopen_port:
      if (auto ok = reopen(s); !ok) return ok;
      machine.port_back(s.clock.now());
      break;
    case FollowAction::Kind::confirm: {
      auto version = revision(s, s.clock.deadline_in(s.options.timeouts.version));
      if (!version) return version.error();
      machine.confirmed(*version);
      break;
    }
    case FollowAction::Kind::done:
      s.report.module_version_after = action.version;
      s.step("the module runs " + action.version);
      return {};
    case FollowAction::Kind::failed: return s.fail(action.code, action.message, action.module_code, action.scope);
    }
  }
}

} // namespace dfota::upload
