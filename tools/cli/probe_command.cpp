// dfota probe: reads a module without changing it (model, revision, family,
// free space, stored files, flow control), for production lines before and
// after an upgrade.
#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "cli/exit_codes.hpp"
#include "cli/json_values.hpp"
#include "cli/text_table.hpp"
#include "core/text.hpp"
#include "profiles/profile.hpp"
#include "report/session_log.hpp"
#include "transport/serial_port.hpp"
#include "upload/probe.hpp"

namespace dfota::cli {

namespace {

class ProbeCommand final : public Command {
public:
  explicit ProbeCommand(CLI::App& app) {
    auto* sub =
        app.add_subcommand("probe", "Read a module: model, revision, family, free space, files; nothing written");
    sub->add_option("--port", options_.port, "The module's AT port (device path, or tcp:HOST:PORT)")->required();
    sub->add_option("--baud", options_.serial.baud, "Serial speed (default 115200)");
    sub->add_option("--modemmanager", modem_manager_,
                    "auto: ask ModemManager, when it manages the module, to leave it alone while probing; "
                    "inhibit: the same, failing when it cannot be asked; ignore (default auto)")
        ->check(CLI::IsMember({"auto", "inhibit", "ignore"}));
    sub->add_option("--guard-ms", guard_ms_, "+++ guard time in milliseconds (default 1000)")
        ->check(CLI::Range(20, 10000));
    sub->add_flag("--json", json_, "Print JSON (schema dfota.probe/1)");
    sub->add_flag("--log", log_, "Print the AT conversation on standard error");
    sub->add_option(
        "--log-file", log_file_,
        "Keep the conversation with UTC timestamps in FILE (formats/session-log.md; sim --replay plays it)");
    sub->footer("Sends ATI, AT+QGMR (AT+CGMR on old firmware), AT+QFLDS, AT+QFLST and the flow-control read\n"
                "commands; no upgrade starts and nothing is written to the module.\n\nExamples:\n"
                "  dfota probe --port /dev/serial/by-path/pci-0000:00:14.0-usb-0:2:1.2-port0\n"
                "  dfota probe --port /dev/ttyUSB2 --json");
  }

  int run(std::ostream& out, std::ostream& err) override {
    if (int code = check_outputs(err, {{"--log-file", log_file_}}); code != kOk) return code;
    if (!transport::baud_constant(options_.serial.baud)) {
      err << "dfota: error: unsupported baud rate " << options_.serial.baud << "\n";
      return kUsage;
    }
    options_.guard_time = transport::Duration(guard_ms_);
    options_.modem_manager = *host::parse_modem_manager_policy(modem_manager_);
    auto registry = profiles::Registry::load(formats_directory());
    if (!registry) return report(err, registry.error());
    std::unique_ptr<report::SessionLog> session_log;
    if (!log_file_.empty()) {
      auto opened = report::SessionLog::open(log_file_);
      if (!opened) return report(err, opened.error());
      session_log = std::move(*opened);
      session_log->write("", "-", "dfota 0.1.0 probe " + options_.port);
    }
    const bool print = log_ || output_choices().verbose;
    at::ConversationLog log;
    if (print || session_log) {
      log = [&err, &session_log, print, port = options_.port](at::Direction d, std::string_view line) {
        if (session_log) session_log->write(port, at::host_log_marker(d), line);
        if (print) err << at::host_log_marker(d) << " " << printable(report::log_safe(line)) << "\n";
      };
    }
    auto probed = upload::probe_module(options_, *registry, {}, log);
    if (session_log)
      session_log->write(options_.port, "-",
                         probed ? "probed: " + probed->revision : "failed: " + probed.error().message());
    if (!probed) return report(err, probed.error());
    if (json_)
      print_json(out, *probed);
    else
      print_text(out, *probed);
    return kOk;
  }

private:
  static void print_json(std::ostream& out, const upload::ProbeReport& r) {
    nlohmann::ordered_json j;
    j["schema"] = "dfota.probe/1"; // formats/json/probe.schema.json
    j["port"] = r.port;
    j["manufacturer"] = text_or_null(r.manufacturer);
    j["model"] = text_or_null(r.model);
    j["revision"] = r.revision;
    j["profile"] = text_or_null(r.profile);
    j["family"] = text_or_null(r.family);
    j["free_space"] = r.space ? nlohmann::ordered_json(r.space->free) : nlohmann::ordered_json();
    j["total_space"] = r.space ? nlohmann::ordered_json(r.space->total) : nlohmann::ordered_json();
    nlohmann::ordered_json files = nlohmann::ordered_json::array();
    for (const auto& f : r.files)
      files.push_back({{"name", f.name}, {"size", f.size}});
    j["files"] = std::move(files);
    j["flow_control"] = r.flow_control ? nlohmann::ordered_json(*r.flow_control) : nlohmann::ordered_json();
    out << j.dump(2) << '\n';
  }

  static void print_text(std::ostream& out, const upload::ProbeReport& r) {
    auto or_unknown = [](const std::string& text) { return text.empty() ? std::string("(unknown)") : printable(text); };
    out << "port          " << printable(r.port) << '\n';
    out << "model         " << or_unknown(r.manufacturer) << " " << or_unknown(r.model) << '\n';
    out << "revision      " << printable(r.revision) << '\n';
    out << "family        "
        << (r.profile.empty() ? std::string("(no profile knows this model)")
                              : r.family + " (--profile " + r.profile + ")")
        << '\n';
    out << "free space    "
        << (r.space ? grouped(r.space->free) + " of " + grouped(r.space->total) + " bytes"
                    : std::string("(not answered)"))
        << '\n';
    out << "flow control  " << (r.flow_control ? printable(*r.flow_control) : std::string("(not answered)")) << '\n';
    if (r.files.empty()) {
      out << "files         (none)\n";
      return;
    }
    out << '\n';
    TextTable table({"FILE", "SIZE"}, {TextTable::Align::left, TextTable::Align::right});
    for (const auto& f : r.files)
      table.add_row({printable(f.name), grouped(f.size)});
    table.print(out);
  }

  upload::ProbeOptions options_;
  int guard_ms_ = 1000;
  std::string modem_manager_ = "auto";
  bool json_ = false;
  bool log_ = false;
  std::string log_file_;
};

} // namespace

std::unique_ptr<Command> make_probe_command(CLI::App& app) { return std::make_unique<ProbeCommand>(app); }

} // namespace dfota::cli
