#include "upload/probe.hpp"

#include "at/requests.hpp"
#include "at/responses.hpp"
#include "upload/session.hpp"

namespace dfota::upload {

using transport::Duration;

namespace {

// The flow-control state as the module reads it back: "+IFC: 2,2" on a
// UART, "+QCFG: "usbifc",2,2" on a USB port (EC200T guide).
std::optional<std::string> flow_control_state(Session& s) {
  for (const at::PortKind kind : {at::PortKind::uart, at::PortKind::usb}) {
    auto r = s.command(at::format_flow_control_query(kind));
    if (!r || !r->ok()) continue;
    for (const auto& line : r->info)
      if (auto setting = at::parse_flow_control(line)) return setting->text();
  }
  return std::nullopt;
}

} // namespace

Expected<ProbeReport> probe_module(const ProbeOptions& options, const profiles::Registry& registry,
                                   std::function<void(const UploadEvent&)> on_event, at::ConversationLog log,
                                   transport::Clock& clock, transport::PortOpener& ports) {
  UploadOptions upload_options;
  upload_options.port = options.port;
  upload_options.serial = options.serial;
  upload_options.guard_time = options.guard_time;
  upload_options.timeouts = options.timeouts;
  upload_options.modem_manager = options.modem_manager;
  Session s(upload_options, nullptr, registry, std::move(on_event), clock, ports);
  if (auto ok = keep_modem_manager_away(s); !ok) return ok.error();
  s.step("opening " + options.port);
  auto port = ports.open(options.port, options.serial, clock.deadline_in(Duration(5000)), clock);
  if (!port) return port.error();
  s.port = std::move(*port);
  s.channel.emplace(*s.port, clock, std::move(log));
  if (auto ok = clean_state(s); !ok) return ok.error();

  ProbeReport report;
  report.port = options.port;
  s.step("identifying the module");
  auto ati = s.command("ATI");
  if (!ati) return ati.error();
  const at::Identity id = at::parse_identity(ati->info);
  report.manufacturer = id.manufacturer;
  report.model = id.model;
  auto revision_read = revision(s, clock.deadline_in(options.timeouts.version));
  if (!revision_read) return revision_read.error();
  report.revision = *revision_read;
  const profiles::Profile* profile = registry.find_by_model(id.model);
  if (!profile) profile = registry.find_by_model(report.revision);
  if (profile) {
    report.profile = profile->id;
    report.family = profile->family;
  }
  s.step("reading the file store");
  if (auto r = s.command(at::format_free_space_query()); r && r->ok()) {
    for (const auto& line : r->info)
      if (auto space = at::parse_free_space(line)) report.space = space;
  }
  if (auto list = at::format_file_list("*")) {
    if (auto r = s.command(*list); r && r->ok()) {
      for (const auto& line : r->info)
        if (auto file = at::parse_file_entry(line)) report.files.push_back(*file);
    }
  }
  report.flow_control = flow_control_state(s);
  return report;
}

} // namespace dfota::upload
