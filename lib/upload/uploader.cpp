#include "upload/uploader.hpp"

#include "package/inspector.hpp"
#include "profiles/url.hpp"
#include "upload/methods/upload_method.hpp"
#include "upload/session.hpp"

namespace dfota::upload {

using transport::Duration;
using transport::TimePoint;

std::string choose_method(const profiles::Profile& profile, const std::string& requested, bool have_url) {
  if (requested != "auto") return requested;
  if (have_url) return "url";
  for (const char* method : {"com", "file", "qfupl"})
    if (profile.supports(method)) return method;
  return "url";
}

namespace {

// Opens the port, then the steps in order: command state, identity, the
// method (checked against the family), pre-flight, delivery, following.
Status run_steps(Session& s, at::ConversationLog log) {
  s.package = s.options.loaded;
  if (!s.package) {
    auto loaded = load_package_to_send(s.options.package);
    if (!loaded) return loaded.error();
    s.package = std::move(*loaded);
  }
  s.report.target_version = s.options.to_version.value_or(s.package->target_version);
  s.report.target_stated = !s.report.target_version.empty();

  if (auto ok = keep_modem_manager_away(s); !ok) return ok;
  s.step("opening " + s.options.port);
  auto port = s.ports.open(s.options.port, s.options.serial, s.clock.deadline_in(Duration(5000)), s.clock);
  if (!port) return port.error();
  s.port = std::move(*port);
  s.channel.emplace(*s.port, s.clock, std::move(log));

  if (auto ok = clean_state(s); !ok) return ok;
  if (auto ok = identify(s); !ok) return ok;
  // The revision the module must run before: --from-version, else what a
  // vendor package's metadata states (a dfota package's source is the
  // pre-flight's to check, with its module codes).
  const bool vendor = s.package->layout != package::Layout::dfota;
  const std::optional<std::string> from = s.options.from_version ? s.options.from_version
                                          : vendor && !s.package->source_version.empty()
                                              ? std::optional<std::string>(s.package->source_version)
                                              : std::nullopt;
  const std::string from_named =
      s.options.from_version ? "--from-version" : "the package's " + s.package->versions_from + " pre-build";
  if (from && !s.same_version(s.report.module_version_before, *from)) {
    s.report.error_rule = "from-version";
    return s.fail(UploadErrc::validation_refused, "the module runs " + s.report.module_version_before + ", not " +
                                                      from_named + " " + *from + "; nothing was sent");
  }
  if (!s.options.to_version && vendor && s.report.target_stated)
    s.step("target " + s.report.target_version + " as the package's " + s.package->versions_from +
           " states it (post-build; --to-version overrides)");
  if (!s.report.target_stated)
    s.warn("no target revision stated (a vendor package names none; give --to-version): success is the end "
           "of the upgrade on another revision than " +
           s.report.module_version_before);
  s.report.profile = s.profile->id;
  s.report.method = choose_method(*s.profile, s.options.method, s.options.url.has_value());
  if (s.report.method != "url" && !s.profile->supports(s.report.method))
    return s.fail(UploadErrc::not_supported, s.profile->family + " does not offer the " + s.report.method + " method");
  if (s.options.sd_card && s.profile->sd_card_path().empty())
    return s.fail(UploadErrc::not_supported,
                  "the " + s.profile->family + " guide names no SD card path (--sd-card is EC2x's /media/card/)");
  if (s.options.sd_card && s.report.method != "qfupl")
    return s.fail(UploadErrc::not_supported, "--sd-card stores the package with AT+QFUPL; the method is " +
                                                 s.report.method + " (give --method qfupl)");
  if (s.report.method == "url") {
    if (!s.options.url) return s.fail(UploadErrc::not_supported, "the url method needs --url");
    // A malformed URL is left to the pre-flight (or the module) to refuse.
    if (auto url = profiles::parse_url(*s.options.url)) {
      if (!s.profile->supports(url->scheme))
        return s.fail(UploadErrc::not_supported, s.profile->family + " does not download over " + url->scheme);
      s.url_scheme = url->scheme;
    }
  }
  if (s.options.validate)
    if (auto ok = preflight(s); !ok) return ok;

  const UploadMethod* method = find_upload_method(s.report.method);
  if (!method) return s.fail(UploadErrc::not_supported, "no upload method \"" + s.report.method + "\"");
  if (auto ok = method->deliver(s); !ok) return ok;
  const Status followed = follow(s);
  if (const auto& problem = s.delivery_problem) {
    // The module upgraded with a package it did not get whole: the run fails
    // for that, saying what the module made of it.
    const std::string outcome =
        followed ? "the module came back on " + s.report.module_version_after : "then: " + followed.error().message();
    return s.fail(problem->code, problem->message + "; " + outcome, problem->module_code, problem->scope);
  }
  if (!followed) return followed;
  s.report.ok = true;
  return {};
}

} // namespace

UploadOutcome run_upload(const UploadOptions& options, const profiles::Profile* profile,
                         const profiles::Registry& registry, std::function<void(const UploadEvent&)> on_event,
                         at::ConversationLog log, transport::Clock& clock, transport::PortOpener& ports) {
  Session session(options, profile, registry, std::move(on_event), clock, ports);
  const TimePoint started = clock.now();
  Status status = run_steps(session, std::move(log));
  session.report.total_seconds = std::chrono::duration<double>(clock.now() - started).count();
  UploadOutcome outcome{session.report, std::nullopt};
  if (!status) {
    if (outcome.report.error_message.empty()) outcome.report.error_message = status.error().message();
    outcome.error = status.error();
  }
  return outcome;
}

} // namespace dfota::upload
