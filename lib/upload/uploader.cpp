#include "upload/uploader.hpp"

#include <algorithm>
#include <cctype>
#include <thread>

#include "at/requests.hpp"
#include "at/responses.hpp"
#include "core/files.hpp"
#include "core/hash.hpp"
#include "core/text.hpp"
#include "package/package_reader.hpp"
#include "profiles/revision.hpp"
#include "profiles/url.hpp"
#include "upload/fota_tracker.hpp"
#include "upload/package_to_send.hpp"

namespace dfota::upload {

namespace fs = std::filesystem;
using at::LineKind;
using transport::Duration;
using transport::TimePoint;
using transport::TransportErrc;

namespace {

double seconds_between(TimePoint a, TimePoint b) { return std::chrono::duration<double>(b - a).count(); }
} // namespace

std::string choose_method(const profiles::Profile& profile, const std::string& requested, bool have_url) {
  if (requested != "auto") return requested;
  if (have_url) return "url";
  for (const char* method : {"com", "file", "qfupl"})
    if (profile.supports(method)) return method;
  return "url";
}

namespace {

// One run of the uploader; every step returns Status and fills report_.
class Session {
public:
  Session(const UploadOptions& options, const profiles::Profile* profile, const profiles::Registry& registry,
          std::function<void(const UploadEvent&)> on_event, at::ConversationLog log, transport::Clock& clock,
          transport::PortOpener& ports)
      : options_(options), profile_(profile), registry_(registry), on_event_(std::move(on_event)), log_(std::move(log)),
        clock_(clock), ports_(ports) {
    report_.port = options.port;
  }

  UploadOutcome run() {
    const TimePoint started = clock_.now();
    Status status = run_steps();
    report_.total_seconds = seconds_between(started, clock_.now());
    UploadOutcome outcome{report_, std::nullopt};
    if (!status) {
      if (outcome.report.error_message.empty()) outcome.report.error_message = status.error().message();
      outcome.error = status.error();
    }
    return outcome;
  }

private:
  void emit(UploadEvent event) {
    if (on_event_) on_event_(event);
  }
  void step(const std::string& text) { emit({UploadEvent::Kind::step, text}); }
  void warn(const std::string& text) { emit({UploadEvent::Kind::warning, text}); }

  // "90 s (--timeout urc=90)": which timeout fired, and how to change it.
  static std::string named_timeout(Duration timeout, const char* key) {
    const std::string seconds = seconds_text(timeout);
    return seconds + " s (--timeout " + key + "=" + seconds + ")";
  }

  Error fail(UploadErrc code, const std::string& message, int module_code = 0, const std::string& scope = "") {
    report_.error_code = module_code;
    report_.error_scope = scope;
    if (module_code != 0 && profile_) {
      report_.error_meaning = registry_.meaning(module_code, profile_->id, scope == "validate" ? "" : scope);
      if (report_.error_meaning.empty()) report_.error_meaning = registry_.meaning(module_code, profile_->id);
    }
    std::string text = message;
    if (module_code != 0 && !report_.error_meaning.empty() && text.find(report_.error_meaning) == std::string::npos)
      text += " (" + std::to_string(module_code) + ": " + report_.error_meaning + ")";
    report_.error_message = text;
    return make_error(code, text);
  }

  Status run_steps() {
    package_ = options_.loaded;
    if (!package_) {
      auto loaded = load_package_to_send(options_.package);
      if (!loaded) return loaded.error();
      package_ = std::move(*loaded);
    }
    report_.target_version = package_->target_version;

    step("opening " + options_.port);
    auto port = ports_.open(options_.port, options_.serial, clock_.deadline_in(Duration(5000)), clock_);
    if (!port) return port.error();
    port_ = std::move(*port);
    channel_.emplace(*port_, clock_, log_);

    if (auto ok = clean_state(); !ok) return ok;
    if (auto ok = identify(); !ok) return ok;
    report_.profile = profile_->id;
    report_.method = choose_method(*profile_, options_.method, options_.url.has_value());
    if (report_.method != "url" && !profile_->supports(report_.method))
      return fail(UploadErrc::not_supported, profile_->family + " does not offer the " + report_.method + " method");
    if (report_.method == "url") {
      if (!options_.url) return fail(UploadErrc::not_supported, "the url method needs --url");
      // A malformed URL is left to the pre-flight (or the module) to refuse.
      if (auto url = profiles::parse_url(*options_.url)) {
        if (!profile_->supports(url->scheme))
          return fail(UploadErrc::not_supported, profile_->family + " does not download over " + url->scheme);
        url_scheme_ = url->scheme;
      }
    }
    if (options_.validate)
      if (auto ok = preflight(); !ok) return ok;

    Status uploaded = report_.method == "com"     ? upload_com()
                      : report_.method == "file"  ? upload_file()
                      : report_.method == "qfupl" ? upload_qfupl()
                                                  : trigger_url();
    if (!uploaded) return uploaded;
    if (auto ok = follow(); !ok) return ok;
    report_.ok = true;
    return {};
  }

  // ------------------------------------------------------------ command state

  // How long AT+QFOTADL may take to answer: the family guide's maximum
  // response time (UGxx: 90 s) when it is longer than --timeout command.
  Duration qfotadl_timeout() const {
    const Duration command = options_.timeouts.command;
    if (!profile_ || !profile_->qfotadl_answer) return command;
    return std::max(command, std::chrono::duration_cast<Duration>(*profile_->qfotadl_answer));
  }

  Expected<at::Response> command(const std::string& text, Duration timeout = Duration(0)) {
    if (timeout == Duration(0)) timeout = options_.timeouts.command;
    return channel_->command(text, timeout);
  }

  Status clean_state() {
    step("getting a clean command state");
    channel_->discard_input();
    for (int round = 0; round < 2; ++round) {
      for (int i = 0; i < 3; ++i) {
        auto r = command("AT", Duration(1000));
        if (r && r->ok()) {
          (void)command("ATE0");
          (void)command("AT+CMEE=1");
          return {};
        }
        if (!r && r.error().is(TransportErrc::closed)) return r.error();
      }
      // A data mode left over from an earlier session: escape it.
      warn("no answer to AT: leaving a possible data mode with +++");
      if (auto ok = channel_->escape_data_mode(options_.guard_time); !ok) return ok;
      channel_->discard_input();
    }
    return fail(UploadErrc::no_module, "nothing answers AT on " + options_.port);
  }

  // The revision by AT+QGMR, else AT+CGMR; a placeholder right after boot is
  // asked again until `deadline`.
  Expected<std::string> revision(TimePoint deadline) {
    for (;;) {
      std::string found;
      auto r = command(qgmr_works_ ? "AT+QGMR" : "AT+CGMR");
      if (r && !r->ok() && qgmr_works_) {
        qgmr_works_ = false; // old firmware: ERROR to AT+QGMR
        continue;
      }
      if (r && r->ok() && !r->info.empty()) found = at::parse_revision_line(r->info.back());
      if (!r && !r.error().is(TransportErrc::timeout)) return r.error();
      if (!found.empty() && !at::is_placeholder_revision(found)) return found;
      if (clock_.now() >= deadline)
        return fail(UploadErrc::timeout, "the module reports no valid revision within " +
                                             named_timeout(options_.timeouts.version, "version") + " (last: \"" +
                                             found + "\")");
      if (!found.empty()) warn("revision " + found + " not valid yet, asking again");
      clock_.sleep_for(Duration(1000));
    }
  }

  bool same_version(const std::string& reported, const std::string& expected) const {
    if (reported == expected) return true;
    // AT+CGMR prints the revision without the sub-version.
    return !qgmr_works_ && profiles::parse_revision(expected).base == reported;
  }

  Status identify() {
    step("identifying the module");
    auto ati = command("ATI");
    if (!ati) return ati.error();
    const at::Identity id = at::parse_identity(ati->info);
    auto version = revision(clock_.deadline_in(options_.timeouts.version));
    if (!version) return version.error();
    report_.module_version_before = *version;
    if (!profile_) {
      // The model ATI prints decides; the revision's prefix only without one.
      profile_ = registry_.find_by_model(id.model);
      if (!profile_) profile_ = registry_.find_by_model(*version);
      if (!profile_)
        return fail(UploadErrc::no_module,
                    "cannot tell the family of model \"" + id.model + "\" (" + *version + "): give --profile");
    }
    return {};
  }

  Status preflight() {
    step("pre-flight validation against the live module");
    validate::Request request;
    request.package = options_.package;
    request.module_version = report_.module_version_before;
    request.method = url_scheme_.empty() ? report_.method : url_scheme_;
    if (report_.method == "url") request.url = options_.url;
    if (report_.method == "qfupl") {
      request.upload_name = upload_name();
      auto r = command(at::format_free_space_query());
      if (r && r->ok())
        for (const auto& line : r->info)
          if (auto space = at::parse_free_space(line)) request.free_space = space->free + stale_size();
    }
    if (options_.source_firmware) request.source = options_.source_firmware;
    report_.findings = validate::validate_package(request, *profile_, registry_);
    for (const auto& f : report_.findings) {
      if (f.verdict != validate::Verdict::fail) continue;
      report_.error_rule = f.rule;
      return fail(UploadErrc::validation_refused, "pre-flight: " + f.rule + ": " + f.message, f.code, "validate");
    }
    return {};
  }

  // ------------------------------------------------------------ transfers

  std::string upload_name() const {
    if (!options_.upload_name.empty()) return options_.upload_name;
    return options_.package.filename().string();
  }

  // The size of a stale file of our name in UFS (it is deleted before upload).
  std::uint64_t stale_size() {
    auto list = at::format_file_list(upload_name());
    if (!list) return 0;
    auto r = command(*list);
    if (!r || !r->ok()) return 0;
    for (const auto& line : r->info)
      if (auto entry = at::parse_file_entry(line)) return entry->size;
    return 0;
  }

  // FILE mode without flow control: bytes per second the host keeps to (95 %
  // of the family's limit), or 0 for as fast as the port takes them.
  double file_mode_pace() const {
    if (options_.serial.flow_control == transport::FlowControl::rtscts || !profile_->no_flow_control_bytes_per_s)
      return 0;
    return static_cast<double>(*profile_->no_flow_control_bytes_per_s) * 0.95;
  }

  // Sends the package in data mode. `ack_every_kib`: wait for the module's
  // 'A' after every 1024 bytes (AT+QFUPL ack mode).
  Status send_package(double bytes_per_second, std::size_t chunk, bool ack_every_kib) {
    step("sending " + std::to_string(bytes().size()) + " bytes");
    const TimePoint started = clock_.now();
    TimePoint last_event{};
    std::size_t sent = 0;
    const std::size_t piece = ack_every_kib ? 1024 : chunk;
    while (sent < bytes().size()) {
      const std::size_t n = std::min(piece, bytes().size() - sent);
      if (bytes_per_second > 0) {
        const auto due = started + std::chrono::duration_cast<TimePoint::duration>(
                                       std::chrono::duration<double>(static_cast<double>(sent) / bytes_per_second));
        clock_.sleep_until(due);
      }
      auto ok = channel_->write_data(ByteSpan(bytes()).subspan(sent, n), clock_.deadline_in(Duration(30000)));
      if (!ok) return fail(UploadErrc::transfer_failed, "sending the package: " + ok.error().message());
      sent += n;
      if (ack_every_kib && n == 1024) {
        if (auto acked = wait_ack(); !acked) return acked;
      }
      const TimePoint now = clock_.now();
      if (now - last_event >= Duration(200) || sent == bytes().size()) {
        last_event = now;
        emit({UploadEvent::Kind::transfer, "", sent, bytes().size(), seconds_between(started, now)});
      }
    }
    if (auto ok = port_->drain(clock_.deadline_in(Duration(600000))); !ok) return ok;
    report_.upload_bytes = sent;
    report_.upload_seconds = seconds_between(started, clock_.now());
    return {};
  }

  Status wait_ack() {
    const TimePoint deadline = clock_.deadline_in(Duration(10000));
    for (;;) {
      std::uint8_t byte = 0;
      auto n = channel_->read_data({&byte, 1}, deadline);
      if (!n) return fail(UploadErrc::transfer_failed, "no ACK from the module: " + n.error().message());
      if (*n == 1 && byte == 'A') return {};
    }
  }

  // Compares the module's "+<cmd>: <size>,<checksum>" with the package.
  Status check_report(const at::Response& r, const char* prefix) {
    std::optional<at::UploadReport> got;
    for (const auto& line : r.info)
      if (auto parsed = at::parse_upload_report(line, prefix)) got = parsed;
    if (!got) return fail(UploadErrc::transfer_failed, std::string("no ") + prefix + " report after the upload");
    const ModuleChecksum& ours = package_->checksum;
    if (got->size != bytes().size() || got->checksum != ours.value()) {
      if (got->size == bytes().size()) report_.error_rule = "checksum";
      return fail(UploadErrc::transfer_failed, "the module received " + std::to_string(got->size) +
                                                   " bytes with checksum " + checksum_hex(got->checksum) +
                                                   ", the package has " + std::to_string(bytes().size()) +
                                                   " bytes with checksum " + ours.hex());
    }
    step("checksum " + ours.hex() + " confirmed by the module");
    return {};
  }

  Status expect_connect(const Expected<at::Response>& r, const std::string& what) {
    if (!r) return r.error();
    if (r->final.kind == LineKind::connect) return {};
    if (r->final.kind == LineKind::cme_error)
      return fail(UploadErrc::transfer_failed, what + " refused", r->final.code, "file");
    return fail(UploadErrc::transfer_failed, what + " answered " + r->final.text);
  }

  Status upload_com() {
    const int idle = std::max(profile_->com_idle_default_s, 5);
    const std::string cmd =
        *at::FotaDownload{at::FotaDownload::Source::com, bytes().size(), static_cast<std::uint64_t>(idle), ""}.format();
    step("COM transparent mode");
    if (auto ok = expect_connect(command(cmd, qfotadl_timeout()), "AT+QFOTADL=\"COM\""); !ok) return ok;
    if (auto ok = send_package(0, 4096, false); !ok) return ok;
    auto r = channel_->wait_final(cmd, clock_.deadline_in(Duration(idle * 1000 + 10000)));
    if (!r) return r.error();
    if (r->final.kind == LineKind::cme_error && r->final.code == 421)
      return fail(UploadErrc::timeout, "the module timed out waiting for data", 421, "cme");
    if (!r->ok()) return fail(UploadErrc::transfer_failed, "COM upload ended with " + r->final.text);
    return check_report(*r, "+QFOTADL");
  }

  Status enable_flow_control() {
    if (options_.serial.flow_control != transport::FlowControl::rtscts) return {};
    // UART: AT+IFC=2,2; USB AT port: AT+QCFG="usbifc",2,2 (EC200T guide).
    auto uart = command("AT+IFC=2,2");
    auto usb = command("AT+QCFG=\"usbifc\",2,2");
    if ((!uart || !uart->ok()) && (!usb || !usb->ok()))
      return fail(UploadErrc::not_supported, "the module refuses hardware flow control");
    return {};
  }

  Status upload_file() {
    if (auto ok = enable_flow_control(); !ok) return ok;
    const std::string cmd = *at::FotaDownload{at::FotaDownload::Source::file, bytes().size(), {}, ""}.format();
    step("FILE mode");
    auto r = command(cmd, qfotadl_timeout());
    if (!r) return r.error();
    if (!r->ok()) return fail(UploadErrc::transfer_failed, "AT+QFOTADL=\"FILE:...\" answered " + r->final.text);
    tracker_.emplace(*profile_);
    // The module says FILESTART, then takes the bytes.
    const TimePoint deadline = clock_.deadline_in(Duration(profile_->download_start_timeout_s * 1000));
    while (tracker_->phase() != FotaPhase::downloading) {
      auto urc = channel_->next_urc(deadline);
      if (!urc) return fail(UploadErrc::timeout, "no FILESTART from the module: " + urc.error().message());
      note(tracker_->feed(*urc), *urc);
      if (tracker_->phase() == FotaPhase::failed) return module_failed();
    }
    const std::size_t chunk = std::max<std::size_t>(profile_->no_flow_control_min_chunk.value_or(32), 512);
    return send_package(file_mode_pace(), chunk, false);
  }

  Status upload_qfupl() {
    const std::string name = upload_name();
    const bool ack = options_.serial.flow_control != transport::FlowControl::rtscts;
    const auto upload = at::FileUpload{name, bytes().size(), 10, ack}.format();
    const auto remove = at::format_file_delete(name);
    if (!upload || !remove || profile_->local_paths.empty())
      return fail(UploadErrc::not_supported, "cannot upload under the name \"" + name + "\"");
    step("AT+QFUPL into the module's file system as " + name);
    // A stale file of the same name would make AT+QFUPL fail with 407.
    auto del = command(*remove);
    if (!del) return del.error();
    const std::string& cmd = *upload;
    if (auto ok = expect_connect(command(cmd), "AT+QFUPL"); !ok) return ok;
    auto cleanup = [&] { (void)command(*remove); };
    if (auto ok = send_package(0, 4096, ack); !ok) {
      (void)channel_->escape_data_mode(options_.guard_time);
      cleanup();
      return ok;
    }
    auto r = channel_->wait_final(cmd, clock_.deadline_in(Duration(20000)));
    if (!r) return r.error();
    if (!r->ok()) {
      cleanup();
      if (r->final.kind == LineKind::cme_error)
        return fail(UploadErrc::transfer_failed, "AT+QFUPL failed", r->final.code, "file");
      return fail(UploadErrc::transfer_failed, "AT+QFUPL ended with " + r->final.text);
    }
    if (auto ok = check_report(*r, "+QFUPL"); !ok) {
      cleanup();
      return ok;
    }
    const std::string path = profile_->local_paths.front() + name;
    const auto trigger_line = at::FotaDownload{at::FotaDownload::Source::local, {}, {}, path}.format();
    if (!trigger_line) return fail(UploadErrc::not_supported, "cannot name \"" + path + "\" in AT");
    step(*trigger_line);
    auto trigger = command(*trigger_line, qfotadl_timeout());
    if (!trigger) return trigger.error();
    if (!trigger->ok()) return fail(UploadErrc::module_error, "AT+QFOTADL answered " + trigger->final.text);
    return {};
  }

  Status trigger_url() {
    const int cid = options_.cid.value_or(1);
    if (options_.apn) {
      auto apn = at::quote_argument(*options_.apn);
      if (!apn) return fail(UploadErrc::not_supported, "APN has characters AT cannot carry");
      auto r = command("AT+QICSGP=" + std::to_string(cid) + ",1," + *apn + ",\"\",\"\",1");
      if (!r || !r->ok()) return fail(UploadErrc::module_error, "AT+QICSGP refused");
    }
    if (options_.cid) {
      auto r = command("AT+QCFG=\"fota/cid\"," + std::to_string(cid));
      if (!r || !r->ok()) return fail(UploadErrc::module_error, "AT+QCFG=\"fota/cid\" refused");
    }
    const auto trigger = at::FotaDownload{at::FotaDownload::Source::url, {}, {}, *options_.url}.format();
    if (!trigger) return fail(UploadErrc::not_supported, "the URL has characters AT cannot carry");
    const std::string shown = "AT+QFOTADL=\"" + profiles::redact_url(*options_.url) + "\"";
    step(shown);
    if (auto ok = channel_->send_command(*trigger, shown); !ok) return ok;
    auto r = channel_->wait_final(*trigger, clock_.deadline_in(qfotadl_timeout()));
    if (!r) return r.error();
    if (!r->ok()) return fail(UploadErrc::module_error, "AT+QFOTADL with the URL answered " + r->final.text);
    return {};
  }

  // ------------------------------------------------------------ following

  void note(const FotaStep& s, const std::string& line) {
    switch (s.kind) {
    case FotaStep::Kind::garbled: warn("garbled report ignored: " + line); break;
    case FotaStep::Kind::retry:
      emit({UploadEvent::Kind::retry, line, 0, 0, 0, s.event->value});
      report_.retried_codes.push_back(s.event->value);
      break;
    case FotaStep::Kind::event:
      emit({UploadEvent::Kind::fota, at::to_string(s.event->stage), 0, 0, 0, s.event->value});
      break;
    case FotaStep::Kind::ready: emit({UploadEvent::Kind::fota, "RDY"}); break;
    case FotaStep::Kind::ignored: break;
    }
    report_.garbled_urcs = tracker_->garbled();
  }

  Error module_failed() {
    const std::string scope = tracker_->error_scope();
    const std::string what =
        scope == "fota" ? "the upgrade ended with END" : "the download ended with " + to_upper(scope) + "END";
    return fail(UploadErrc::module_error, what + " " + std::to_string(tracker_->error_code()), tracker_->error_code(),
                scope);
  }

  // Reopens the port after it vanished; the module comes back behind the same name.
  Status reopen() {
    emit({UploadEvent::Kind::port, "port gone: the module reboots"});
    port_.reset();
    auto back = ports_.reopen_when_back(options_.port, options_.serial, clock_.deadline_in(options_.timeouts.port_back),
                                        clock_);
    if (!back)
      return fail(UploadErrc::port_lost,
                  back.error().message() + "; waited " + named_timeout(options_.timeouts.port_back, "port"));
    port_ = std::move(*back);
    channel_->set_transport(*port_);
    ++reboots_;
    emit({UploadEvent::Kind::port, "port back"});
    return {};
  }

  Status follow() {
    if (!tracker_) tracker_.emplace(*profile_);
    report_.upgrade_started = true;
    step("following the upgrade");
    const TimePoint give_up = clock_.deadline_in(options_.timeouts.total);
    TimePoint last_report = clock_.now();
    // START and UPDATING may be lost while a USB port re-enumerates (and
    // UGxx shows none on USB): after a reboot, or when the module has been
    // quiet a while, it is asked for its version instead.
    const Duration quiet_probe(3000);
    bool probe_now = false;
    for (;;) {
      if (tracker_->phase() == FotaPhase::failed) return module_failed();
      if (clock_.now() >= give_up)
        return fail(UploadErrc::timeout,
                    "the upgrade did not finish within " + named_timeout(options_.timeouts.total, "total"));
      const bool installed = tracker_->phase() == FotaPhase::installed;
      if (installed && tracker_->saw_ready()) return confirm();
      if (!probe_now) {
        const Duration wait = installed || reboots_ > 0 ? quiet_probe : options_.timeouts.urc_gap;
        auto urc = channel_->next_urc(std::min(give_up, clock_.deadline_in(wait)));
        if (urc) {
          last_report = clock_.now();
          note(tracker_->feed(*urc), *urc);
          continue;
        }
        if (urc.error().is(TransportErrc::closed)) {
          if (auto ok = reopen(); !ok) return ok;
          last_report = clock_.now();
          probe_now = true;
          continue;
        }
        if (!urc.error().is(TransportErrc::timeout)) return urc.error();
        if (clock_.now() >= give_up) continue; // the total timeout fired: named above
        if (!installed && reboots_ == 0)
          return fail(UploadErrc::timeout, "no report from the module for " + named_timeout(wait, "urc"));
      }
      probe_now = false;
      auto version = probe_version();
      take_queued_urcs(); // reports that came in while the probe waited
      if (tracker_->phase() == FotaPhase::failed) return module_failed();
      if (!version && version.error().is(TransportErrc::closed)) {
        if (auto ok = reopen(); !ok) return ok;
        probe_now = true;
        continue;
      }
      if (version && same_version(*version, report_.target_version)) return confirm_with(*version);
      if (version && installed)
        return fail(UploadErrc::wrong_version,
                    "the module reported END 0 but runs " + *version + ", not " + report_.target_version);
      if (version && clock_.now() - last_report > options_.timeouts.urc_gap)
        return fail(UploadErrc::wrong_version, "the module still runs " + *version + " and reports nothing");
    }
  }

  // Feeds the URCs a command collected while it waited for its answer.
  void take_queued_urcs() {
    while (channel_->has_urc()) {
      auto urc = channel_->next_urc(clock_.now());
      if (!urc) return;
      note(tracker_->feed(*urc), *urc);
    }
  }

  // The revision, or an error when the module does not answer (yet).
  Expected<std::string> probe_version() {
    auto r = command(qgmr_works_ ? "AT+QGMR" : "AT+CGMR", Duration(2000));
    if (!r) return r.error();
    if (!r->ok() || r->info.empty()) return make_error(UploadErrc::timeout, "no revision");
    std::string v = at::parse_revision_line(r->info.back());
    if (at::is_placeholder_revision(v)) {
      warn("revision " + v + " not valid yet");
      return make_error(UploadErrc::timeout, "placeholder revision");
    }
    return v;
  }

  Status confirm() {
    auto version = revision(clock_.deadline_in(options_.timeouts.version));
    if (!version) return version.error();
    if (!same_version(*version, report_.target_version))
      return fail(UploadErrc::wrong_version, "the module runs " + *version + ", not " + report_.target_version);
    return confirm_with(*version);
  }

  Status confirm_with(const std::string& version) {
    report_.module_version_after = version;
    step("the module runs " + version);
    return {};
  }

  const UploadOptions& options_;
  const profiles::Profile* profile_;
  const profiles::Registry& registry_;
  std::function<void(const UploadEvent&)> on_event_;
  at::ConversationLog log_;
  transport::Clock& clock_;
  UploadReport report_;
  std::shared_ptr<const PackageToSend> package_; // shared by the fleet's modules
  const Bytes& bytes() const { return package_->bytes; }
  std::string url_scheme_; // ftp, http, https for the url method
  transport::PortOpener& ports_;
  std::unique_ptr<transport::Transport> port_;
  std::optional<at::Channel> channel_;
  std::optional<FotaTracker> tracker_;
  bool qgmr_works_ = true;
  int reboots_ = 0;
};

} // namespace

UploadOutcome run_upload(const UploadOptions& options, const profiles::Profile* profile,
                         const profiles::Registry& registry, std::function<void(const UploadEvent&)> on_event,
                         at::ConversationLog log, transport::Clock& clock, transport::PortOpener& ports) {
  Session session(options, profile, registry, std::move(on_event), std::move(log), clock, ports);
  return session.run();
}

} // namespace dfota::upload
