#include "support/private_bus.hpp"

#include <systemd/sd-bus.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/subprocess.hpp"
#include "support/test_support.hpp"

namespace dfota::test {

namespace fs = std::filesystem;

namespace {
// The system Python: python-dbusmock is a Debian package of it.
constexpr const char* kSystemPython = "/usr/bin/python3";
} // namespace

bool private_bus_available() {
  if (!program_available("dbus-daemon")) return false;
  auto r = run_program({kSystemPython, "-c", "import dbusmock"});
  return r && r->exit_status == 0;
}

PrivateSystemBus::PrivateSystemBus(const fs::path& dir) : dir_(dir) {
  fs::create_directories(dir_);
  const fs::path output = dir_ / "dbus-daemon.out";
  daemon_ = ChildProcess({"dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1",
                          "--address=unix:dir=" + dir_.string()},
                         output);
  for (int i = 0; i < 500 && address_.empty(); ++i) {
    std::ifstream in(output);
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("unix:", 0) == 0) address_ = line;
    if (address_.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!address_.empty()) ::setenv("DBUS_SYSTEM_BUS_ADDRESS", address_.c_str(), 1);
}

PrivateSystemBus::~PrivateSystemBus() {
  modem_manager_.stop();
  daemon_.stop();
  ::unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
}

bool PrivateSystemBus::name_has_owner(const std::string& name) const {
  sd_bus* bus = nullptr;
  if (sd_bus_new(&bus) < 0) return false;
  bool owned = false;
  if (sd_bus_set_address(bus, address_.c_str()) >= 0 && sd_bus_set_bus_client(bus, 1) >= 0 && sd_bus_start(bus) >= 0) {
    sd_bus_message* reply = nullptr;
    if (sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameHasOwner",
                           nullptr, &reply, "s", name.c_str()) >= 0) {
      int has = 0;
      owned = sd_bus_message_read(reply, "b", &has) >= 0 && has;
    }
    sd_bus_message_unref(reply);
  }
  sd_bus_flush_close_unref(bus);
  return owned;
}

bool PrivateSystemBus::start_modem_manager(const std::string& device, const std::vector<std::string>& ports,
                                           bool refuse) {
  const nlohmann::json parameters{{"device", device}, {"ports", ports}, {"refuse", refuse}};
  modem_manager_ = ChildProcess({kSystemPython, "-m", "dbusmock", "--template",
                                 (source_dir() / "tests/support/modemmanager_mock.py").string(), "-l",
                                 (dir_ / "modemmanager-calls.log").string(), "-p", parameters.dump()},
                                dir_ / "modemmanager.out");
  for (int i = 0; i < 1000; ++i) {
    if (name_has_owner("org.freedesktop.ModemManager1")) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

std::vector<std::string> PrivateSystemBus::inhibit_calls() const {
  std::vector<std::string> calls;
  std::ifstream in(dir_ / "modemmanager-calls.log");
  std::string line;
  const std::string method = " InhibitDevice ";
  while (std::getline(in, line)) {
    const auto at = line.find(method);
    if (at == std::string::npos) continue;
    std::string call = line.substr(at + method.size()); // "\"uid\" True"
    if (!call.empty() && call.front() == '"') {
      const auto end = call.find('"', 1);
      if (end != std::string::npos) call = call.substr(1, end - 1) + call.substr(end + 1);
    }
    calls.push_back(call);
  }
  return calls;
}

} // namespace dfota::test
