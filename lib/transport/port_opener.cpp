#include "transport/port_opener.hpp"

#include "transport/serial_port.hpp"

namespace dfota::transport {

namespace {

class SystemPorts final : public PortOpener {
public:
  Expected<std::unique_ptr<Transport>> open(const std::string& spec, const SerialOptions& options, TimePoint deadline,
                                            Clock& clock) override {
    auto port = open_port(spec, options, deadline, clock);
    if (!port) return port.error();
    return std::unique_ptr<Transport>(std::move(*port));
  }
  Expected<std::unique_ptr<Transport>> reopen_when_back(const std::string& spec, const SerialOptions& options,
                                                        TimePoint deadline, Clock& clock) override {
    auto port = transport::reopen_when_back(spec, options, deadline, clock);
    if (!port) return port.error();
    return std::unique_ptr<Transport>(std::move(*port));
  }
};

} // namespace

PortOpener& system_ports() {
  static SystemPorts ports;
  return ports;
}

} // namespace dfota::transport
