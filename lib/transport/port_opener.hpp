// How the uploader reaches a module's port: opened at the start, and opened
// again when it comes back after a reboot. Injected, so that tests connect
// the uploader to a scripted module on a ManualClock; `system_ports()` is the
// real thing (serial devices, pseudo-terminals, tcp:HOST:PORT).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "transport/clock.hpp"
#include "transport/transport.hpp"
#include "transport/usb_interface.hpp"

namespace dfota::transport {

struct SerialOptions;

class PortOpener {
public:
  virtual ~PortOpener() = default;
  // Opens `spec` now; fails by `deadline`.
  virtual Expected<std::unique_ptr<Transport>> open(const std::string& spec, const SerialOptions& options,
                                                    TimePoint deadline, Clock& clock) = 0;
  // Waits for `spec` to come back after it vanished and opens it; fails
  // with TransportErrc::timeout at `deadline`.
  virtual Expected<std::unique_ptr<Transport>> reopen_when_back(const std::string& spec, const SerialOptions& options,
                                                                TimePoint deadline, Clock& clock) = 0;
  // What `spec` is on, when the host can tell (nullopt: a pseudo-terminal,
  // a tcp: port, a scripted module).
  virtual std::optional<PortKind> kind_of(const std::string& spec) const {
    (void)spec;
    return std::nullopt;
  }
};

// open_port() and reopen_when_back() of serial_port.hpp. A device on USB is
// also followed by its interface: when the name it was opened by does not
// come back, the tty now on the same USB device and interface is opened
// (usb_interface.hpp). Thread-safe.
PortOpener& system_ports();
// The same on another sysfs and /dev (tests pass a fake tree).
std::unique_ptr<PortOpener> make_system_ports(SysfsRoots roots);

} // namespace dfota::transport
