// A private D-Bus daemon for one test, standing in for the system bus
// (DBUS_SYSTEM_BUS_ADDRESS points at it while it lives), and ModemManager
// on it as python-dbusmock plays it (tests/support/modemmanager_mock.py).
// Both are stopped on destruction. The socket lies in the test's scratch
// directory; nothing listens on the network.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "support/loopback_servers.hpp"

namespace dfota::test {

class PrivateSystemBus {
public:
  // Starts the daemon in `dir` and sets DBUS_SYSTEM_BUS_ADDRESS; ready()
  // says whether it answered within 5 s.
  explicit PrivateSystemBus(const std::filesystem::path& dir);
  ~PrivateSystemBus(); // unsets DBUS_SYSTEM_BUS_ADDRESS
  bool ready() const { return !address_.empty(); }
  const std::string& address() const { return address_; }

  // Starts ModemManager with one modem of `device` (its uid) and `ports`
  // (names as ModemManager gives them: "ttyUSB2", "pts/3"); with `refuse`,
  // it refuses every InhibitDevice. False when its name did not appear on
  // the bus within 10 s.
  bool start_modem_manager(const std::string& device, const std::vector<std::string>& ports, bool refuse = false);
  // The InhibitDevice calls so far, in order: "<uid> True" or "<uid> False".
  std::vector<std::string> inhibit_calls() const;

private:
  bool name_has_owner(const std::string& name) const;

  std::filesystem::path dir_;
  std::string address_;
  ChildProcess daemon_;
  ChildProcess modem_manager_;
};

// True when this host can run PrivateSystemBus: dbus-daemon and the
// system Python's dbusmock (.ci/install-deps installs both).
bool private_bus_available();

} // namespace dfota::test
