#include "transport/serial_port.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

namespace dfota::transport {

std::optional<unsigned> baud_constant(std::uint32_t baud) {
  switch (baud) {
  case 1200: return B1200;
  case 2400: return B2400;
  case 4800: return B4800;
  case 9600: return B9600;
  case 19200: return B19200;
  case 38400: return B38400;
  case 57600: return B57600;
  case 115200: return B115200;
  case 230400: return B230400;
  case 460800: return B460800;
  case 921600: return B921600;
  case 1000000: return B1000000;
  case 2000000: return B2000000;
  case 3000000: return B3000000;
  case 4000000: return B4000000;
  default: return std::nullopt;
  }
}

Expected<std::unique_ptr<FdTransport>> open_serial(const std::string& path, const SerialOptions& options,
                                                   Clock& clock) {
  auto speed = baud_constant(options.baud);
  if (!speed)
    return make_error(TransportErrc::bad_setting, path + ": unsupported baud rate " + std::to_string(options.baud));
  int fd = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return make_error(TransportErrc::open_failed, path + ": " + std::strerror(errno));
  auto port = std::make_unique<FdTransport>(fd, path, clock);
  termios tio{};
  if (::tcgetattr(fd, &tio) != 0)
    return make_error(TransportErrc::open_failed, path + ": not a serial port (" + std::strerror(errno) + ")");
  if (options.exclusive && ::ioctl(fd, TIOCEXCL) != 0)
    return make_error(TransportErrc::open_failed, path + ": cannot get exclusive access");
  ::cfmakeraw(&tio);
  tio.c_cflag |= CLOCAL | CREAD;
  tio.c_cflag &= ~(CSTOPB | PARENB | CSIZE);
  tio.c_cflag |= CS8;
  if (options.flow_control == FlowControl::rtscts)
    tio.c_cflag |= CRTSCTS;
  else
    tio.c_cflag &= ~CRTSCTS;
  tio.c_iflag &= ~(IXON | IXOFF | IXANY);
  tio.c_cc[VMIN] = 0;
  tio.c_cc[VTIME] = 0;
  ::cfsetispeed(&tio, *speed);
  ::cfsetospeed(&tio, *speed);
  if (::tcsetattr(fd, TCSANOW, &tio) != 0)
    return make_error(TransportErrc::open_failed, path + ": cannot configure (" + std::strerror(errno) + ")");
  // Modem lines exist on real ports only; a pseudo-terminal refuses them.
  int dtr = TIOCM_DTR | TIOCM_RTS;
  (void)::ioctl(fd, options.assert_dtr ? TIOCMBIS : TIOCMBIC, &dtr);
  ::tcflush(fd, TCIOFLUSH);
  return port;
}

Expected<std::unique_ptr<FdTransport>> connect_tcp(const std::string& host_port, TimePoint deadline, Clock& clock) {
  const auto colon = host_port.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == host_port.size())
    return make_error(TransportErrc::bad_setting, host_port + ": expected HOST:PORT");
  std::string host = host_port.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string service = host_port.substr(colon + 1);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0)
    return make_error(TransportErrc::open_failed, host_port + ": " + ::gai_strerror(rc));
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(found, ::freeaddrinfo);
  std::string last_error = "no address";
  for (addrinfo* a = found; a; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    auto port = std::make_unique<FdTransport>(fd, "tcp:" + host_port, clock);
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
      last_error = std::strerror(errno);
      continue;
    }
    pollfd p{fd, POLLOUT, 0};
    int ready = ::poll(&p, 1, milliseconds_until(clock, deadline));
    int error = 0;
    socklen_t length = sizeof error;
    if (ready <= 0) {
      last_error = "connection timed out";
      continue;
    }
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) {
      last_error = std::strerror(error);
      continue;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return port;
  }
  return make_error(TransportErrc::open_failed, host_port + ": " + last_error);
}

Expected<std::unique_ptr<FdTransport>> open_port(const std::string& spec, const SerialOptions& options,
                                                 TimePoint deadline, Clock& clock) {
  if (spec.rfind("tcp:", 0) == 0) return connect_tcp(spec.substr(4), deadline, clock);
  return open_serial(spec, options, clock);
}

Expected<std::unique_ptr<FdTransport>> reopen_when_back(const std::string& spec, const SerialOptions& options,
                                                        TimePoint deadline, Clock& clock, Duration interval) {
  for (;;) {
    auto port = open_port(spec, options, deadline, clock);
    if (port) return port;
    if (clock.now() >= deadline)
      return make_error(TransportErrc::timeout,
                        spec + ": the port did not come back in time (" + port.error().message() + ")");
    clock.sleep_for(interval);
  }
}

} // namespace dfota::transport
