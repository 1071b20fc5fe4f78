#include "host/modem_manager.hpp"

#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>
#include <set>
#include <vector>

#include "core/text.hpp"
#include "host/sd_bus_library.hpp"

namespace dfota::host {
namespace {

namespace fs = std::filesystem;

// The loaded sd-bus. Only called once inhibit_modem() has loaded it: every
// object that calls it exists only after a successful load.
const SdBusLibrary& bus_library() { return **sd_bus_library(); }

constexpr const char* kService = "org.freedesktop.ModemManager1";
constexpr const char* kManagerPath = "/org/freedesktop/ModemManager1";
constexpr const char* kModemInterface = "org.freedesktop.ModemManager1.Modem";

// Owns an sd_bus connection: flushed and closed on destruction.
struct BusDeleter {
  void operator()(sd_bus* bus) const { bus_library().flush_close_unref(bus); }
};
using Bus = std::unique_ptr<sd_bus, BusDeleter>;
struct MessageDeleter {
  void operator()(sd_bus_message* message) const { bus_library().message_unref(message); }
};
using Message = std::unique_ptr<sd_bus_message, MessageDeleter>;
// Frees an sd_bus_error's strings on destruction.
struct BusError {
  sd_bus_error error{}; // SD_BUS_ERROR_NULL, without its C compound literal
  ~BusError() { bus_library().error_free(&error); }
  // "name: message", cleaned for one line on a terminal.
  std::string text(int result) const {
    if (bus_library().error_is_set(&error))
      return printable(std::string(error.name) + ": " + (error.message ? error.message : ""));
    return std::strerror(-result);
  }
};

Error bad_reply(int result) {
  return make_error(HostErrc::bad_reply,
                    std::string("ModemManager's list of modems cannot be read: ") + std::strerror(-result));
}

// One modem object of GetManagedObjects: its Device and its ports' names.
struct ModemObject {
  std::string path, device;
  std::vector<std::string> ports;
};

// Reads the a{sv} of the Modem interface at the message's position.
int read_modem_properties(sd_bus_message* m, ModemObject& modem) {
  int r = bus_library().message_enter_container(m, 'a', "{sv}");
  if (r < 0) return r;
  while ((r = bus_library().message_enter_container(m, 'e', "sv")) > 0) {
    const char* name = nullptr;
    if ((r = bus_library().message_read(m, "s", &name)) < 0) return r;
    if (std::strcmp(name, "Device") == 0) {
      const char* device = nullptr;
      if ((r = bus_library().message_read(m, "v", "s", &device)) < 0) return r;
      modem.device = device;
    } else if (std::strcmp(name, "Ports") == 0) {
      if ((r = bus_library().message_enter_container(m, 'v', "a(su)")) < 0) return r;
      if ((r = bus_library().message_enter_container(m, 'a', "(su)")) < 0) return r;
      const char* port = nullptr;
      std::uint32_t type = 0;
      while ((r = bus_library().message_read(m, "(su)", &port, &type)) > 0)
        modem.ports.emplace_back(port);
      if (r < 0) return r;
      if ((r = bus_library().message_exit_container(m)) < 0 || (r = bus_library().message_exit_container(m)) < 0)
        return r;
    } else if ((r = bus_library().message_skip(m, "v")) < 0) {
      return r;
    }
    if ((r = bus_library().message_exit_container(m)) < 0) return r;
  }
  if (r < 0) return r;
  return bus_library().message_exit_container(m);
}

// The modems of a GetManagedObjects reply (a{oa{sa{sv}}}).
Expected<std::vector<ModemObject>> read_modems(sd_bus_message* m) {
  std::vector<ModemObject> modems;
  int r = bus_library().message_enter_container(m, 'a', "{oa{sa{sv}}}");
  if (r < 0) return bad_reply(r);
  while ((r = bus_library().message_enter_container(m, 'e', "oa{sa{sv}}")) > 0) {
    const char* path = nullptr;
    if ((r = bus_library().message_read(m, "o", &path)) < 0) return bad_reply(r);
    ModemObject object{path, {}, {}};
    bool is_modem = false;
    if ((r = bus_library().message_enter_container(m, 'a', "{sa{sv}}")) < 0) return bad_reply(r);
    while ((r = bus_library().message_enter_container(m, 'e', "sa{sv}")) > 0) {
      const char* interface = nullptr;
      if ((r = bus_library().message_read(m, "s", &interface)) < 0) return bad_reply(r);
      if (std::strcmp(interface, kModemInterface) == 0) {
        is_modem = true;
        r = read_modem_properties(m, object);
      } else {
        r = bus_library().message_skip(m, "a{sv}");
      }
      if (r < 0 || (r = bus_library().message_exit_container(m)) < 0) return bad_reply(r);
    }
    if (r < 0 || (r = bus_library().message_exit_container(m)) < 0) return bad_reply(r);
    if ((r = bus_library().message_exit_container(m)) < 0) return bad_reply(r);
    if (is_modem) modems.push_back(std::move(object));
  }
  if (r < 0) return bad_reply(r);
  return modems;
}

class BusInhibition;
// The inhibitions alive in this process, for end_all_inhibitions(). The
// mutex also keeps two threads from using one connection at once.
std::mutex live_mutex;
std::set<BusInhibition*> live;

class BusInhibition final : public ModemManagerInhibition {
public:
  BusInhibition(Bus bus, ManagedModem modem) : bus_(std::move(bus)), modem_(std::move(modem)) {
    const std::lock_guard lock(live_mutex);
    live.insert(this);
  }
  ~BusInhibition() override {
    const std::lock_guard lock(live_mutex);
    live.erase(this);
    end();
  }
  const ManagedModem& modem() const override { return modem_; }
  // Ends the inhibition once; called with live_mutex held. Best effort:
  // when the call fails, closing the connection ends it all the same.
  void end() {
    if (ended_) return;
    ended_ = true;
    BusError error;
    bus_library().call_method(bus_.get(), kService, kManagerPath, kService, "InhibitDevice", &error.error, nullptr,
                              "sb", modem_.uid.c_str(), 0);
    bus_library().flush(bus_.get());
  }

private:
  Bus bus_;
  ManagedModem modem_;
  bool ended_ = false;
};

} // namespace

void end_all_inhibitions() {
  const std::lock_guard lock(live_mutex);
  for (BusInhibition* inhibition : live)
    inhibition->end();
}

std::optional<ModemManagerPolicy> parse_modem_manager_policy(std::string_view text) {
  if (text == "auto") return ModemManagerPolicy::automatic;
  if (text == "inhibit") return ModemManagerPolicy::inhibit;
  if (text == "ignore") return ModemManagerPolicy::ignore;
  return std::nullopt;
}

std::string modem_manager_port_name(const std::string& port) {
  if (port.rfind("tcp:", 0) == 0) return "";
  std::error_code ec;
  fs::path path = fs::weakly_canonical(port, ec);
  if (ec) path = port;
  const std::string text = path.string();
  if (text.rfind("/dev/", 0) == 0) return text.substr(5);
  return path.filename().string();
}

Expected<std::unique_ptr<ModemManagerInhibition>> inhibit_modem(const std::string& port,
                                                                std::chrono::milliseconds timeout) {
  const std::string name = modem_manager_port_name(port);
  if (name.empty()) return make_error(HostErrc::not_managed, "ModemManager manages no network port (" + port + ")");
  if (auto loaded = sd_bus_library(); !loaded) return loaded.error();
  sd_bus* raw = nullptr;
  if (int r = bus_library().open_system(&raw); r < 0)
    return make_error(HostErrc::bus_unavailable, std::string("no system bus: ") + std::strerror(-r));
  Bus bus(raw);
  bus_library().set_method_call_timeout(bus.get(), static_cast<std::uint64_t>(timeout.count()) * 1000);
  // Only a running ModemManager is asked: a call to its name would start it.
  {
    BusError error;
    sd_bus_message* reply = nullptr;
    int r = bus_library().call_method(bus.get(), "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                      "org.freedesktop.DBus", "NameHasOwner", &error.error, &reply, "s", kService);
    Message owned(reply);
    int running = 0;
    if (r < 0) return make_error(HostErrc::bus_unavailable, "the system bus does not answer: " + error.text(r));
    if (bus_library().message_read(reply, "b", &running) < 0 || !running)
      return make_error(HostErrc::bus_unavailable, "ModemManager does not run");
  }
  std::vector<ModemObject> modems;
  {
    BusError error;
    sd_bus_message* reply = nullptr;
    int r = bus_library().call_method(bus.get(), kService, kManagerPath, "org.freedesktop.DBus.ObjectManager",
                                      "GetManagedObjects", &error.error, &reply, "");
    Message owned(reply);
    if (r < 0) return make_error(HostErrc::refused, "ModemManager does not list its modems: " + error.text(r));
    auto read = read_modems(reply);
    if (!read) return read.error();
    modems = std::move(*read);
  }
  for (const ModemObject& modem : modems) {
    for (const std::string& port_name : modem.ports) {
      if (port_name != name) continue;
      if (modem.device.empty())
        return make_error(HostErrc::bad_reply, "ModemManager names no device for " + printable(modem.path));
      BusError error;
      int r = bus_library().call_method(bus.get(), kService, kManagerPath, kService, "InhibitDevice", &error.error,
                                        nullptr, "sb", modem.device.c_str(), 1);
      if (r < 0)
        return make_error(HostErrc::refused,
                          "ModemManager would not leave " + printable(modem.device) + " alone: " + error.text(r));
      return std::unique_ptr<ModemManagerInhibition>(
          new BusInhibition(std::move(bus), ManagedModem{modem.path, modem.device, port_name}));
    }
  }
  return make_error(HostErrc::not_managed, "ModemManager manages no modem with port " + printable(name) +
                                               " (it manages " + std::to_string(modems.size()) + ")");
}

} // namespace dfota::host
