// One byte-stream interface for every way to reach a module's AT port: a real
// serial port (termios), a pseudo-terminal, a TCP socket (ser2net style).
// Every call that can wait takes an explicit deadline.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "core/bytes.hpp"
#include "transport/clock.hpp"

namespace dfota::transport {

enum class TransportErrc {
  timeout = 1, // nothing arrived (or could be sent) before the deadline
  closed,      // the port went away: USB re-enumeration, hang-up, peer closed
  open_failed, // the port could not be opened or configured
  bad_setting, // an unsupported baud rate or option
};
const std::error_category& transport_category();
std::error_code make_error_code(TransportErrc value);

// What a module's AT port is on: some settings differ by it (hardware flow
// control is AT+IFC on a UART, AT+QCFG="usbifc" on USB).
enum class PortKind { uart, usb };

class Transport {
public:
  virtual ~Transport() = default;
  // Waits until `deadline` for at least one byte, then returns what is
  // available (at most buffer.size()). Fails with timeout when nothing came,
  // closed when the port is gone. A timeout leaves the transport usable.
  virtual Expected<std::size_t> read_some(std::span<std::uint8_t> buffer, TimePoint deadline) = 0;
  // Writes every byte or fails; timeout when the other side does not take
  // them in time (flow control held), closed when the port is gone. After a
  // failure an unknown prefix of `data` may have been sent.
  virtual Status write_all(ByteSpan data, TimePoint deadline) = 0;
  // Waits until the bytes written so far have left this side.
  virtual Status drain(TimePoint deadline) = 0;
  // Discards bytes received but not read yet.
  virtual void discard_input() = 0;
  // Path or address, for messages.
  virtual const std::string& name() const = 0;
};

// A transport over a file descriptor it owns (closed on destruction).
class FdTransport : public Transport {
public:
  FdTransport(int fd, std::string name, Clock& clock);
  ~FdTransport() override;
  FdTransport(const FdTransport&) = delete;
  FdTransport& operator=(const FdTransport&) = delete;

  Expected<std::size_t> read_some(std::span<std::uint8_t> buffer, TimePoint deadline) override;
  Status write_all(ByteSpan data, TimePoint deadline) override;
  Status drain(TimePoint deadline) override;
  void discard_input() override;
  const std::string& name() const override { return name_; }
  int fd() const { return fd_; }

protected:
  Clock& clock_;

private:
  int fd_;
  std::string name_;
};

} // namespace dfota::transport

template <> struct std::is_error_code_enum<dfota::transport::TransportErrc> : std::true_type {};
