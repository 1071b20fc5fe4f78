// The module's side of a pseudo-terminal: what the simulator serves its AT
// port on. A stable symbolic link points at the terminal the host opens, as
// /dev/serial/by-path names a real module's port.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "transport/module_port.hpp"

namespace dfota::transport {

class PtyPort final : public ModulePort {
public:
  // Creates a pseudo-terminal in raw mode and points `link` at its terminal,
  // replacing an older link atomically. The link is removed on destruction
  // (when it still points here); the host's side then reads a hang-up.
  static Expected<std::unique_ptr<PtyPort>> create(const std::filesystem::path& link, Clock& clock = steady_clock());
  ~PtyPort() override;

  Expected<std::size_t> read_some(std::span<std::uint8_t> buffer, TimePoint deadline) override {
    return master_.read_some(buffer, deadline);
  }
  Status write_all(ByteSpan data, TimePoint deadline) override { return master_.write_all(data, deadline); }
  Status drain(TimePoint deadline) override { return master_.drain(deadline); }
  void discard_input() override { master_.discard_input(); }
  const std::string& name() const override { return master_.name(); }

  const std::string& terminal() const override { return terminal_; }
  // True while some process has the terminal open.
  bool host_attached() const override;

private:
  PtyPort(int master, std::string terminal, std::filesystem::path link, Clock& clock);
  FdTransport master_;
  std::string terminal_;
  std::filesystem::path link_;
};

} // namespace dfota::transport
