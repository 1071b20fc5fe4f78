// The module's side of a pseudo-terminal: what the simulator serves its AT
// port on. A stable symbolic link points at the terminal the host opens, as
// /dev/serial/by-path names a real module's port.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "transport/transport.hpp"

namespace dfota::transport {

class PtyPort final : public FdTransport {
public:
  // Creates a pseudo-terminal in raw mode and points `link` at its terminal,
  // replacing an older link atomically. The link is removed on destruction
  // (when it still points here); the host's side then reads a hang-up.
  static Expected<std::unique_ptr<PtyPort>> create(const std::filesystem::path& link, Clock& clock = steady_clock());
  ~PtyPort() override;

  const std::string& terminal() const { return terminal_; }
  // True while some process has the terminal open. Reads made while nobody
  // has fail with closed; callers wait and try again.
  bool host_attached() const;

private:
  PtyPort(int master, std::string terminal, std::filesystem::path link, Clock& clock);
  std::string terminal_;
  std::filesystem::path link_;
};

} // namespace dfota::transport
