// What a simulated module is and how it misbehaves. Everything here has a
// `dfota sim` switch of the same name.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>

#include "at/channel.hpp"
#include "core/error.hpp"
#include "profiles/profile.hpp"
#include "transport/clock.hpp"
#include "transport/module_port.hpp"
#include "transport/transport.hpp"

namespace dfota::sim {

// How the host reaches the module. usb: the port disappears at every
// reboot and comes back behind the link, and hardware flow control is
// AT+QCFG="usbifc"; uart: the port stays, the module is silent while it
// reboots, and hardware flow control is AT+IFC.
using PortKind = transport::PortKind;

// Where a power cut strikes (`--power-loss PHASE[:PERCENT]`). After it,
// run() returns SimErrc::power_lost; the firmware is the old or the new
// version whole, and a new simulator on the same firmware and state resumes.
enum class PowerLossPhase {
  upload,   // while a package arrives (COM, FILE:, AT+QFUPL), at PERCENT of its bytes
  flagged,  // the upgrade flag is set, nothing applied yet
  updating, // at UPDATING PERCENT
  swap,     // the new version is complete and half put in place (the old one moved aside)
  commit,   // the new version is in place, the upgrade flag not yet cleared
  reboot,   // the upgrade succeeded and END was reported; during the reboot after it
};
struct PowerLoss {
  PowerLossPhase phase = PowerLossPhase::updating;
  int percent = 0; // upload and updating only
};
// "updating:50", "swap", ... Fails with CoreErrc::invalid_input naming the phases.
Expected<PowerLoss> parse_power_loss(const std::string& text);
std::string to_string(const PowerLoss& point);

// Fault switches, for tests and for people testing their own host code.
struct Faults {
  std::optional<PowerLoss> power_loss;
  std::optional<int> fail_code; // +QIND "END",<code> on the first `fail_times` attempts
  int fail_times = 1;
  int garble_urcs = 0;                      // the first N UPDATING reports go out cut short
  std::set<std::string> drop_urcs;          // stages never reported: START, UPDATING, END, RDY, FTPSTART, ...
  bool line_noise = false;                  // bursts of random bytes between answers in command mode
  bool fs_full = false;                     // the file system has no free byte
  bool no_answer = false;                   // reads everything, answers nothing
  bool qgmr_error = false;                  // AT+QGMR answers ERROR (old firmware): hosts fall back to AT+CGMR
  bool corrupt_upload = false;              // one byte of each upload arrives changed: the checksum differs
  std::uint64_t lose_bytes = 0;             // this many bytes of each upload vanish on the line
  transport::Duration late_first_answer{0}; // the first command after each boot is answered this late
};

struct SimOptions {
  const profiles::Profile* profile = nullptr;   // borrowed, must outlive the simulator
  const profiles::Registry* registry = nullptr; // borrowed; meanings for AT+CMEE=2
  std::filesystem::path firmware;               // the module's firmware directory (replaced on upgrade)
  std::filesystem::path state;                  // file store and upgrade flag; default <firmware>.state
  std::filesystem::path link;                   // symbolic link to the current terminal
  PortKind port_kind = PortKind::usb;
  transport::Duration reboot_delay{2000};       // port absent for this long at each reboot
  transport::Duration boot_wait{3000};          // after a reboot, how long a host has to reopen before URCs flow
  std::optional<std::uint32_t> baud;            // bytes per second each way at most baud/10
  bool no_flow_control = false;                 // RTS/CTS not wired: AT+IFC=2,2 has no effect
  transport::Duration guard_time{1000};         // +++ escape guard time
  std::uint64_t fs_size = 64ull << 20;          // UFS capacity
  std::optional<std::filesystem::path> ca_file; // trusted CA for https:// downloads
  transport::Duration early_revision{0};        // AT+QGMR shows a placeholder this long after boot
  std::uint32_t seed = 1;                       // line noise and garbling are reproducible
  // --vendor-upgrade-to REV: a package that is not a dfota package (a
  // vendor's recovery zip or opaque .bin) is accepted, as a real module takes
  // its vendor's, and the module comes up on REV; without it such a package
  // is refused as a real module refuses a package not made for it.
  std::optional<std::string> vendor_upgrade_to;
  Faults faults;
  // The module's clock (borrowed, must outlive the simulator); the steady
  // clock when null.
  transport::Clock* clock = nullptr;
  // Makes the port behind `link` at every boot: a pseudo-terminal when
  // empty; tests plug into transport::MemoryPorts instead.
  std::function<Expected<std::unique_ptr<transport::ModulePort>>(const std::filesystem::path& link,
                                                                 transport::Clock& clock)>
      make_port;
  // The conversation: the host's commands (to_module), the module's answers
  // and reports (from_module, with what a fault did to them in parentheses)
  // and the module's events ("rebooting").
  at::ConversationLog log;
};

// A simulator's log line as `dfota sim --log` prints it, from the module's
// side: "< AT+QGMR" (from the host), "> OK" (to it), "* rebooting".
std::string module_log_line(at::Direction direction, std::string_view text);

} // namespace dfota::sim
