// What every part of a virtual module shares: its options and profile, its
// flash (firmware slot and file store), the port's output side with the
// faults that act on it, the settings it keeps until a reboot, its power, and
// its reboots. The command handlers, the data mode and the upgrader each hold
// a reference to one Module; the Simulator owns it.
//
// Single-threaded, like the Simulator: every call comes from run().
#pragma once

#include <atomic>
#include <random>
#include <string>
#include <string_view>

#include "at/responses.hpp"
#include "sim/file_store.hpp"
#include "sim/firmware_slot.hpp"
#include "sim/link.hpp"
#include "sim/options.hpp"

namespace dfota::sim {

// Settings a module forgets at every reboot.
struct BootSettings {
  bool echo = true;
  int cmee = 1;                             // AT+CMEE: 0 ERROR, 1 numeric, 2 verbose
  at::FlowControlSetting uart_flow_control; // AT+IFC=2,2: RTS/CTS on the UART
  at::FlowControlSetting usb_flow_control;  // AT+QCFG="usbifc",2,2: on the USB AT port
};

// Settings kept across reboots (the guides do not say; a real module keeps
// its PDP context and FOTA context id in its configuration).
struct StoredSettings {
  int fota_cid = 1;
  std::string apn;
};

class Module {
public:
  // `clock` is borrowed and must outlive the module.
  Module(SimOptions options, FirmwareSlot slot, FileStore store, transport::Clock& clock);

  const SimOptions& options() const { return options_; }
  const profiles::Profile& profile() const { return profile_; }
  FirmwareSlot& slot() { return slot_; }
  FileStore& store() { return store_; }
  transport::Clock& clock() { return clock_; }
  Link& link() { return link_; }
  std::mt19937& random() { return random_; }
  BootSettings& boot_settings() { return boot_; }
  StoredSettings& stored_settings() { return stored_; }

  // ---- output to the host, through the faults that act on it
  void log(at::Direction direction, std::string_view text) const;
  void send_raw(std::string_view bytes); // nothing at all with the no-answer fault
  void respond(std::string_view line);   // "\r\n<line>\r\n"
  void ok() { respond("OK"); }
  void error() { respond("ERROR"); }
  void cme_error(int code); // as AT+CMEE asks: ERROR, the number, or its meaning
  // An unsolicited report of `stage` (START, UPDATING, END, RDY, FTPSTART...):
  // dropped, hidden on USB, garbled or lost when the host is away, as the
  // options say.
  void urc(const std::string& line, const std::string& stage);
  void fota_urc(at::FotaEvent event);
  void announce_ready(); // the family's RDY report, when it has one

  // ---- power and stopping
  void serve_until(const std::atomic<bool>& stop) { stop_ = &stop; }
  bool stopping() const { return stop_ && stop_->load(); }
  bool power_lost() const { return power_lost_; }
  // Whether the power-loss fault strikes at `phase` (and `percent`) now.
  bool power_loss_due(PowerLossPhase phase, int percent = 100) const;
  // The port vanishes and every loop ends; Simulator::run() then returns
  // SimErrc::power_lost.
  void cut_power(const std::string& when);

  // ---- boots
  // Makes the port behind the link (SimOptions::make_port, else a
  // pseudo-terminal) and attaches it.
  Status plug_port();
  // Creates the port behind the link, then gives a host that polls for it
  // up to --boot-wait to reopen before anything is reported.
  void boot_port();
  // Forgets the boot settings; on a USB port that re-enumerates, the port
  // goes away for --reboot-delay and comes back.
  void reboot(bool into_recovery);
  transport::TimePoint booted_at() const { return booted_at_; }
  // The late-first-answer fault holds until the first command after a boot
  // is answered.
  bool answered_since_boot() const { return answered_since_boot_; }
  void mark_answered() { answered_since_boot_ = true; }

  // RTS/CTS paces the link: set by the command for the port the module is
  // reached on (SimOptions::port_kind), and wired.
  bool flow_control_on() const {
    const auto& setting = options_.port_kind == PortKind::usb ? boot_.usb_flow_control : boot_.uart_flow_control;
    return setting.hardware() && !options_.no_flow_control;
  }
  // The END code a failure of `code` is reported with: the profile's code,
  // or kUnnamedFailure where the family's guide names none (UGxx: "0 means
  // OK, else ERROR"), a choice of the simulator's own.
  static int end_code_for(int code) { return code != 0 ? code : kUnnamedFailure; }
  static constexpr int kUnnamedFailure = 1;

private:
  SimOptions options_;
  const profiles::Profile& profile_;
  FirmwareSlot slot_;
  FileStore store_;
  transport::Clock& clock_;
  Link link_;
  std::mt19937 random_;
  const std::atomic<bool>* stop_ = nullptr;
  bool power_lost_ = false;
  BootSettings boot_;
  StoredSettings stored_;
  transport::TimePoint booted_at_{};
  bool answered_since_boot_ = false;
  int garbled_ = 0;
};

} // namespace dfota::sim
