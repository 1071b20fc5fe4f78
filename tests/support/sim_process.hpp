// `dfota sim` as a child process: a module on its own firmware copy (sample
// v1), or the module of a recording (--replay). Its output goes to a file in
// the test's directory.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "support/loopback_servers.hpp"

namespace dfota::test {

class SimProcess {
public:
  // A module of `profile`; `name` tells several modules of one family apart
  // (default: the family).
  SimProcess(const std::filesystem::path& dir, const std::string& profile, std::vector<std::string> extra = {},
             const std::string& name = "");
  // The module that `recording` (a log of dfota upload --log-file) shows,
  // replayed with `extra` options, on the link "port-<name>".
  static SimProcess replaying(const std::filesystem::path& dir, const std::filesystem::path& recording,
                              const std::string& name, std::vector<std::string> extra = {});

  // (Re)starts the simulator on the same firmware; waits up to 2 s for its link.
  void start(std::vector<std::string> extra = {});
  // The exit code once the process ends by itself, or -1 after `ms`.
  int wait_exit(int ms);
  // SIGTERM, then the exit code (-1 when it does not end within 5 s).
  int terminate();
  const std::filesystem::path& link() const { return link_; }
  const std::filesystem::path& firmware() const { return firmware_; }
  // What the process printed so far.
  std::string output() const;

private:
  struct Unstarted {};
  SimProcess(Unstarted, const std::filesystem::path& dir, const std::string& name);
  void launch(const std::vector<std::string>& argv);

  std::filesystem::path firmware_, link_, dir_;
  std::string profile_, name_;
  ChildProcess process_;
  int starts_ = 0;
};

} // namespace dfota::test
