#include "transport/transport.hpp"

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

namespace dfota::transport {

namespace {

// errno values that mean the device or the peer is gone.
bool is_gone(int error) {
  return error == EIO || error == ENXIO || error == ENODEV || error == EPIPE || error == ECONNRESET || error == EBADF ||
         error == ESHUTDOWN;
}
} // namespace

FdTransport::FdTransport(int fd, std::string name, Clock& clock) : clock_(clock), fd_(fd), name_(std::move(name)) {}

FdTransport::~FdTransport() {
  if (fd_ >= 0) ::close(fd_);
}

Expected<std::size_t> FdTransport::read_some(std::span<std::uint8_t> buffer, TimePoint deadline) {
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, milliseconds_until(clock_, deadline));
    if (ready < 0) {
      if (errno == EINTR) continue;
      return system_error(name_, errno);
    }
    if (ready == 0) return make_error(TransportErrc::timeout, name_ + ": nothing received in time");
    if (p.revents & POLLNVAL) return make_error(TransportErrc::closed, name_ + ": port is closed");
    ssize_t n = ::read(fd_, buffer.data(), buffer.size());
    if (n > 0) return static_cast<std::size_t>(n);
    if (n == 0) return make_error(TransportErrc::closed, name_ + ": port went away");
    if (errno == EAGAIN || errno == EINTR) {
      if (p.revents & (POLLHUP | POLLERR)) return make_error(TransportErrc::closed, name_ + ": port went away");
      continue;
    }
    if (is_gone(errno))
      return make_error(TransportErrc::closed, name_ + ": port went away (" + std::strerror(errno) + ")");
    return system_error(name_, errno);
  }
}

Status FdTransport::write_all(ByteSpan data, TimePoint deadline) {
  while (!data.empty()) {
    ssize_t n = ::write(fd_, data.data(), data.size());
    if (n > 0) {
      data = data.subspan(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) {
      if (is_gone(errno))
        return make_error(TransportErrc::closed, name_ + ": port went away (" + std::strerror(errno) + ")");
      return system_error(name_, errno);
    }
    pollfd p{fd_, POLLOUT, 0};
    int ready = ::poll(&p, 1, milliseconds_until(clock_, deadline));
    if (ready < 0 && errno != EINTR) return system_error(name_, errno);
    if (ready == 0) return make_error(TransportErrc::timeout, name_ + ": the other side takes no more data");
    if (ready > 0 && (p.revents & (POLLHUP | POLLERR | POLLNVAL)) && !(p.revents & POLLOUT))
      return make_error(TransportErrc::closed, name_ + ": port went away");
  }
  return {};
}

Status FdTransport::drain(TimePoint deadline) {
  // tcdrain() cannot time out; poll the output queue instead. Sockets and
  // pseudo-terminal masters report ENOTTY/EINVAL: nothing to wait for.
  for (;;) {
    int queued = 0;
    if (::ioctl(fd_, TIOCOUTQ, &queued) != 0 || queued <= 0) return {};
    if (clock_.now() >= deadline) return make_error(TransportErrc::timeout, name_ + ": output did not drain in time");
    clock_.sleep_for(Duration(2));
  }
}

void FdTransport::discard_input() {
  if (::tcflush(fd_, TCIFLUSH) == 0) return;
  std::uint8_t scratch[4096];
  while (::read(fd_, scratch, sizeof scratch) > 0) {
  }
}

} // namespace dfota::transport
