// `dfota sim`: a virtual module on a pseudo-terminal.
#include <atomic>
#include <chrono>
#include <csignal>
#include <fstream>
#include <functional>
#include <iomanip>
#include <mutex>
#include <sstream>

#include "cli/command.hpp"
#include "core/files.hpp"
#include "core/text.hpp"
#include "report/session_log.hpp"
#include "sim/replay/replayer.hpp"
#include "sim/simulator.hpp"

namespace dfota::cli {

namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop.store(true); }

class SimCommand final : public Command {
public:
  explicit SimCommand(CLI::App& app) {
    auto* sub = app.add_subcommand("sim", "Run a virtual module on a pseudo-terminal that really upgrades");
    sub->add_option("--profile", profile_, "Module family: ugxx, ec2x, ec200t, rg50xq (required unless --replay)");
    sub->add_option("--firmware", options_.firmware,
                    "The module's firmware directory (replaced on upgrade; required unless --replay)");
    sub->add_option("--link", options_.link, "Symbolic link to create for the port (like /dev/serial/by-path)")
        ->required();
    sub->add_option("--state", options_.state, "File store and upgrade flag (default: <firmware>.state)");
    sub->add_option("--port-kind", port_kind_, "usb (re-enumerates at reboot) or uart")
        ->check(CLI::IsMember({"usb", "uart"}));
    sub->add_option("--reboot-delay", reboot_delay_, "Seconds the port is gone at each reboot (default 2)")
        ->check(CLI::Range(0.0, 600.0));
    sub->add_option("--boot-wait", boot_wait_, "Seconds a host has to reopen the port after a reboot (default 3)")
        ->check(CLI::Range(0.0, 600.0));
    sub->add_option("--baud", options_.baud, "Carry at most baud/10 bytes per second each way")
        ->check(CLI::Range(300, 4000000));
    sub->add_flag("--no-flow-control", options_.no_flow_control,
                  "RTS/CTS not wired: data above the family's limit is lost");
    sub->add_option("--guard-ms", guard_ms_, "+++ escape guard time in milliseconds (default 1000)")
        ->check(CLI::Range(10, 5000));
    sub->add_option("--fs-size", options_.fs_size, "File system capacity in bytes (default 64 MiB)")
        ->check(whole_number());
    sub->add_flag("--fs-full", options_.faults.fs_full, "Fault: the file system has no free space");
    sub->add_option("--ca-file", options_.ca_file, "Trusted CA certificate for https:// downloads");
    sub->add_option("--vendor-upgrade-to", options_.vendor_upgrade_to,
                    "Take a vendor's package (any file that is not a dfota package) and come up on this revision");
    sub->add_option("--early-revision", early_revision_,
                    "Seconds after boot during which AT+QGMR shows a placeholder sub-version");
    sub->add_option("--power-loss", power_loss_,
                    "Fault: cut the power at PHASE[:PERCENT]: upload:P (P % of the package received), flagged,\n"
                    "updating:P, swap (new version half in place), commit (in place, flag set), reboot (after END)");
    sub->add_option("--power-loss-at", power_loss_at_, "Fault: cut the power at this UPDATING percent (updating:P)")
        ->check(CLI::Range(1, 100));
    sub->add_option("--fail-code", options_.faults.fail_code, "Fault: end the upgrade with this <err> code")
        ->check(CLI::Range(1, 999));
    sub->add_option("--fail-times", options_.faults.fail_times, "Attempts that fail with --fail-code (default 1)")
        ->check(CLI::Range(1, 100));
    sub->add_option("--garble-urcs", options_.faults.garble_urcs, "Fault: cut the first N UPDATING reports short");
    sub->add_option("--drop-urc", drop_, "Fault: never report this stage (START, UPDATING, END, RDY, FTPSTART, ...)");
    sub->add_flag("--line-noise", options_.faults.line_noise, "Fault: random bytes between answers");
    sub->add_flag("--no-answer", options_.faults.no_answer, "Fault: read everything, answer nothing");
    sub->add_flag("--qgmr-error", options_.faults.qgmr_error, "Fault: AT+QGMR answers ERROR (old firmware)");
    sub->add_flag("--corrupt-upload", options_.faults.corrupt_upload,
                  "Fault: one byte of each upload arrives changed (checksum mismatch)");
    sub->add_option("--late-first-answer", late_first_answer_ms_,
                    "Fault: the first command after each boot is answered this many milliseconds late")
        ->check(whole_number());
    sub->add_option("--lose-bytes", options_.faults.lose_bytes, "Fault: this many bytes of each upload are lost")
        ->check(whole_number());
    sub->add_option("--seed", options_.seed, "Seed for noise and garbling")->check(whole_number());
    sub->add_option("--replay", replay_,
                    "Answer as the module did in this log of dfota upload --log-file (formats/session-log.md)");
    sub->add_option("--replay-port", replay_port_, "The port of the log to replay, when it records several");
    sub->add_option("--replay-speed", replay_speed_,
                    "Play the module's recorded waits this many times faster (default 1)")
        ->check(CLI::Range(0.01, 10000.0));
    sub->add_option("--replay-patience", replay_patience_,
                    "Seconds beyond the recorded time the host may take over a command (default 60)")
        ->check(CLI::Range(0.1, 3600.0));
    sub->add_flag("--log", log_, "Print the conversation on standard error");
    sub->add_option("--log-file", log_file_,
                    "Keep the conversation with timestamps in FILE (passwords redacted; '<' from the host, '>' to it)");
    sub->footer("Runs until interrupted (exit 0). With --power-loss it exits 22 when the power is cut;\n"
                "run it again on the same --firmware/--state to watch the module resume. With --replay it\n"
                "plays the recording once: exit 0 when the host followed it, 34 when it did not, 35 when the\n"
                "log is not a recording to replay.\n\nExample:\n"
                "  dfota sim --profile ec2x --firmware /tmp/module0-fw --link /tmp/module0 --log\n"
                "  dfota sim --replay upgrade.log --link /tmp/module0 --replay-speed 10");
  }

  int run(std::ostream& out, std::ostream& err) override {
    (void)out;
    if (int code = check_outputs(err, {{"--log-file", log_file_}}); code != kOk) return code;
    log_ = log_ || output_choices().verbose;
    if (!replay_.empty()) return run_replay(err);
    for (const auto& [value, name] : {std::pair{&replay_port_, "--replay-port"}})
      if (!value->empty()) {
        err << "dfota: error: " << name << " goes with --replay\n";
        return kUsage;
      }
    if (profile_.empty() || options_.firmware.empty()) {
      err << "dfota: error: " << (profile_.empty() ? "--profile" : "--firmware") << " is required (or --replay LOG)\n";
      return kUsage;
    }
    // A log inside the firmware would become part of the module's firmware.
    if (!log_file_.empty() && is_within(log_file_, options_.firmware)) {
      err << "dfota: error: --log-file " << log_file_ << " lies inside the --firmware directory; write it elsewhere\n";
      return kUsage;
    }
    if (!power_loss_.empty() && power_loss_at_) {
      err << "dfota: error: --power-loss and --power-loss-at exclude each other\n";
      return kUsage;
    }
    if (power_loss_at_) options_.faults.power_loss = sim::PowerLoss{sim::PowerLossPhase::updating, *power_loss_at_};
    if (!power_loss_.empty()) {
      auto point = sim::parse_power_loss(power_loss_);
      if (!point) {
        err << "dfota: error: " << printable(point.error().message()) << '\n';
        return kUsage;
      }
      options_.faults.power_loss = *point;
    }
    auto registry = profiles::Registry::load(formats_directory());
    if (!registry) return report(err, registry.error());
    auto profile = registry->find(profile_);
    if (!profile) return report(err, profile.error());
    options_.profile = *profile;
    options_.registry = &*registry;
    options_.port_kind = port_kind_ == "uart" ? sim::PortKind::uart : sim::PortKind::usb;
    options_.reboot_delay = transport::Duration(static_cast<long>(reboot_delay_ * 1000));
    options_.boot_wait = transport::Duration(static_cast<long>(boot_wait_ * 1000));
    options_.early_revision = transport::Duration(static_cast<long>(early_revision_ * 1000));
    options_.faults.late_first_answer = transport::Duration(static_cast<long>(late_first_answer_ms_));
    options_.guard_time = transport::Duration(guard_ms_);
    for (const auto& stage : drop_)
      options_.faults.drop_urcs.insert(to_upper(stage));
    if (auto opened = open_log(err); !opened) return report(err, opened.error());
    options_.log = log_sink_;
    auto simulator = sim::Simulator::create(options_);
    if (!simulator) return report(err, simulator.error());
    err << "dfota sim: " << (*profile)->family << " module at " << options_.link.string() << " ("
        << (*simulator)->terminal() << "), firmware " << (*simulator)->firmware().version << std::endl;
    catch_signals();
    auto ran = (*simulator)->run(g_stop);
    if (!ran) return report(err, ran.error());
    return kOk;
  }

private:
  // `dfota sim --replay LOG`: the module of a recording.
  int run_replay(std::ostream& err) {
    if (!profile_.empty() || !options_.firmware.empty()) {
      err << "dfota: error: --replay plays a recording; it takes no " << (profile_.empty() ? "--firmware" : "--profile")
          << "\n";
      return kUsage;
    }
    std::ifstream file(replay_, std::ios::binary);
    if (!file) {
      err << "dfota: error: cannot read the recording " << printable(replay_) << "\n";
      return kIoError;
    }
    auto recording = sim::read_recording(file, replay_port_);
    if (!recording) {
      err << "dfota: error: " << printable(replay_) << ": " << printable(recording.error().message()) << "\n";
      return exit_code_for(recording.error());
    }
    if (auto opened = open_log(err); !opened) return report(err, opened.error());
    sim::ReplayOptions options;
    options.link = options_.link;
    options.speed = replay_speed_;
    options.patience = transport::Duration(static_cast<long>(replay_patience_ * 1000));
    options.log = log_sink_;
    const std::size_t steps = recording->steps.size();
    const std::string port = recording->port;
    auto replayer = sim::Replayer::create(std::move(*recording), options);
    if (!replayer) return report(err, replayer.error());
    err << "dfota sim: replaying " << port << " from " << printable(replay_) << " (" << steps << " steps) at "
        << options_.link.string() << " (" << (*replayer)->terminal() << ")" << std::endl;
    catch_signals();
    auto ran = (*replayer)->run(g_stop);
    if (!ran) return report(err, ran.error());
    err << "dfota sim: " << (*replayer)->steps_played() << " of " << steps << " steps played"
        << (g_stop.load() ? " (interrupted)" : "") << "\n";
    return kOk;
  }

  static void catch_signals() {
    g_stop.store(false);
    struct sigaction action {};
    action.sa_handler = on_signal;
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
  }

  // Opens --log-file and makes log_sink_, which takes the module's lines
  // ("> " to the host, "< " from it, "* " an event) to the file and, with
  // --log, to standard error.
  Status open_log(std::ostream& err) {
    if (!log_file_.empty()) {
      auto opened = report::SessionLog::open(log_file_);
      if (!opened) return opened.error();
      session_log_ = std::move(*opened);
    }
    if (!log_ && !session_log_) return {};
    started_ = std::chrono::steady_clock::now();
    log_sink_ = [this, &err](at::Direction direction, std::string_view text) {
      const std::string line = sim::module_log_line(direction, text);
      if (session_log_) session_log_->write(options_.link.string(), line.substr(0, 1), text);
      if (!log_) return;
      const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
      std::ostringstream shown;
      shown << '[' << std::fixed << std::setprecision(3) << std::setw(8) << t << "] " << line << '\n';
      std::lock_guard lock(log_mutex_);
      err << shown.str() << std::flush;
    };
    return {};
  }

  std::string replay_;
  std::string replay_port_;
  double replay_speed_ = 1.0;
  double replay_patience_ = 60.0;
  std::unique_ptr<report::SessionLog> session_log_;
  at::ConversationLog log_sink_;
  std::chrono::steady_clock::time_point started_;
  std::mutex log_mutex_;
  std::string profile_;
  std::string port_kind_ = "usb";
  double reboot_delay_ = 2.0;
  double boot_wait_ = 3.0;
  double early_revision_ = 0.0;
  std::uint64_t late_first_answer_ms_ = 0;
  long guard_ms_ = 1000;
  std::vector<std::string> drop_;
  std::string power_loss_;
  std::optional<int> power_loss_at_;
  bool log_ = false;
  std::string log_file_;
  sim::SimOptions options_;
};

} // namespace

std::unique_ptr<Command> make_sim_command(CLI::App& app) { return std::make_unique<SimCommand>(app); }

} // namespace dfota::cli
