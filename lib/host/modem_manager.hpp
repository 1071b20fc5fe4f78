// Living with ModemManager. On a stock Linux host ModemManager probes every
// new serial port with AT commands of its own, and keeps a port it manages
// open: its commands and answers would mix with an upload's. As fwupd does,
// the uploader asks ModemManager to leave the module alone for the whole
// upgrade (org.freedesktop.ModemManager1.InhibitDevice): ModemManager then
// closes the module's ports and does not probe them again, across the
// module's reboots and re-enumeration, until the inhibition ends.
//
// The bus is the system bus (DBUS_SYSTEM_BUS_ADDRESS when set). Every call
// waits at most the timeout given; nothing is started on the bus
// (ModemManager is asked only when it runs).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "core/error.hpp"

namespace dfota::host {

enum class HostErrc {
  bus_unavailable = 1, // no system bus, or ModemManager does not run on it
  not_managed,         // ModemManager holds no modem with that port
  refused,             // ModemManager answered the request with an error
  bad_reply,           // ModemManager's answer is not of the documented shape
};
const std::error_category& host_category();
std::error_code make_error_code(HostErrc value);

// What to ask of ModemManager before an upload.
enum class ModemManagerPolicy {
  automatic, // inhibit the module when ModemManager manages it; go on without when it does not run or manage it
  inhibit,   // inhibit it, or fail
  ignore,    // do not talk to ModemManager
};
// "auto", "inhibit", "ignore"; nullopt for anything else.
std::optional<ModemManagerPolicy> parse_modem_manager_policy(std::string_view text);

// The modem a port belongs to, as ModemManager shows it.
struct ManagedModem {
  std::string object_path; // /org/freedesktop/ModemManager1/Modem/N
  std::string uid;         // its Device property: what InhibitDevice takes
  std::string port_name;   // the port's name among its Ports ("ttyUSB2")
};

// The name ModemManager gives the port at `port` (a device path, a udev
// symlink to one, or a name): the device's path under /dev ("ttyUSB2",
// "pts/4"), symlinks resolved; empty for a tcp: port.
std::string modem_manager_port_name(const std::string& port);

// Holds one inhibition; destroying it ends the inhibition
// (InhibitDevice(uid, false)) and closes the connection. ModemManager ends
// it as well when this process leaves the bus, so a crash leaves the
// module to ModemManager again.
class ModemManagerInhibition {
public:
  virtual ~ModemManagerInhibition() = default;
  virtual const ManagedModem& modem() const = 0;
};

// Ends every inhibition this process holds (InhibitDevice(uid, false)),
// for a program that is about to end by a signal: a dying process's
// connection also ends them, but only when ModemManager notices. Safe to
// call from any thread; the inhibitions' objects stay valid and do nothing
// more when destroyed.
void end_all_inhibitions();

// Asks ModemManager to leave alone the modem one of whose ports is `port`.
// Fails with bus_unavailable, not_managed, refused or bad_reply (the
// message says what ModemManager answered); each D-Bus call waits at most
// `timeout`.
Expected<std::unique_ptr<ModemManagerInhibition>> inhibit_modem(const std::string& port,
                                                                std::chrono::milliseconds timeout);

} // namespace dfota::host

template <> struct std::is_error_code_enum<dfota::host::HostErrc> : std::true_type {};
