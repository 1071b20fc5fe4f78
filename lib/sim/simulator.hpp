// A virtual module: serves a family's AT dialect on a pseudo-terminal and
// really upgrades its firmware directory with the project's library.
//
// Single-threaded: run() serves the port until asked to stop. The firmware
// directory, file store and upgrade flag live on disk, so a new Simulator on
// the same directories continues where the last one stopped (an upgrade
// interrupted by a power loss resumes).
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "sim/commands/command_table.hpp"
#include "sim/errors.hpp"
#include "sim/module.hpp"
#include "sim/options.hpp"
#include "sim/upgrader.hpp"

namespace dfota::sim {

class Simulator {
public:
  // Checks the options, reads the firmware and creates the port and link.
  static Expected<std::unique_ptr<Simulator>> create(SimOptions options);
  ~Simulator();

  // Serves the port until `stop` becomes true (checked at least every
  // 100 ms) or power is lost (SimErrc::power_lost). A pending upgrade is
  // resumed first. The link is removed on return.
  Status run(const std::atomic<bool>& stop);

  // The terminal currently behind the link.
  std::string terminal() const;
  const firmware::FirmwareInfo& firmware() const;

private:
  explicit Simulator(std::unique_ptr<Module> module);

  // Reads command lines until stopped or without power.
  void serve_commands();
  // One command line: noise before "AT" ignored, faults applied, then the
  // command table.
  void handle_line(const std::string& line);

  std::unique_ptr<Module> module_; // first: the parts below refer to it
  Upgrader upgrader_;
  CommandTable commands_;
  std::string line_; // the command line being typed
};

} // namespace dfota::sim
