#include "upload/fleet.hpp"

#include <fstream>
#include <stdexcept>
#include <thread>

namespace dfota::upload {

std::vector<UploadOutcome> run_fleet(const UploadOptions& options, const std::vector<std::string>& ports,
                                     const profiles::Profile* profile, const profiles::Registry& registry,
                                     const std::function<ModuleObserver(std::size_t index)>& observe,
                                     transport::Clock& clock, transport::PortOpener& opener) {
  std::vector<UploadOutcome> outcomes(ports.size());
  std::vector<std::thread> workers;
  workers.reserve(ports.size());
  for (std::size_t i = 0; i < ports.size(); ++i) {
    workers.emplace_back([&, i] {
      UploadOptions mine = options;
      mine.port = ports[i];
      ModuleObserver observer = observe ? observe(i) : ModuleObserver{};
      outcomes[i] = run_upload(mine, profile, registry, observer.on_event, observer.log, clock, opener);
    });
  }
  for (auto& worker : workers)
    worker.join();
  return outcomes;
}

Expected<std::vector<std::string>> read_ports_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return make_error(CoreErrc::io_error, "cannot read the ports file " + path.string());
  std::vector<std::string> ports;
  for (std::string line; std::getline(in, line);) {
    line.erase(0, line.find_first_not_of(" \t"));
    line.erase(line.find_last_not_of(" \t\r") + 1);
    if (!line.empty() && line[0] != '#') ports.push_back(line);
  }
  if (in.bad()) return make_error(CoreErrc::io_error, "cannot read the ports file " + path.string());
  return ports;
}

Status apply_timeout_setting(const std::string& setting, UploadTimeouts& timeouts) {
  const auto eq = setting.find('=');
  double seconds = -1;
  if (eq != std::string::npos) {
    try {
      std::size_t used = 0;
      const std::string number = setting.substr(eq + 1);
      seconds = std::stod(number, &used);
      if (used != number.size()) seconds = -1;
    } catch (const std::exception&) {
      seconds = -1;
    }
  }
  const std::string key = eq == std::string::npos ? setting : setting.substr(0, eq);
  transport::Duration* target = key == "command"   ? &timeouts.command
                                : key == "urc"     ? &timeouts.urc_gap
                                : key == "port"    ? &timeouts.port_back
                                : key == "version" ? &timeouts.version
                                : key == "total"   ? &timeouts.total
                                                   : nullptr;
  if (!target || !(seconds > 0) || seconds > 86400)
    return make_error(CoreErrc::invalid_input, setting + ": expected command|urc|port|version|total=SECONDS");
  *target = transport::Duration(static_cast<long>(seconds * 1000));
  return {};
}

} // namespace dfota::upload
