#include "sim/module.hpp"

#include "transport/pty.hpp"

namespace dfota::sim {

using transport::Duration;
using transport::TimePoint;

Module::Module(SimOptions options, FirmwareSlot slot, FileStore store, transport::Clock& clock)
    : options_(std::move(options)), profile_(*options_.profile), slot_(std::move(slot)), store_(std::move(store)),
      clock_(clock), link_(clock_, LinkSettings{options_.baud, options_.profile->no_flow_control_bytes_per_s}),
      random_(options_.seed), booted_at_(clock_.now()) {}

void Module::log(at::Direction direction, std::string_view text) const {
  if (options_.log) options_.log(direction, text);
}

void Module::send_raw(std::string_view bytes) {
  if (options_.faults.no_answer) return;
  link_.send(bytes);
}

void Module::respond(std::string_view line) {
  log(at::Direction::from_module, std::string(line));
  send_raw("\r\n" + std::string(line) + "\r\n");
}

void Module::cme_error(int code) {
  if (boot_.cmee == 0) return error();
  if (boot_.cmee == 2) {
    std::string meaning = options_.registry->meaning(code, profile_.id, "file");
    if (meaning.empty()) meaning = options_.registry->meaning(code, profile_.id);
    if (!meaning.empty()) return respond("+CME ERROR: " + meaning);
  }
  respond("+CME ERROR: " + std::to_string(code));
}

void Module::urc(const std::string& line, const std::string& stage) {
  if (options_.faults.drop_urcs.count(stage)) {
    log(at::Direction::from_module, "(dropped) " + line);
    return;
  }
  const bool fota_progress = stage == "START" || stage == "UPDATING" || stage == "END";
  if (fota_progress && options_.port_kind == PortKind::usb && !profile_.urcs_on_usb) {
    log(at::Direction::from_module, "(not shown on USB) " + line);
    return;
  }
  std::string text = line;
  if (stage == "UPDATING" && garbled_ < options_.faults.garble_urcs) {
    ++garbled_;
    text = line.substr(0, line.size() / 2 + std::uniform_int_distribution<std::size_t>(0, 3)(random_));
    log(at::Direction::from_module, "(garbled) " + text);
  } else if (!link_.host_attached()) {
    log(at::Direction::from_module, "(lost, port not open) " + line);
    return;
  } else {
    log(at::Direction::from_module, text);
  }
  send_raw("\r\n" + text + "\r\n");
}

void Module::fota_urc(at::FotaEvent event) {
  urc(at::format_fota_urc(profile_.urc, event), at::to_string(event.stage));
}

void Module::announce_ready() {
  if (!profile_.urc.ready.empty()) urc(profile_.urc.ready, "RDY");
}

bool Module::power_loss_due(PowerLossPhase phase, int percent) const {
  const auto& point = options_.faults.power_loss;
  if (!point || power_lost_ || point->phase != phase) return false;
  return phase == PowerLossPhase::upload || phase == PowerLossPhase::updating ? percent >= point->percent : true;
}

void Module::cut_power(const std::string& when) {
  log(at::Direction::event, "power lost " + when);
  power_lost_ = true;
  link_.detach();
}

namespace {
Expected<std::unique_ptr<transport::ModulePort>> pseudo_terminal(const std::filesystem::path& link,
                                                                 transport::Clock& clock) {
  auto pty = transport::PtyPort::create(link, clock);
  if (!pty) return pty.error();
  return std::unique_ptr<transport::ModulePort>(std::move(*pty));
}
} // namespace

Status Module::plug_port() {
  auto port = options_.make_port ? options_.make_port(options_.link, clock_) : pseudo_terminal(options_.link, clock_);
  if (!port) return port.error();
  link_.attach(std::move(*port));
  return {};
}

void Module::boot_port() {
  if (auto plugged = plug_port(); !plugged) {
    log(at::Direction::event, "cannot create the port: " + plugged.error().message());
    return;
  }
  const auto* attached = link_.port();
  log(at::Direction::event,
      "port up at " + options_.link.string() + " -> " + (attached ? attached->terminal() : std::string()));
  // Give a host that polls for the port a moment to reopen it before the
  // first URCs, as a booting module takes a while; then proceed anyway.
  const TimePoint until = clock_.deadline_in(options_.boot_wait);
  while (!link_.host_attached() && clock_.now() < until && !stopping())
    clock_.sleep_for(Duration(10));
  if (link_.host_attached()) clock_.sleep_for(Duration(20)); // the host flushes its input on open
}

void Module::reboot(bool into_recovery) {
  log(at::Direction::event, into_recovery ? "rebooting into recovery" : "rebooting");
  const bool usb = options_.port_kind == PortKind::usb && profile_.port_reenumerates_on_reboot;
  // The last answer leaves before the reset: a reader blocked on the port
  // takes it well within this time; closing a pty may drop unread bytes.
  if (usb && link_.host_attached()) clock_.sleep_for(Duration(20));
  if (usb) link_.detach();
  const TimePoint until = clock_.deadline_in(options_.reboot_delay);
  while (clock_.now() < until && !stopping())
    clock_.sleep_for(std::min(Duration(50), options_.reboot_delay));
  boot_ = BootSettings{};
  booted_at_ = clock_.now();
  answered_since_boot_ = false;
  if (usb && !stopping()) boot_port();
}

} // namespace dfota::sim
