#include "transport/memory_ports.hpp"

#include <algorithm>
#include <cstring>

namespace dfota::transport {

struct MemoryPorts::Wire {
  std::string name;
  std::string to_module;
  std::string to_host;
  bool module_present = true;
  bool host_open = false;
};

namespace {

using Wire = MemoryPorts::Wire;

// Reads what waits in `from` (bytes for this end), until `deadline`: closed
// once they are read and `peer_present` (the other end) is false, with
// `gone` as the message.
Expected<std::size_t> read_from(VirtualClock& clock, const std::string& name, std::string& from,
                                const bool& peer_present, const char* gone, std::span<std::uint8_t> buffer,
                                TimePoint deadline) {
  std::size_t got = 0;
  bool closed = false;
  const bool done = clock.wait_until(deadline, [&] {
    if (!from.empty()) {
      got = std::min(from.size(), buffer.size());
      std::memcpy(buffer.data(), from.data(), got);
      from.erase(0, got);
      return true;
    }
    return closed = !peer_present;
  });
  if (closed) return make_error(TransportErrc::closed, name + ": " + gone);
  if (!done) return make_error(TransportErrc::timeout, name + ": nothing received in time");
  return got;
}

class HostEnd final : public Transport {
public:
  HostEnd(std::shared_ptr<Wire> wire, VirtualClock& clock) : wire_(std::move(wire)), clock_(clock) {}
  ~HostEnd() override {
    clock_.change([&] { wire_->host_open = false; });
  }

  Expected<std::size_t> read_some(std::span<std::uint8_t> buffer, TimePoint deadline) override {
    return read_from(clock_, wire_->name, wire_->to_host, wire_->module_present, "port went away", buffer, deadline);
  }

  Status write_all(ByteSpan data, TimePoint deadline) override {
    bool gone = false;
    while (!data.empty()) {
      const bool moved = clock_.wait_until(deadline, [&] {
        if ((gone = !wire_->module_present)) return true;
        const std::size_t room = kBuffer - std::min(kBuffer, wire_->to_module.size());
        if (room == 0) return false;
        const std::size_t n = std::min(room, data.size());
        wire_->to_module.append(reinterpret_cast<const char*>(data.data()), n);
        data = data.subspan(n);
        return true;
      });
      if (gone) return make_error(TransportErrc::closed, wire_->name + ": port went away");
      if (!moved) return make_error(TransportErrc::timeout, wire_->name + ": the module took no more bytes in time");
    }
    return {};
  }

  Status drain(TimePoint) override { return {}; }
  void discard_input() override {
    clock_.change([&] { wire_->to_host.clear(); });
  }
  const std::string& name() const override { return wire_->name; }

private:
  static constexpr std::size_t kBuffer = MemoryPorts::kBuffer;
  std::shared_ptr<Wire> wire_;
  VirtualClock& clock_;
};

class ModuleEnd final : public ModulePort {
public:
  ModuleEnd(std::shared_ptr<Wire> wire, VirtualClock& clock, std::function<void()> unplug)
      : wire_(std::move(wire)), clock_(clock), unplug_(std::move(unplug)) {}
  ~ModuleEnd() override { unplug_(); }

  Expected<std::size_t> read_some(std::span<std::uint8_t> buffer, TimePoint deadline) override {
    return read_from(clock_, wire_->name, wire_->to_module, wire_->host_open, "no host has the port open", buffer,
                     deadline);
  }

  // Bytes for a host that has not opened the port are lost, as on a USB port
  // nobody reads.
  Status write_all(ByteSpan data, TimePoint) override {
    clock_.change([&] {
      if (wire_->host_open) wire_->to_host.append(reinterpret_cast<const char*>(data.data()), data.size());
    });
    return {};
  }
  Status drain(TimePoint) override { return {}; }
  void discard_input() override {
    clock_.change([&] { wire_->to_module.clear(); });
  }
  const std::string& name() const override { return wire_->name; }
  const std::string& terminal() const override { return wire_->name; }
  bool host_attached() const override {
    bool open = false;
    clock_.look([&] { open = wire_->host_open; });
    return open;
  }

private:
  std::shared_ptr<Wire> wire_;
  VirtualClock& clock_;
  std::function<void()> unplug_;
};

} // namespace

Expected<std::unique_ptr<ModulePort>> MemoryPorts::plug(const std::string& name) {
  auto wire = std::make_shared<Wire>();
  wire->name = name;
  bool taken = false;
  clock_.change([&] {
    auto [at, inserted] = plugged_.emplace(name, wire);
    taken = !inserted;
  });
  if (taken) return make_error(TransportErrc::open_failed, name + ": another port has this name");
  auto unplug = [this, wire] {
    clock_.change([&] {
      wire->module_present = false;
      auto at = plugged_.find(wire->name);
      if (at != plugged_.end() && at->second == wire) plugged_.erase(at);
    });
  };
  return std::unique_ptr<ModulePort>(std::make_unique<ModuleEnd>(wire, clock_, std::move(unplug)));
}

Expected<std::unique_ptr<Transport>> MemoryPorts::open(const std::string& spec, const SerialOptions&, TimePoint,
                                                       Clock&) {
  std::shared_ptr<Wire> wire;
  clock_.change([&] {
    auto at = plugged_.find(spec);
    if (at == plugged_.end()) return;
    wire = at->second;
    wire->host_open = true;
  });
  if (!wire) return make_error(TransportErrc::open_failed, spec + ": No such file or directory");
  return std::unique_ptr<Transport>(std::make_unique<HostEnd>(wire, clock_));
}

Expected<std::unique_ptr<Transport>>
MemoryPorts::reopen_when_back(const std::string& spec, const SerialOptions& options, TimePoint deadline, Clock& clock) {
  const bool back = clock_.wait_until(deadline, [&] { return plugged_.count(spec) > 0; });
  if (!back)
    return make_error(TransportErrc::timeout,
                      spec + ": the port did not come back in time (No such file or directory)");
  return open(spec, options, deadline, clock);
}

} // namespace dfota::transport
