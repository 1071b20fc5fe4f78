#include "transport/pty.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

namespace dfota::transport {

namespace fs = std::filesystem;

PtyPort::PtyPort(int master, std::string terminal, fs::path link, Clock& clock)
    : master_(master, link.string(), clock), terminal_(std::move(terminal)), link_(std::move(link)) {}

Expected<std::unique_ptr<PtyPort>> PtyPort::create(const fs::path& link, Clock& clock) {
  int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (master < 0) return make_error(TransportErrc::open_failed, std::string("posix_openpt: ") + std::strerror(errno));
  if (::grantpt(master) != 0 || ::unlockpt(master) != 0) {
    int error = errno;
    ::close(master);
    return make_error(TransportErrc::open_failed, std::string("unlockpt: ") + std::strerror(error));
  }
  char name[128];
  if (::ptsname_r(master, name, sizeof name) != 0) {
    int error = errno;
    ::close(master);
    return make_error(TransportErrc::open_failed, std::string("ptsname: ") + std::strerror(error));
  }
  std::unique_ptr<PtyPort> port(new PtyPort(master, name, link, clock));
  // Raw mode on the terminal side, so that the line discipline neither
  // echoes nor translates; the settings stay while the master is open.
  int slave = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) return make_error(TransportErrc::open_failed, std::string(name) + ": " + std::strerror(errno));
  termios tio{};
  ::tcgetattr(slave, &tio);
  ::cfmakeraw(&tio);
  ::tcsetattr(slave, TCSANOW, &tio);
  ::close(slave);

  const fs::path temp = link.string() + ".new";
  std::error_code ec;
  fs::remove(temp, ec);
  if (::symlink(name, temp.c_str()) != 0 || ::rename(temp.c_str(), link.c_str()) != 0) {
    int error = errno;
    fs::remove(temp, ec);
    return make_error(TransportErrc::open_failed, link.string() + ": " + std::strerror(error));
  }
  return port;
}

PtyPort::~PtyPort() {
  std::error_code ec;
  if (fs::read_symlink(link_, ec) == fs::path(terminal_)) fs::remove(link_, ec);
}

bool PtyPort::host_attached() const {
  // A master reports POLLHUP while no process has the terminal open.
  pollfd p{master_.fd(), 0, 0};
  ::poll(&p, 1, 0);
  return !(p.revents & POLLHUP);
}

} // namespace dfota::transport
