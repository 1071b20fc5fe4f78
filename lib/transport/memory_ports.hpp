// Named AT ports in memory, on one VirtualClock: a simulated module plugs a
// port in by name and the host opens it by that name through the
// PortOpener interface, all in one process. They behave as the simulator's
// pseudo-terminals do where the uploader can tell:
// - a port the module unplugs (a reboot, a power cut) reads as closed on
//   the host's side once the bytes already sent are read, and its name is
//   gone until the module plugs a port in again;
// - the module sees whether a host has the port open;
// - the host's writes wait while kBuffer bytes are unread, as behind a
//   terminal's buffer.
// Thread-safe: every state lives under the clock's lock.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "transport/module_port.hpp"
#include "transport/port_opener.hpp"
#include "transport/virtual_clock.hpp"

namespace dfota::transport {

class MemoryPorts final : public PortOpener {
public:
  static constexpr std::size_t kBuffer = 4096;

  // `clock` is borrowed and must outlive the ports and every end opened.
  explicit MemoryPorts(VirtualClock& clock) : clock_(clock) {}

  // The module's end of a new port named `name`; the name then opens it.
  // Fails with open_failed while another port has that name. The end must
  // not outlive these ports.
  Expected<std::unique_ptr<ModulePort>> plug(const std::string& name);

  // The host's end of the port named `spec`; open_failed when none is
  // plugged in. `options` are ignored (no line settings in memory).
  Expected<std::unique_ptr<Transport>> open(const std::string& spec, const SerialOptions& options, TimePoint deadline,
                                            Clock& clock) override;
  // Waits (on the virtual clock) until a port named `spec` is plugged in.
  Expected<std::unique_ptr<Transport>> reopen_when_back(const std::string& spec, const SerialOptions& options,
                                                        TimePoint deadline, Clock& clock) override;

  struct Wire; // one port: the bytes each way and who holds an end

private:
  VirtualClock& clock_;
  std::map<std::string, std::shared_ptr<Wire>> plugged_; // under the clock's lock
};

} // namespace dfota::transport
