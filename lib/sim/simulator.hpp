// A virtual module: serves a family's AT dialect on a pseudo-terminal and
// really upgrades its firmware directory with the project's library.
//
// Single-threaded: run() serves the port until asked to stop. The firmware
// directory, file store and upgrade flag live on disk, so a new Simulator on
// the same directories continues where the last one stopped (an upgrade
// interrupted by a power loss resumes).
#pragma once

#include <atomic>
#include <memory>
#include <random>
#include <string>

#include "at/command_line.hpp"
#include "at/responses.hpp"
#include "package/package_reader.hpp"
#include "sim/file_store.hpp"
#include "sim/firmware_slot.hpp"
#include "sim/link.hpp"
#include "sim/options.hpp"

namespace dfota::sim {

enum class SimErrc {
  power_lost = 1, // the power-loss fault fired; start a new simulator to resume
  bad_option,     // the options do not describe a module
};
const std::error_category& sim_category();
std::error_code make_error_code(SimErrc value);

class Simulator {
public:
  // Checks the options, reads the firmware and creates the port and link.
  static Expected<std::unique_ptr<Simulator>> create(SimOptions options);
  ~Simulator();

  // Serves the port until `stop` becomes true (checked at least every
  // 100 ms) or power is lost (SimErrc::power_lost). A pending upgrade is
  // resumed first. The link is removed on return.
  Status run(const std::atomic<bool>& stop);

  // The terminal currently behind the link.
  std::string terminal() const;
  const firmware::FirmwareInfo& firmware() const { return slot_.info(); }

private:
  Simulator(SimOptions options, FirmwareSlot slot, FileStore store);

  // Command mode
  void serve_commands();
  void handle_line(const std::string& line);
  void dispatch(const at::CommandLine& command);
  // Output
  void send_raw(std::string_view bytes);
  void respond(std::string_view line); // "\r\n<line>\r\n"
  void ok() { respond("OK"); }
  void error() { respond("ERROR"); }
  void cme_error(int code);
  void urc(const std::string& line, const std::string& stage);
  void fota_urc(at::FotaEvent event);
  void log(std::string_view line);
  // Commands
  void identify(const at::CommandLine& command);
  void configure(const at::CommandLine& command);
  void file_upload(const at::CommandLine& command);
  void file_list(const at::CommandLine& command);
  void file_delete(const at::CommandLine& command);
  void fota_download(const at::CommandLine& command);
  void fota_over_com(const at::CommandLine& command);
  void fota_over_file(std::uint64_t length);
  void fota_over_url(const std::string& url);
  // Data mode: receives up to `size` bytes into `out`; ends on size, on
  // `idle` without data (timed_out) or on +++ with guard times (escaped).
  struct DataResult {
    std::uint64_t received = 0;
    bool timed_out = false;
    bool escaped = false;
    bool failed = false; // the file could not be written or the host went away
  };
  DataResult receive_data(Writer& out, std::uint64_t size, transport::Duration first_byte, transport::Duration idle,
                          bool ack_every_kib);
  // Upgrade
  void begin_upgrade(const std::filesystem::path& package, bool delete_after);
  void run_upgrade();                   // attempts until success, final failure or power loss
  int attempt(const UpgradeFlag& flag); // one attempt: 0, a failure code, or -1 for power lost
  int check_package(const package::OpenedPackage& opened, std::uint64_t package_size);
  void reboot(bool into_recovery);
  void boot_port();
  bool flow_control_on() const;
  bool stopping() const { return stop_ && stop_->load(); }
  // The power-loss fault: whether it strikes now, and striking (the port
  // vanishes, every loop ends, run() returns power_lost).
  bool power_loss_due(PowerLossPhase phase, int percent = 100) const;
  void cut_power(const std::string& when);

  SimOptions options_;
  const profiles::Profile& profile_;
  FirmwareSlot slot_;
  FileStore store_;
  transport::Clock& clock_;
  Link link_;
  std::mt19937 random_;
  const std::atomic<bool>* stop_ = nullptr;
  bool power_lost_ = false;

  // Volatile module settings (reset at every boot).
  bool echo_ = true;
  int cmee_ = 1;
  bool flow_control_setting_ = false; // AT+IFC=2,2 / AT+QCFG="usbifc",2,2
  int fota_cid_ = 1;
  std::string apn_;
  std::string line_;
  // The END code for `code` of the profile's upgrade codes (0: unnamed).
  int end_code_for(int code) const;
  static constexpr int kUnnamedFailure = 1;
  transport::TimePoint booted_at_{};
  bool answered_since_boot_ = false; // the late-first-answer fault holds until then
  int garbled_ = 0;
};

} // namespace dfota::sim

template <> struct std::is_error_code_enum<dfota::sim::SimErrc> : std::true_type {};
