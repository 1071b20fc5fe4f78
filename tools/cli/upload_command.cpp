// `dfota upload`: push a package to one module or a fleet and see the
// upgrade through.
#include <chrono>
#include <cmath>
#include <csignal>
#include <fstream>
#include <iomanip>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "cli/command.hpp"
#include "cli/status_board.hpp"
#include "cli/upload_results.hpp"
#include "core/files.hpp"
#include "package/errors.hpp"
#include "package/package_signature.hpp"
#include "profiles/url.hpp"
#include "report/session_log.hpp"
#include "transport/port_names.hpp"
#include "upload/fleet.hpp"
#include "upload/package_server.hpp"
#include "upload/uploader.hpp"

namespace dfota::cli {

namespace {

using transport::Duration;

std::string human_bytes(double bytes) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(1);
  if (bytes >= 1 << 20)
    s << bytes / (1 << 20) << " MiB";
  else if (bytes >= 1024)
    s << bytes / 1024 << " KiB";
  else
    s << static_cast<long>(bytes) << " B";
  return s.str();
}

class UploadCommand final : public Command {
public:
  explicit UploadCommand(CLI::App& app) {
    auto* sub = app.add_subcommand("upload", "Push a package to a module over its AT port and follow the upgrade");
    sub->add_option("package", options_.package, "Package to install")->required();
    sub->add_option("--port", ports_,
                    "AT port: a device (/dev/serial/by-path/...) or tcp:HOST:PORT; repeat for a fleet");
    sub->add_option("--ports-file", ports_file_, "File listing one port per line (a fleet)")->check(CLI::ExistingFile);
    sub->add_option("--profile", profile_, "Module family (default: told from ATI)");
    sub->add_option("--method", options_.method, "auto, com, file, qfupl or url (default auto)")
        ->check(CLI::IsMember({"auto", "com", "file", "qfupl", "url"}));
    sub->add_option("--modemmanager", modem_manager_,
                    "auto: ask ModemManager, when it manages the module, to leave it alone during the upgrade; "
                    "inhibit: the same, failing when it cannot be asked; ignore (default auto)")
        ->check(CLI::IsMember({"auto", "inhibit", "ignore"}));
    sub->add_option("--baud", options_.serial.baud, "Serial speed (default 115200)");
    sub->add_option("--flow-control", flow_, "rtscts, or none: the host paces itself (default none)")
        ->check(CLI::IsMember({"rtscts", "none"}));
    sub->add_option("--url", url_, "The package already on your FTP/HTTP(S) server, for the module to download");
    sub->add_option("--serve", serve_, "Serve the package over HTTP on ADDR:PORT (port 0 picks one)");
    sub->add_option("--apn", apn_, "APN for the download (AT+QICSGP)");
    sub->add_option("--cid", cid_, "PDP context for the download (AT+QCFG=\"fota/cid\")")->check(CLI::Range(1, 16));
    sub->add_option("--upload-name", options_.upload_name, "File name on the module for AT+QFUPL");
    sub->add_flag("--sd-card", options_.sd_card,
                  "EC2x: AT+QFUPL the package to the SD card (\"SD:<name>\", AT+QFOTADL=\"/media/card/<name>\")");
    sub->add_option("--to-version", options_.to_version,
                    "Revision the module must run afterwards (default: the package's target; a vendor package "
                    "names none)");
    sub->add_option("--from-version", options_.from_version,
                    "Revision the module must run before: any other is refused before anything is sent (exit 20)");
    sub->add_option("--source", source_, "The firmware the module runs, for the pre-flight source check");
    sub->add_option("--timeout", timeouts_,
                    "Override a timeout in seconds: command=, urc=, port=, version=, total= (repeatable)");
    sub->add_option("--guard-ms", guard_ms_, "+++ guard time in milliseconds (default 1000)")
        ->check(CLI::Range(10, 5000));
    add_pubkey_option(sub, pubkeys_);
    sub->add_flag("--no-validate", no_validate_, "Skip the pre-flight validation against the live module");
    sub->add_flag("--json", json_, "One JSON object per line for each event, then a summary per module");
    sub->add_flag("--log", log_, "Print the AT conversation on standard error");
    sub->add_option("--log-file", log_file_,
                    "Keep the AT conversation and events with timestamps in FILE (passwords redacted)");
    sub->add_option("--junit", junit_, "Write JUnit XML: one test case per module (Jenkins, GitLab)");
    sub->footer("Exit 0 when every module runs the package's target version afterwards; otherwise the\n"
                "exit code of the first module that failed (see dfota --help).\n\nExamples:\n"
                "  dfota upload update.zip --port /dev/serial/by-path/pci-0000:00:14.0-usb-0:2:1.2-port0\n"
                "  dfota upload update.zip --port /dev/ttyUSB2 --method url --url ftp://user:pass@host/update.zip\n"
                "  dfota upload update.zip --ports-file line3.txt --json\n"
                "  dfota upload update.zip --ports-file line3.txt --junit upgrade.xml --log-file upgrade.log\n"
                "  dfota upload update.zip --port /dev/ttyUSB2 --pubkey release.pub");
  }

  int run(std::ostream& out, std::ostream& err) override {
    // The reports never replace an input, nor each other.
    for (const auto& [path, option] : {std::pair{&log_file_, "--log-file"}, std::pair{&junit_, "--junit"}}) {
      if (path->empty()) continue;
      if (names_same_file(*path, options_.package)) return refuse_output_over(err, option, "the package");
      if (!ports_file_.empty() && names_same_file(*path, ports_file_))
        return refuse_output_over(err, option, "the --ports-file");
      if (names_any_file(*path, pubkeys_)) return refuse_output_over(err, option, "a --pubkey file");
    }
    if (!log_file_.empty() && !junit_.empty() && names_same_file(junit_, log_file_))
      return refuse_output_over(err, "--junit", "the --log-file");
    if (!ports_file_.empty()) {
      auto listed = upload::read_ports_file(ports_file_);
      if (!listed) return report(err, listed.error());
      ports_.insert(ports_.end(), listed->begin(), listed->end());
    }
    if (ports_.empty()) {
      err << "dfota: error: give --port (or --ports-file)\n";
      return kUsage;
    }
    if (!serve_.empty() && !upload::parse_serve_address(serve_)) {
      err << "dfota: error: --serve " << printable(serve_)
          << ": expected ADDR:PORT (127.0.0.1:8080, [::1]:0; port 0 picks one)\n";
      return kUsage;
    }
    if (int code = check_outputs(err, {{"--junit", junit_}, {"--log-file", log_file_}}); code != kOk) return code;
    if (int code = check_package_file(err); code != kOk) return code;
    if (!url_.empty() && !serve_.empty()) {
      err << "dfota: error: --url and --serve exclude each other\n";
      return kUsage;
    }
    // The signature is checked once for the whole fleet, before any port,
    // server or module is touched.
    if (!pubkeys_.empty()) {
      auto keys = load_trusted_keys(pubkeys_);
      if (!keys) return report(err, keys.error());
      auto key = package::verify_package(options_.package, *keys);
      if (!key) return report(err, key.error().with_context(options_.package.string()));
      if (!json_) err << "signature verified: trusted key " << key->fingerprint() << "\n";
    }
    auto registry = profiles::Registry::load(formats_directory());
    if (!registry) return report(err, registry.error());
    const profiles::Profile* profile = nullptr;
    if (!profile_.empty()) {
      auto found = registry->find(profile_);
      if (!found) return report(err, found.error());
      profile = *found;
    }
    if (int code = apply_settings(err); code != kOk) return code;
    // Read and checked once; every module's thread sends this one buffer.
    auto loaded = upload::load_package_to_send(options_.package);
    if (!loaded) return report(err, loaded.error());
    options_.loaded = *loaded;
    std::unique_ptr<upload::PackageServer> server;
    if (!serve_.empty()) {
      auto started = upload::PackageServer::start(serve_, options_.package);
      if (!started) return report(err, started.error());
      server = std::move(*started);
      options_.url = server->url();
      if (options_.method == "auto") options_.method = "url";
      if (!json_) err << "serving " << options_.package.filename().string() << " at " << server->url() << "\n";
    }
    if (!log_file_.empty()) {
      auto opened = report::SessionLog::open(log_file_);
      if (!opened) return report(err, opened.error());
      session_log_ = std::move(*opened);
      session_log_->write("", "-",
                          "dfota 0.1.0 upload " + options_.package.string() + " to " + std::to_string(ports_.size()) +
                              " module(s), method " + options_.method +
                              (options_.url ? ", url " + *options_.url : std::string()));
    }
    ::signal(SIGPIPE, SIG_IGN);
    interactive_ = !json_ && is_terminal_stderr(err);
    log_ = log_ || output_choices().verbose;
    module_events_.assign(ports_.size(), {});
    for (const auto& port : ports_)
      by_path_.push_back(transport::by_path_name(port).value_or(""));
    if (interactive_) board_ = std::make_unique<StatusBoard>(err, ports_.size(), StatusBoard::terminal_width(2));

    const auto outcomes =
        upload::run_fleet(options_, ports_, profile, *registry, [&](std::size_t i) { return observer(i, out, err); });
    board_.reset();

    std::vector<ModuleRun> runs;
    for (std::size_t i = 0; i < outcomes.size(); ++i)
      runs.push_back({outcomes[i], by_path_[i], module_events_[i]});
    int exit_code = kOk;
    for (const ModuleRun& run : runs) {
      const auto& outcome = run.outcome;
      if (outcome.error && exit_code == kOk) exit_code = exit_code_for(*outcome.error);
      if (json_) out << summary_json(run, *registry).dump() << std::endl;
      if (session_log_) {
        session_log_->write(
            outcome.report.port, "-",
            outcome.error
                ? "failed (exit " + std::to_string(exit_code_for(*outcome.error)) + "): " + outcome.error->message()
                : "upgraded: " + outcome.report.module_version_before + " -> " + outcome.report.module_version_after);
      }
    }
    if (server && !json_ && !output_choices().quiet) {
      err << "served " << options_.package.filename().string() << ": " << server->completed_transfers()
          << " download(s) completed";
      if (server->refused_busy()) err << ", " << server->refused_busy() << " client(s) told to come back later";
      err << "\n";
    }
    if (!junit_.empty()) {
      auto written = write_text_file(junit_, junit_document(options_.package, options_.method, runs, *registry));
      if (!written) return report(err, written.error());
    }
    if (!json_) print_summary(runs, out, err);
    return exit_code;
  }

private:
  // The package must be a regular file that exists: 4 when it does not, 3 when it is no file.
  int check_package_file(std::ostream& err) const {
    std::error_code ec;
    const auto status = std::filesystem::status(options_.package, ec);
    if (!std::filesystem::exists(status))
      return report(err, make_error(package::PackageErrc::not_found, options_.package.string() + ": no such file"));
    if (!std::filesystem::is_regular_file(status))
      return report(err, make_error(CoreErrc::io_error, options_.package.string() + ": not a regular file"));
    return kOk;
  }

  int apply_settings(std::ostream& err) {
    options_.serial.flow_control = flow_ == "rtscts" ? transport::FlowControl::rtscts : transport::FlowControl::none;
    options_.modem_manager = *host::parse_modem_manager_policy(modem_manager_);
    if (!transport::baud_constant(options_.serial.baud)) {
      err << "dfota: error: unsupported baud rate " << options_.serial.baud << "\n";
      return kUsage;
    }
    if (!url_.empty()) options_.url = url_;
    if (!apn_.empty()) options_.apn = apn_;
    if (cid_) options_.cid = *cid_;
    if (!source_.empty()) options_.source_firmware = source_;
    options_.validate = !no_validate_;
    options_.guard_time = Duration(guard_ms_);
    for (const auto& item : timeouts_) {
      if (auto applied = upload::apply_timeout_setting(item, options_.timeouts); !applied) {
        err << "dfota: error: --timeout " << printable(applied.error().message()) << "\n";
        return kUsage;
      }
    }
    return kOk;
  }

  // What the command makes of one module's events and conversation: its
  // record (log file, JUnit), JSON lines, its status line or plain lines.
  upload::ModuleObserver observer(std::size_t index, std::ostream& out, std::ostream& err) {
    const std::string port = ports_[index];
    const std::string tag = ports_.size() > 1 ? "[" + port + "] " : "";
    // Transfer progress is recorded in 10% steps; the observer outlives this call.
    auto logged_step = std::make_shared<int>(-1);
    auto on_event = [&out, &err, this, tag, port, index, logged_step](const upload::UploadEvent& e) {
      // The module's record for the log file and the JUnit case.
      std::string line = event_line(e);
      if (e.kind == upload::UploadEvent::Kind::transfer) {
        const int step = e.total ? static_cast<int>(e.bytes * 10 / e.total) : 10;
        if (step <= *logged_step)
          line.clear();
        else
          *logged_step = step;
      }
      if (!line.empty() && session_log_) session_log_->write(port, "-", line);
      std::lock_guard lock(mutex_);
      if (!line.empty()) module_events_[index].push_back(line);
      if (json_) {
        out << event_json(port, e).dump() << std::endl;
        return;
      }
      print_event(err, index, tag, e);
    };
    at::ConversationLog log;
    if (log_ || session_log_) {
      log = [&err, this, tag, port](at::Direction d, std::string_view line) {
        if (session_log_) session_log_->write(port, at::host_log_marker(d), line);
        if (!log_) return;
        const std::string text = tag + at::host_log_marker(d) + " " + printable(report::log_safe(line)) + "\n";
        if (board_) return board_->print_above(text);
        std::lock_guard lock(mutex_);
        err << text;
      };
    }
    return {on_event, log};
  }

  // On a terminal: transfer and upgrade progress rewrite the module's status
  // line, every other event is printed above the status lines. Otherwise:
  // one plain line per event (the transfer once, complete). Called with
  // mutex_ held.
  void print_event(std::ostream& err, std::size_t index, const std::string& tag, const upload::UploadEvent& e) {
    using Kind = upload::UploadEvent::Kind;
    if (e.kind == Kind::transfer) {
      if (!board_ && e.bytes != e.total) return;
      const double rate = e.seconds > 0 ? static_cast<double>(e.bytes) / e.seconds : 0;
      const double left = rate > 0 ? static_cast<double>(e.total - e.bytes) / rate : 0;
      std::ostringstream line;
      line << tag << "sending " << std::setw(3) << (e.total ? e.bytes * 100 / e.total : 100) << "%  "
           << human_bytes(static_cast<double>(e.bytes)) << " of " << human_bytes(static_cast<double>(e.total)) << "  "
           << human_bytes(rate) << "/s  " << std::fixed << std::setprecision(0) << std::ceil(left) << " s left";
      if (board_) return board_->set(index, line.str());
      err << line.str() << "\n" << std::flush;
      return;
    }
    if (e.kind == Kind::fota && e.text == "UPDATING" && board_)
      return board_->set(index, tag + "upgrading " + std::to_string(e.value) + "%");
    std::ostringstream line;
    switch (e.kind) {
    case Kind::fota:
      line << tag << "module: " << printable(e.text);
      if (e.text != "START" && e.text != "RDY" && e.text.find("START") == std::string::npos) line << " " << e.value;
      break;
    case Kind::retry: line << tag << "module retries after " << printable(e.text); break;
    case Kind::warning: line << tag << "warning: " << printable(e.text); break;
    default: line << tag << printable(e.text); break;
    }
    if (board_) {
      board_->set(index, line.str());
      return board_->print_above(line.str());
    }
    err << line.str() << "\n" << std::flush;
  }

  upload::UploadOptions options_;
  std::vector<std::string> ports_;
  std::string ports_file_;
  std::string profile_;
  std::string flow_ = "none";
  std::string modem_manager_ = "auto";
  std::string url_;
  std::string serve_;
  std::string apn_;
  std::optional<int> cid_;
  std::string source_;
  std::vector<std::string> pubkeys_;
  std::vector<std::string> timeouts_;
  long guard_ms_ = 1000;
  bool no_validate_ = false;
  bool json_ = false;
  bool log_ = false;
  std::string log_file_;
  std::string junit_;
  std::unique_ptr<report::SessionLog> session_log_;
  std::vector<std::vector<std::string>> module_events_; // per port, for JUnit
  std::vector<std::string> by_path_;                    // per port: its /dev/serial/by-path name, or ""
  std::unique_ptr<StatusBoard> board_;                  // on a terminal: one live line per module
  bool interactive_ = false;
  std::mutex mutex_;
};

} // namespace

std::unique_ptr<Command> make_upload_command(CLI::App& app) { return std::make_unique<UploadCommand>(app); }

} // namespace dfota::cli
