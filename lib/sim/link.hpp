// The wire between host and simulated module: the module's port plus what
// a real link does to bytes. With a baud rate each direction carries at most
// baud/10 bytes per second; without working flow control, bytes that arrive
// faster than the module can take them overflow its receive buffer and are
// lost, as on real hardware.
#pragma once

#include <memory>
#include <optional>

#include "transport/module_port.hpp"

namespace dfota::sim {

// Bytes-per-second budget: when may `n` more bytes go out.
class Pacer {
public:
  explicit Pacer(std::optional<double> bytes_per_second) : rate_(bytes_per_second) {}
  // The earliest time at which `n` bytes fit; books them.
  transport::TimePoint reserve(std::size_t n, transport::TimePoint now);
  bool limited() const { return rate_.has_value(); }

private:
  std::optional<double> rate_;
  transport::TimePoint free_at_{};
};

// A receive buffer of `capacity` bytes drained at `bytes_per_second`:
// accept() says how many of `n` arriving bytes fit, the rest are lost.
class OverflowModel {
public:
  OverflowModel(double bytes_per_second, std::size_t capacity) : rate_(bytes_per_second), capacity_(capacity) {}
  std::size_t accept(std::size_t n, transport::TimePoint now);
  std::uint64_t lost() const { return lost_; }

private:
  double rate_;
  double capacity_;
  double level_ = 0;
  transport::TimePoint last_{};
  bool started_ = false;
  std::uint64_t lost_ = 0;
};

struct LinkSettings {
  std::optional<std::uint32_t> baud;
  // Bytes per second the module takes without flow control in data mode
  // (the family's limit); nothing when it keeps up with any rate.
  std::optional<std::uint64_t> unpaced_limit;
  std::size_t receive_buffer = 4096;
};

class Link {
public:
  Link(transport::Clock& clock, LinkSettings settings);

  void attach(std::unique_ptr<transport::ModulePort> port);
  void detach(); // the port goes away (reboot, power loss)
  const transport::ModulePort* port() const { return port_.get(); }
  bool host_attached() const { return port_ && port_->host_attached(); }

  // Sends bytes at the link's rate. Lost (not an error) when no host has
  // the port open, as on a USB port nobody reads.
  void send(std::string_view bytes);

  // Reads what arrived, waiting until `deadline`. In data mode the module
  // takes no more than the wire carries (baud/10 a second; the host's
  // writes wait in the terminal's buffer meanwhile, as behind a UART), and
  // with `flow_control` off, bytes beyond the family's intake limit are
  // dropped. May return 0 bytes (all lost). Fails with timeout, or closed
  // when no host has the port open.
  Expected<std::size_t> receive(std::span<std::uint8_t> buffer, transport::TimePoint deadline, bool data_mode,
                                bool flow_control);
  std::uint64_t lost_bytes() const { return lost_; }
  void reset_data_mode(); // a new data phase starts with an empty buffer

private:
  transport::Clock& clock_;
  LinkSettings settings_;
  std::unique_ptr<transport::ModulePort> port_;
  Pacer out_;
  Pacer in_;
  std::optional<OverflowModel> overflow_;
  std::uint64_t lost_ = 0;
};

} // namespace dfota::sim
