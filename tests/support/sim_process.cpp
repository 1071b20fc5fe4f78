#include "support/sim_process.hpp"

#include <algorithm>
#include <csignal>
#include <sys/wait.h>
#include <thread>

#include "support/test_support.hpp"

namespace dfota::test {

SimProcess::SimProcess(Unstarted, const fs::path& dir, const std::string& name)
    : link_(dir / ("port-" + name)), dir_(dir), name_(name) {}

SimProcess::SimProcess(const fs::path& dir, const std::string& profile, std::vector<std::string> extra,
                       const std::string& name)
    : SimProcess(Unstarted{}, dir, name.empty() ? profile : name) {
  firmware_ = dir / ("fw-" + name_);
  profile_ = profile;
  if (!fs::exists(firmware_))
    fs::copy(sample_firmware("v1"), firmware_, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  start(std::move(extra));
}

SimProcess SimProcess::replaying(const fs::path& dir, const fs::path& recording, const std::string& name,
                                 std::vector<std::string> extra) {
  SimProcess sim(Unstarted{}, dir, name);
  std::vector<std::string> argv{DFOTA_PROGRAM,      "sim",  "--replay", recording.string(), "--link",
                                sim.link_.string(), "--log"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  sim.launch(argv);
  return sim;
}

void SimProcess::start(std::vector<std::string> extra) {
  std::vector<std::string> argv{DFOTA_PROGRAM,      "sim",    "--profile",    profile_,      "--firmware",
                                firmware_.string(), "--link", link_.string(), "--boot-wait", "2",
                                "--guard-ms",       "200",    "--log"};
  // Reboots are instant unless the test says otherwise.
  if (std::find(extra.begin(), extra.end(), "--reboot-delay") == extra.end())
    argv.insert(argv.end(), {"--reboot-delay", "0"});
  argv.insert(argv.end(), extra.begin(), extra.end());
  launch(argv);
}

void SimProcess::launch(const std::vector<std::string>& argv) {
  process_ = ChildProcess(argv, dir_ / ("sim-" + name_ + "-" + std::to_string(++starts_) + ".log"));
  for (int i = 0; i < 200 && !fs::exists(link_); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

int SimProcess::wait_exit(int ms) {
  for (int waited = 0; waited < ms; waited += 10) {
    int status = 0;
    if (::waitpid(process_.pid(), &status, WNOHANG) == process_.pid()) {
      process_.release();
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

int SimProcess::terminate() {
  ::kill(process_.pid(), SIGTERM);
  return wait_exit(5000);
}

std::string SimProcess::output() const {
  const fs::path file = dir_ / ("sim-" + name_ + "-" + std::to_string(starts_) + ".log");
  return fs::exists(file) ? read_text(file) : std::string();
}

} // namespace dfota::test
