#include "transport/port_opener.hpp"

#include <map>
#include <mutex>

#include "transport/serial_port.hpp"

namespace dfota::transport {

namespace {

class SystemPorts final : public PortOpener {
public:
  explicit SystemPorts(SysfsRoots roots) : roots_(std::move(roots)) {}

  Expected<std::unique_ptr<Transport>> open(const std::string& spec, const SerialOptions& options, TimePoint deadline,
                                            Clock& clock) override {
    auto port = open_port(spec, options, deadline, clock);
    if (!port) return port.error();
    // Remembered while the port is there: once it vanishes, sysfs no longer
    // tells where it was.
    if (auto usb = usb_interface_of(spec, roots_)) {
      std::lock_guard lock(mutex_);
      interfaces_[spec] = *usb;
    }
    return std::unique_ptr<Transport>(std::move(*port));
  }

  Expected<std::unique_ptr<Transport>> reopen_when_back(const std::string& spec, const SerialOptions& options,
                                                        TimePoint deadline, Clock& clock) override {
    std::optional<UsbInterface> usb;
    {
      std::lock_guard lock(mutex_);
      if (auto known = interfaces_.find(spec); known != interfaces_.end()) usb = known->second;
    }
    for (;;) {
      // The name it was opened by (a by-path link comes back as it was), else
      // whatever tty is now on the same USB interface.
      auto port = open_port(spec, options, deadline, clock);
      if (port) return std::unique_ptr<Transport>(std::move(*port));
      if (usb) {
        if (auto tty = tty_on(*usb, roots_)) {
          auto moved = open_port(tty->string(), options, deadline, clock);
          if (moved) return std::unique_ptr<Transport>(std::move(*moved));
        }
      }
      if (clock.now() >= deadline)
        return make_error(TransportErrc::timeout,
                          spec + ": the port did not come back in time (" + port.error().message() + ")");
      clock.sleep_for(Duration(20));
    }
  }

  std::optional<PortKind> kind_of(const std::string& spec) const override { return port_kind_of(spec, roots_); }

private:
  SysfsRoots roots_;
  std::mutex mutex_;
  std::map<std::string, UsbInterface> interfaces_; // by the spec each port was opened by
};

} // namespace

PortOpener& system_ports() {
  static SystemPorts ports{SysfsRoots{}};
  return ports;
}

std::unique_ptr<PortOpener> make_system_ports(SysfsRoots roots) {
  return std::make_unique<SystemPorts>(std::move(roots));
}

} // namespace dfota::transport
