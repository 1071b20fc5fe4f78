// A module's AT port as the host opens it: a real serial device (UART or USB
// CDC-ACM), a pseudo-terminal (the simulator), or a TCP endpoint.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "transport/transport.hpp"

namespace dfota::transport {

enum class FlowControl { none, rtscts };

struct SerialOptions {
  std::uint32_t baud = 115200;
  FlowControl flow_control = FlowControl::none;
  bool assert_dtr = true;
  bool exclusive = true; // TIOCEXCL: a second opener gets EBUSY
};

// Opens a tty in raw 8N1 mode with the baud rate and flow control asked
// for, discarding bytes that arrived before. Device settings that a
// pseudo-terminal does not have (modem lines) are skipped on one.
Expected<std::unique_ptr<FdTransport>> open_serial(const std::string& path, const SerialOptions& options,
                                                   Clock& clock = steady_clock());

// Connects to HOST:PORT (a serial-over-TCP server such as ser2net).
Expected<std::unique_ptr<FdTransport>> connect_tcp(const std::string& host_port, TimePoint deadline,
                                                   Clock& clock = steady_clock());

// "tcp:HOST:PORT" connects over TCP, anything else opens a serial device.
Expected<std::unique_ptr<FdTransport>> open_port(const std::string& spec, const SerialOptions& options,
                                                 TimePoint deadline, Clock& clock = steady_clock());

// After a USB module reboots its port disappears and comes back under the
// same stable name (a /dev/serial/by-path link, or the simulator's link).
// Polls every `interval` until `path` can be opened, or fails with timeout
// at `deadline`.
Expected<std::unique_ptr<FdTransport>> reopen_when_back(const std::string& spec, const SerialOptions& options,
                                                        TimePoint deadline, Clock& clock = steady_clock(),
                                                        Duration interval = Duration(20));

// termios speed constant for a baud rate, or nothing when the system has none.
std::optional<unsigned> baud_constant(std::uint32_t baud);

} // namespace dfota::transport
