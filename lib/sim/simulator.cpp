#include "sim/simulator.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/files.hpp"
#include "core/hash.hpp"
#include "core/text.hpp"
#include "package/applier.hpp"
#include "profiles/acceptance.hpp"
#include "profiles/revision.hpp"
#include "profiles/url.hpp"
#include "sim/downloader.hpp"

namespace dfota::sim {

namespace fs = std::filesystem;
using at::CommandForm;
using at::CommandLine;
using at::FotaEvent;
using at::FotaStage;
using transport::Duration;
using transport::TimePoint;

namespace {

std::optional<std::uint64_t> to_number(const std::string& text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// Writes into a file and folds the module checksum along.
class ChecksumWriter final : public Writer {
public:
  explicit ChecksumWriter(Writer& out) : out_(out) {}
  Status write(ByteSpan data) override {
    checksum_.update(data);
    return out_.write(data);
  }
  std::uint16_t checksum() const { return checksum_.value(); }

private:
  Writer& out_;
  ModuleChecksum checksum_;
};

constexpr Duration kPoll{100};
} // namespace

Simulator::Simulator(SimOptions options, FirmwareSlot slot, FileStore store)
    : options_(std::move(options)), profile_(*options_.profile), slot_(std::move(slot)), store_(std::move(store)),
      clock_(transport::steady_clock()),
      link_(clock_, LinkSettings{options_.baud, options_.profile->no_flow_control_bytes_per_s}),
      random_(options_.seed) {}

Simulator::~Simulator() = default;

namespace {
constexpr std::pair<PowerLossPhase, const char*> kPowerLossPhases[] = {
    {PowerLossPhase::upload, "upload"}, {PowerLossPhase::flagged, "flagged"}, {PowerLossPhase::updating, "updating"},
    {PowerLossPhase::swap, "swap"},     {PowerLossPhase::commit, "commit"},   {PowerLossPhase::reboot, "reboot"},
};
} // namespace

Expected<PowerLoss> parse_power_loss(const std::string& text) {
  const auto colon = text.find(':');
  const std::string name = text.substr(0, colon);
  for (const auto& [phase, phase_name] : kPowerLossPhases) {
    if (name != phase_name) continue;
    const bool has_percent = phase == PowerLossPhase::upload || phase == PowerLossPhase::updating;
    if (!has_percent) {
      if (colon != std::string::npos)
        return make_error(CoreErrc::invalid_input, "power loss \"" + text + "\": " + name + " takes no percent");
      return PowerLoss{phase, 0};
    }
    const std::string digits = colon == std::string::npos ? "" : text.substr(colon + 1);
    auto percent = to_number(digits);
    if (!percent || *percent > 100)
      return make_error(CoreErrc::invalid_input, "power loss \"" + text + "\": give " + name + ":PERCENT (0-100)");
    return PowerLoss{phase, static_cast<int>(*percent)};
  }
  return make_error(CoreErrc::invalid_input,
                    "power loss \"" + text + "\": the phases are upload:P, flagged, updating:P, swap, commit, reboot");
}

std::string to_string(const PowerLoss& point) {
  for (const auto& [phase, phase_name] : kPowerLossPhases) {
    if (phase != point.phase) continue;
    if (phase == PowerLossPhase::upload || phase == PowerLossPhase::updating)
      return std::string(phase_name) + ":" + std::to_string(point.percent);
    return phase_name;
  }
  return "?";
}

Expected<std::unique_ptr<Simulator>> Simulator::create(SimOptions options) {
  if (!options.profile || !options.registry) return make_error(SimErrc::bad_option, "a profile is required");
  if (options.link.empty()) return make_error(SimErrc::bad_option, "--link is required");
  if (options.firmware.empty()) return make_error(SimErrc::bad_option, "--firmware is required");
  if (options.state.empty()) {
    const fs::path firmware = FirmwareSlot::normalized(options.firmware);
    options.state = firmware.parent_path() / (firmware.filename().string() + ".state");
  }
  // A module that cannot start leaves no state directory it made behind.
  std::error_code ec;
  const bool state_existed = fs::exists(options.state, ec);
  const fs::path state = options.state;
  auto fail = [&](Error error) -> Expected<std::unique_ptr<Simulator>> {
    std::error_code ignored;
    if (!state_existed) fs::remove_all(state, ignored);
    return error;
  };
  auto slot = FirmwareSlot::open(options.firmware, options.state);
  if (!slot) return fail(slot.error());
  auto store = FileStore::open(options.state, options.fs_size, options.faults.fs_full);
  if (!store) return fail(store.error());
  std::unique_ptr<Simulator> sim(new Simulator(std::move(options), std::move(*slot), std::move(*store)));
  auto port = transport::PtyPort::create(sim->options_.link, sim->clock_);
  if (!port) return fail(port.error());
  sim->link_.attach(std::move(*port));
  sim->booted_at_ = sim->clock_.now();
  sim->answered_since_boot_ = false;
  return sim;
}

std::string Simulator::terminal() const {
  const auto* port = link_.port();
  return port ? port->terminal() : std::string();
}

void Simulator::log(std::string_view line) {
  if (options_.log) options_.log(line);
}

// ---------------------------------------------------------------- output

void Simulator::send_raw(std::string_view bytes) {
  if (options_.faults.no_answer) return;
  link_.send(bytes);
}

void Simulator::respond(std::string_view line) {
  log("> " + std::string(line));
  send_raw("\r\n" + std::string(line) + "\r\n");
}

void Simulator::cme_error(int code) {
  if (cmee_ == 0) return error();
  if (cmee_ == 2) {
    std::string meaning = options_.registry->meaning(code, profile_.id, "file");
    if (meaning.empty()) meaning = options_.registry->meaning(code, profile_.id);
    if (!meaning.empty()) return respond("+CME ERROR: " + meaning);
  }
  respond("+CME ERROR: " + std::to_string(code));
}

void Simulator::urc(const std::string& line, const std::string& stage) {
  if (options_.faults.drop_urcs.count(stage)) {
    log("> (dropped) " + line);
    return;
  }
  const bool fota_progress = stage == "START" || stage == "UPDATING" || stage == "END";
  if (fota_progress && options_.port_kind == PortKind::usb && !profile_.urcs_on_usb) {
    log("> (not shown on USB) " + line);
    return;
  }
  std::string text = line;
  if (stage == "UPDATING" && garbled_ < options_.faults.garble_urcs) {
    ++garbled_;
    text = line.substr(0, line.size() / 2 + std::uniform_int_distribution<std::size_t>(0, 3)(random_));
    log("> (garbled) " + text);
  } else if (!link_.host_attached()) {
    log("> (lost, port not open) " + line);
    return;
  } else {
    log("> " + text);
  }
  send_raw("\r\n" + text + "\r\n");
}

void Simulator::fota_urc(FotaEvent event) { urc(at::format_fota_urc(profile_.urc, event), at::to_string(event.stage)); }

// ---------------------------------------------------------------- command mode

Status Simulator::run(const std::atomic<bool>& stop) {
  stop_ = &stop;
  if (slot_.flag()) {
    // Power came back with the upgrade flag set: boot into recovery and go on.
    log("* upgrade flag found: resuming the upgrade");
    boot_port();
    run_upgrade();
  } else if (!profile_.urc.ready.empty()) {
    urc(profile_.urc.ready, "RDY");
  }
  if (!power_lost_) serve_commands();
  link_.detach();
  if (power_lost_) return make_error(SimErrc::power_lost, "power lost during the upgrade; start again to resume");
  return {};
}

bool Simulator::power_loss_due(PowerLossPhase phase, int percent) const {
  const auto& point = options_.faults.power_loss;
  if (!point || power_lost_ || point->phase != phase) return false;
  return phase == PowerLossPhase::upload || phase == PowerLossPhase::updating ? percent >= point->percent : true;
}

void Simulator::cut_power(const std::string& when) {
  log("* power lost " + when);
  power_lost_ = true;
  link_.detach();
}

void Simulator::serve_commands() {
  std::uint8_t buffer[512];
  while (!stopping() && !power_lost_) {
    auto n = link_.receive(buffer, clock_.deadline_in(kPoll), false, false);
    if (!n || options_.faults.no_answer) continue;
    std::string echo;
    for (std::size_t i = 0; i < *n; ++i) {
      const char c = static_cast<char>(buffer[i]);
      if (echo_) echo.push_back(c);
      if (c == '\r' || c == '\n') {
        if (!echo.empty()) send_raw(echo);
        echo.clear();
        if (!line_.empty()) {
          std::string line = std::move(line_);
          line_.clear();
          handle_line(line);
          if (power_lost_ || stopping()) return;
        }
      } else if (c == 0x08 || c == 0x7f) {
        if (!line_.empty()) line_.pop_back();
      } else if (line_.size() < 2048) {
        line_.push_back(c);
      }
    }
    if (!echo.empty()) send_raw(echo);
  }
}

void Simulator::handle_line(const std::string& line) {
  // Bytes before "AT" (line noise, a stray +++) are ignored, as modules do.
  std::size_t at = std::string::npos;
  for (std::size_t i = 0; i + 1 < line.size(); ++i) {
    if ((line[i] == 'A' || line[i] == 'a') && (line[i + 1] == 'T' || line[i + 1] == 't')) {
      at = i;
      break;
    }
  }
  if (at == std::string::npos) {
    log("< (ignored) " + std::to_string(line.size()) + " bytes without AT");
    return;
  }
  const std::string text = line.substr(at);
  log("< " + text);
  if (options_.faults.line_noise && std::uniform_int_distribution<int>(0, 2)(random_) == 0) {
    std::string noise;
    const int count = std::uniform_int_distribution<int>(1, 6)(random_);
    for (int i = 0; i < count; ++i)
      noise.push_back(static_cast<char>(std::uniform_int_distribution<int>(0x80, 0xfe)(random_)));
    log("> (noise)");
    send_raw("\r\n" + noise + "\r\n");
  }
  // Just after boot, a module may take its time over the first command;
  // the host's next commands wait in the line meanwhile.
  if (!answered_since_boot_ && options_.faults.late_first_answer > Duration(0)) {
    log("* answering late (" + std::to_string(options_.faults.late_first_answer.count()) + " ms)");
    clock_.sleep_for(options_.faults.late_first_answer);
  }
  answered_since_boot_ = true;
  auto command = at::parse_command_line(text);
  if (!command) return error();
  dispatch(*command);
}

void Simulator::dispatch(const CommandLine& c) {
  const std::string& name = c.name;
  const auto arg = [&](std::size_t i) { return i < c.arguments.size() ? c.arguments[i].text : std::string(); };
  if (name.empty()) return ok();
  if (name == "E") {
    const std::string v = arg(0);
    if (v != "" && v != "0" && v != "1") return error();
    echo_ = v == "1";
    return ok();
  }
  if (name == "V" || name == "Z" || name == "&D" || name == "&F" || name == "&W" || name == "Q" || name == "&C")
    return ok();
  if (name == "I" || name == "+GMI" || name == "+CGMI" || name == "+GMM" || name == "+CGMM" || name == "+GMR" ||
      name == "+CGMR" || name == "+QGMR")
    return identify(c);
  if (name == "+CMEE") {
    if (c.form == CommandForm::read) return respond("+CMEE: " + std::to_string(cmee_)), ok();
    if (c.form == CommandForm::test) return respond("+CMEE: (0-2)"), ok();
    auto v = to_number(arg(0));
    if (c.form != CommandForm::write || !v || *v > 2) return error();
    cmee_ = static_cast<int>(*v);
    return ok();
  }
  if (name == "+CPIN" && c.form == CommandForm::read) return respond("+CPIN: READY"), ok();
  if (name == "+CFUN") {
    if (c.form == CommandForm::read) return respond("+CFUN: 1"), ok();
    if (c.form == CommandForm::write && arg(0) == "1" && arg(1) == "1") {
      ok();
      reboot(false);
      if (!profile_.urc.ready.empty()) urc(profile_.urc.ready, "RDY");
      return;
    }
    if (c.form == CommandForm::write) return ok();
    return error();
  }
  if (name == "+IFC" || name == "+QCFG" || name == "+QICSGP" || name == "+QINDCFG") return configure(c);
  if (name == "+QFUPL") return file_upload(c);
  if (name == "+QFLST") return file_list(c);
  if (name == "+QFDEL") return file_delete(c);
  if (name == "+QFLDS") {
    if (c.form != CommandForm::write && c.form != CommandForm::execute) return error();
    return respond("+QFLDS: " + std::to_string(store_.free()) + "," + std::to_string(store_.capacity())), ok();
  }
  if (name == "+QFOTADL") return fota_download(c);
  error();
}

void Simulator::identify(const CommandLine& c) {
  if (c.form == CommandForm::test) return ok();
  const std::string& version = slot_.info().version;
  const std::string base = profiles::parse_revision(version).base;
  std::string model = profile_.model_prefix_of(version);
  if (model.empty()) model = profile_.models.empty() ? "MODULE" : profile_.models.front();
  if (c.name == "I") {
    respond("Quectel");
    respond(model);
    respond("Revision: " + base);
  } else if (c.name == "+GMI" || c.name == "+CGMI") {
    respond("Quectel");
  } else if (c.name == "+GMM" || c.name == "+CGMM") {
    respond(model);
  } else if (c.name == "+GMR" || c.name == "+CGMR") {
    respond(base);
  } else {
    if (options_.faults.qgmr_error) return error();
    const bool early = clock_.now() - booted_at_ < options_.early_revision;
    respond(early ? base + "_00.000.00.000" : version);
  }
  ok();
}

void Simulator::configure(const CommandLine& c) {
  const auto arg = [&](std::size_t i) { return i < c.arguments.size() ? c.arguments[i].text : std::string(); };
  const std::string ifc = flow_control_setting_ ? "2,2" : "0,0";
  if (c.name == "+IFC") {
    if (c.form == CommandForm::read) return respond("+IFC: " + ifc), ok();
    if (c.form == CommandForm::test) return respond("+IFC: (0,2),(0,2)"), ok();
    if (c.form != CommandForm::write || c.arguments.size() != 2) return error();
    flow_control_setting_ = arg(0) == "2" && arg(1) == "2";
    return ok();
  }
  if (c.name == "+QCFG") {
    const std::string key = to_upper(arg(0));
    if (c.form != CommandForm::write) return error();
    if (key == "USBIFC") {
      if (c.arguments.size() == 1) return respond("+QCFG: \"usbifc\"," + ifc), ok();
      if (c.arguments.size() != 3) return error();
      flow_control_setting_ = arg(1) == "2" && arg(2) == "2";
      return ok();
    }
    if (key == "FOTA/CID") {
      if (c.arguments.size() == 1) return respond("+QCFG: \"fota/cid\"," + std::to_string(fota_cid_)), ok();
      auto v = to_number(arg(1));
      if (!v || *v < 1 || *v > 16) return error();
      fota_cid_ = static_cast<int>(*v);
      return ok();
    }
    return error();
  }
  if (c.name == "+QICSGP") {
    if (c.form != CommandForm::write || c.arguments.empty()) return error();
    auto cid = to_number(arg(0));
    if (!cid || *cid < 1 || *cid > 16) return error();
    if (c.arguments.size() == 1) return respond("+QICSGP: 1,\"" + apn_ + "\",\"\",\"\",1"), ok();
    apn_ = arg(2);
    return ok();
  }
  ok(); // +QINDCFG: URC reporting stays on
}

// ---------------------------------------------------------------- files

void Simulator::file_upload(const CommandLine& c) {
  if (c.form == CommandForm::test) return ok();
  if (c.form != CommandForm::write || c.arguments.empty()) return error();
  const auto arg = [&](std::size_t i) { return i < c.arguments.size() ? c.arguments[i].text : std::string(); };
  auto path = store_.resolve(arg(0), profile_.upload_name_max);
  if (!path) return cme_error(406);
  const auto size = c.arguments.size() > 1 ? to_number(arg(1)) : std::optional<std::uint64_t>(10240);
  const auto timeout = c.arguments.size() > 2 ? to_number(arg(2)) : std::optional<std::uint64_t>(5);
  const auto ack = c.arguments.size() > 3 ? to_number(arg(3)) : std::optional<std::uint64_t>(0);
  if (!size || !timeout || !ack || *ack > 1 || *timeout == 0 || *timeout > 3600) return cme_error(425);
  std::error_code ec;
  if (fs::exists(*path, ec)) return cme_error(407);
  if (*size > store_.capacity()) return cme_error(423);
  if (*size > store_.free()) return cme_error(420);
  auto file = OutputFile::create(*path, 0644);
  if (!file) return cme_error(409);
  respond("CONNECT");
  ChecksumWriter sum(file->writer());
  DataResult r = receive_data(sum, *size, Duration(*timeout * 1000), Duration(*timeout * 1000), *ack == 1);
  log("< [" + std::to_string(r.received) + " bytes of data]");
  if (power_lost_) return (void)file->commit(); // what reached the flash stays, cut short
  // What arrived stays on the module, also after +++ or a timeout.
  if (r.received > 0 || !r.failed) (void)file->commit();
  if (r.failed) return cme_error(409);
  const std::string report = "+QFUPL: " + std::to_string(r.received) + "," + checksum_hex(sum.checksum());
  respond(report);
  if (r.timed_out) return cme_error(421);
  ok();
}

void Simulator::file_list(const CommandLine& c) {
  if (c.form == CommandForm::test) return ok();
  std::string pattern = c.arguments.empty() ? "*" : c.arguments[0].text;
  if (pattern.rfind("UFS:", 0) == 0) pattern = pattern.substr(4);
  for (const auto& e : store_.list()) {
    if (pattern != "*" && pattern != e.name) continue;
    respond("+QFLST: \"" + e.name + "\"," + std::to_string(e.size));
  }
  ok();
}

void Simulator::file_delete(const CommandLine& c) {
  if (c.form != CommandForm::write || c.arguments.empty()) return error();
  std::error_code ec;
  if (c.arguments[0].text == "*" || c.arguments[0].text == "UFS:*") {
    for (const auto& e : store_.list())
      fs::remove(*store_.resolve(e.name, 4096), ec);
    return ok();
  }
  auto path = store_.resolve(c.arguments[0].text, profile_.upload_name_max);
  if (!path) return cme_error(406);
  if (!fs::exists(*path, ec)) return cme_error(405);
  if (!fs::remove(*path, ec)) return cme_error(418);
  ok();
}

// ---------------------------------------------------------------- data mode

bool Simulator::flow_control_on() const { return flow_control_setting_ && !options_.no_flow_control; }

Simulator::DataResult Simulator::receive_data(Writer& out, std::uint64_t size, Duration first_byte, Duration idle,
                                              bool ack_every_kib) {
  DataResult r;
  link_.reset_data_mode();
  const Duration guard = options_.guard_time;
  TimePoint last = clock_.now();
  bool any = false;
  std::string held; // '+' characters that may be an escape
  TimePoint held_at{};
  std::uint64_t since_ack = 0;
  std::uint64_t to_lose = options_.faults.lose_bytes;
  bool to_corrupt = options_.faults.corrupt_upload;
  std::vector<std::uint8_t> buffer(16384);
  Bytes chunk;
  auto take = [&](std::uint8_t byte) {
    if (to_lose > 0 && r.received >= 100) { // line faults past the first bytes
      --to_lose;
      return;
    }
    if (to_corrupt && r.received >= 100) {
      byte ^= 0x5a;
      to_corrupt = false;
    }
    chunk.push_back(byte);
    ++r.received;
    if (!r.failed && power_loss_due(PowerLossPhase::upload, static_cast<int>(r.received * 100 / size))) {
      cut_power("after " + std::to_string(r.received) + " of " + std::to_string(size) + " bytes of the upload");
      r.failed = true;
    }
    if (ack_every_kib && ++since_ack == 1024) {
      since_ack = 0;
      if (!out.write(chunk)) r.failed = true;
      chunk.clear();
      send_raw("A");
    }
  };
  while (r.received < size) {
    if (stopping()) {
      r.failed = true;
      break;
    }
    const TimePoint now = clock_.now();
    if (held.size() == 3 && now - held_at >= guard) {
      r.escaped = true;
      break;
    }
    if (now - last >= (any ? idle : first_byte)) {
      r.timed_out = true;
      break;
    }
    const std::size_t room = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), size - r.received));
    auto n = link_.receive(std::span(buffer).first(room), clock_.deadline_in(Duration(50)), true, flow_control_on());
    if (!n) continue;
    const TimePoint arrived = clock_.now();
    for (std::size_t i = 0; i < *n && r.received < size; ++i) {
      const std::uint8_t byte = buffer[i];
      if (byte == '+' && held.empty() && arrived - last >= guard) {
        held = "+";
        held_at = arrived;
      } else if (byte == '+' && !held.empty() && held.size() < 3 && arrived - held_at < guard) {
        held.push_back('+');
      } else {
        for (char h : held)
          take(static_cast<std::uint8_t>(h));
        held.clear();
        take(byte);
      }
    }
    if (*n > 0) {
      last = arrived;
      any = true;
    }
    if (!chunk.empty() && !power_lost_) {
      if (!out.write(chunk)) r.failed = true;
      chunk.clear();
    }
    if (r.failed) break;
  }
  if (!held.empty() && !r.escaped) {
    for (char h : held)
      take(static_cast<std::uint8_t>(h));
    if (!chunk.empty() && !out.write(chunk)) r.failed = true;
  }
  if (link_.lost_bytes() > 0) log("* " + std::to_string(link_.lost_bytes()) + " bytes lost: no flow control");
  return r;
}

// ---------------------------------------------------------------- FOTA

void Simulator::fota_download(const CommandLine& c) {
  if (c.form == CommandForm::test) return ok();
  if (c.form != CommandForm::write || c.arguments.empty()) return error();
  // The UGxx guide's example has spaces inside the quotes: ignored.
  const std::string target(trim(c.arguments[0].text));
  const std::string key = to_upper(target);
  if (key == "COM") {
    if (!profile_.supports("com")) return error();
    return fota_over_com(c);
  }
  if (key.rfind("FILE:", 0) == 0) {
    auto length = to_number(target.substr(5));
    if (!profile_.supports("file") || !length || *length == 0) return error();
    return fota_over_file(*length);
  }
  if (key.find("://") != std::string::npos) {
    auto url = profiles::parse_url(target);
    if (!url || !profile_.supports(url->scheme) || !profiles::url_rule_problems(*url, target.size(), profile_).empty())
      return error();
    return fota_over_url(target);
  }
  // A package already in the module's file system.
  auto path = store_.resolve_module_path(target, profile_.local_paths);
  std::error_code ec;
  if (!profile_.supports("qfupl") || target.size() > profile_.local_name_max || !path ||
      !fs::is_regular_file(*path, ec))
    return error();
  ok();
  begin_upgrade(*path, false);
}

void Simulator::fota_over_com(const CommandLine& c) {
  const auto arg = [&](std::size_t i) { return i < c.arguments.size() ? c.arguments[i].text : std::string(); };
  const auto size = c.arguments.size() > 1 ? to_number(arg(1)) : std::optional<std::uint64_t>(UINT64_MAX);
  const auto timeout =
      c.arguments.size() > 2 ? to_number(arg(2)) : std::optional<std::uint64_t>(profile_.com_idle_default_s);
  if (!size || !timeout || *size == 0 || *timeout == 0 || *timeout > 3600) return error();
  const fs::path package = options_.state / "fota" / "package.bin";
  auto file = OutputFile::create(package, 0600);
  if (!file) return error();
  respond("CONNECT");
  ChecksumWriter sum(file->writer());
  DataResult r = receive_data(sum, *size, Duration(*timeout * 1000), Duration(*timeout * 1000), false);
  log("< [" + std::to_string(r.received) + " bytes of data]");
  if (power_lost_) return; // the half-received package is not committed
  std::string report = "+QFOTADL: " + std::to_string(r.received) + ", " + checksum_hex(sum.checksum());
  respond(report);
  if (r.failed) return error();
  if (r.timed_out)
    cme_error(421);
  else
    ok();
  // "If the <uploadsize> is greater than 0, TA will begin to upgrade."
  if (r.received == 0 || !file->commit()) return;
  begin_upgrade(package, true);
}

void Simulator::fota_over_file(std::uint64_t length) {
  const fs::path package = options_.state / "fota" / "package.bin";
  auto file = OutputFile::create(package, 0600);
  if (!file) return error();
  ok();
  fota_urc({FotaStage::file_start, 0});
  DataResult r = receive_data(file->writer(), length, Duration(profile_.download_start_timeout_s * 1000),
                              Duration(profile_.com_idle_default_s * 1000), false);
  log("< [" + std::to_string(r.received) + " of " + std::to_string(length) + " bytes of data]");
  if (power_lost_) return;
  if (r.received != length || r.failed || !file->commit()) {
    fota_urc({FotaStage::file_end, 500});
    return;
  }
  fota_urc({FotaStage::file_end, 0});
  begin_upgrade(package, true);
}

void Simulator::fota_over_url(const std::string& url) {
  const bool ftp = to_upper(url.substr(0, 4)) == "FTP:";
  ok();
  fota_urc({ftp ? FotaStage::ftp_start : FotaStage::http_start, 0});
  const fs::path package = options_.state / "fota" / "package.bin";
  DownloadOptions download_options;
  download_options.ca_file = options_.ca_file;
  DownloadResult result = download(url, package, profile_, *options_.registry, download_options);
  if (result.code != 0) log("* download failed: " + result.detail);
  fota_urc({ftp ? FotaStage::ftp_end : FotaStage::http_end, result.code});
  if (result.code == 0) begin_upgrade(package, true);
}

void Simulator::begin_upgrade(const fs::path& package, bool delete_after) {
  if (auto ok = slot_.set_flag({package, delete_after, 0}); !ok) {
    log("* cannot set the upgrade flag: " + ok.error().message());
    fota_urc({FotaStage::end, end_code_for(profile_.upgrade.failed)});
    return;
  }
  if (power_loss_due(PowerLossPhase::flagged)) return cut_power("with the upgrade flag set");
  if (profile_.upgrade.reboot_before_apply) reboot(true);
  run_upgrade();
}

void Simulator::run_upgrade() {
  for (;;) {
    if (stopping()) return;
    auto flag = slot_.flag();
    const int code = flag ? attempt(*flag) : end_code_for(profile_.upgrade.failed);
    if (code < 0) return; // power lost: the flag stays for the next start
    fota_urc({FotaStage::end, code});
    if (code != 0) {
      const int attempts = (flag ? flag->attempts : 0) + 1;
      if (flag && profile_.module_retries(code) && attempts < profile_.retry_attempts) {
        flag->attempts = attempts;
        (void)slot_.set_flag(*flag);
        log("* attempt " + std::to_string(attempts) + " failed with " + std::to_string(code) + ": retrying");
        reboot(true);
        continue;
      }
      log("* upgrade failed with " + std::to_string(code) + ": the module keeps " + slot_.info().version);
    }
    // Done, either way: the flag goes, and a downloaded package with it.
    slot_.clear_flag();
    std::error_code ec;
    if (flag && flag->delete_package_after) fs::remove(flag->package, ec);
    if (power_loss_due(PowerLossPhase::reboot)) return cut_power("during the reboot after the upgrade");
    reboot(false);
    if (!profile_.urc.ready.empty()) urc(profile_.urc.ready, "RDY");
    return;
  }
}

int Simulator::end_code_for(int code) const {
  // Where the family's guide names no code (UGxx: "0 means OK, else
  // ERROR"), the simulator reports kUnnamedFailure: a choice of its own,
  // not a code from any guide.
  return code != 0 ? code : kUnnamedFailure;
}

int Simulator::check_package(const package::OpenedPackage& opened, std::uint64_t package_size) {
  const auto& m = opened.manifest;
  profiles::PackageFacts package{package_size, m.project, m.source_version, m.target_version, m.space_needed};
  profiles::ModuleFacts module;
  module.project = slot_.info().project;
  module.revision = slot_.info().version;
  module.free_space = options_.faults.fs_full ? 0 : store_.free(); // the package is already in the store
  if (auto refusal = profiles::first_refusal(profiles::acceptance_checks(profile_, package, module)))
    return end_code_for(refusal->code);
  if (!package::verify_source(m, slot_.root())) return end_code_for(profile_.upgrade.source);
  return 0;
}

int Simulator::attempt(const UpgradeFlag& flag) {
  fota_urc({FotaStage::start, 0});
  std::error_code ec;
  const std::uint64_t package_size = fs::file_size(flag.package, ec);
  auto opened = package::open_package(flag.package);
  if (!opened) {
    log("* package refused: " + opened.error().message());
    return end_code_for(profile_.upgrade.bad_package);
  }
  if (slot_.info().version == opened->manifest.target_version &&
      slot_.info().version != opened->manifest.source_version) {
    // Power was cut after the new version went in place: the upgrade is done.
    log("* the firmware already is " + slot_.info().version + ": the interrupted upgrade had completed");
    fota_urc({FotaStage::updating, 100});
    return 0;
  }
  if (int code = check_package(*opened, package_size); code != 0) {
    log("* package refused with " + std::to_string(code));
    return code;
  }
  int reported = 0;
  auto report = [&](int percent) {
    if (percent <= reported) return;
    reported = percent;
    fota_urc({FotaStage::updating, percent});
  };
  report(1);
  const auto& faults = options_.faults;
  if (faults.fail_code && flag.attempts < faults.fail_times) {
    report(20);
    return *faults.fail_code;
  }
  slot_.discard_staging();
  package::ApplyOptions apply_options;
  apply_options.on_progress = [&](std::uint64_t done, std::uint64_t total) {
    const int percent = total == 0 ? 99 : static_cast<int>(1 + done * 98 / total);
    report(percent);
    if (power_loss_due(PowerLossPhase::updating, percent)) {
      cut_power("at UPDATING " + std::to_string(percent) + "%");
      return false;
    }
    return !stopping();
  };
  auto applied = package::apply_package(*opened, slot_.root(), slot_.staging(), apply_options);
  if (power_lost_) return -1;
  if (!applied && stopping()) return -1; // shut down mid-apply: resumes like a power loss
  if (!applied) {
    log("* apply failed: " + applied.error().message());
    slot_.discard_staging();
    if (applied.error().is(package::PackageErrc::source_mismatch)) return end_code_for(profile_.upgrade.source);
    if (applied.error().is(package::PackageErrc::payload_mismatch) ||
        applied.error().is(package::PackageErrc::target_mismatch))
      return end_code_for(profile_.upgrade.corrupt_payload);
    return end_code_for(profile_.upgrade.failed);
  }
  if (power_loss_due(PowerLossPhase::swap)) {
    if (auto ok = slot_.move_current_aside(); !ok) log("* " + ok.error().message());
    cut_power("with the old firmware moved aside and the new one staged");
    return -1;
  }
  if (auto ok = slot_.replace_with_staging(); !ok) {
    log("* cannot put the new firmware in place: " + ok.error().message());
    return end_code_for(profile_.upgrade.failed);
  }
  if (power_loss_due(PowerLossPhase::commit)) {
    cut_power("with the new firmware in place and the upgrade flag still set");
    return -1;
  }
  report(100);
  log("* firmware now " + slot_.info().version);
  return 0;
}

// ---------------------------------------------------------------- reboots

void Simulator::boot_port() {
  auto port = transport::PtyPort::create(options_.link, clock_);
  if (!port) {
    log("* cannot create the port: " + port.error().message());
    return;
  }
  link_.attach(std::move(*port));
  log("* port up at " + options_.link.string() + " -> " + terminal());
  // Give a host that polls for the port a moment to reopen it before the
  // first URCs, as a booting module takes a while; then proceed anyway.
  const TimePoint until = clock_.deadline_in(options_.boot_wait);
  while (!link_.host_attached() && clock_.now() < until && !stopping())
    clock_.sleep_for(Duration(10));
  if (link_.host_attached()) clock_.sleep_for(Duration(20)); // the host flushes its input on open
}

void Simulator::reboot(bool into_recovery) {
  log(into_recovery ? "* rebooting into recovery" : "* rebooting");
  const bool usb = options_.port_kind == PortKind::usb && profile_.port_reenumerates_on_reboot;
  // The last answer leaves before the reset: a reader blocked on the port
  // takes it well within this time; closing a pty may drop unread bytes.
  if (usb && link_.host_attached()) clock_.sleep_for(Duration(20));
  if (usb) link_.detach();
  const TimePoint until = clock_.deadline_in(options_.reboot_delay);
  while (clock_.now() < until && !stopping())
    clock_.sleep_for(std::min(Duration(50), options_.reboot_delay));
  echo_ = true;
  cmee_ = 1;
  flow_control_setting_ = false;
  line_.clear();
  booted_at_ = clock_.now();
  answered_since_boot_ = false;
  if (usb && !stopping()) boot_port();
}

} // namespace dfota::sim
