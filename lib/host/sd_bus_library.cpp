#include "host/sd_bus_library.hpp"

#include <dlfcn.h>
#include <string>

#include "core/shared_library.hpp"
#include "host/modem_manager.hpp"

namespace dfota::host {

namespace {

constexpr const char* kSoname = "libsystemd.so.0";

Expected<const SdBusLibrary*> load() {
  static SdBusLibrary library;
  void* handle = dlopen(kSoname, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = dlerror();
    return make_error(HostErrc::bus_unavailable, std::string("talking to ModemManager needs libsystemd (") + kSoname +
                                                     "), which cannot be loaded: " + (why ? why : "unknown reason"));
  }
  std::string missing;
  resolve_symbol(handle, "sd_bus_open_system", library.open_system, missing);
  resolve_symbol(handle, "sd_bus_set_method_call_timeout", library.set_method_call_timeout, missing);
  resolve_symbol(handle, "sd_bus_call_method", library.call_method, missing);
  resolve_symbol(handle, "sd_bus_message_read", library.message_read, missing);
  resolve_symbol(handle, "sd_bus_message_enter_container", library.message_enter_container, missing);
  resolve_symbol(handle, "sd_bus_message_exit_container", library.message_exit_container, missing);
  resolve_symbol(handle, "sd_bus_message_skip", library.message_skip, missing);
  resolve_symbol(handle, "sd_bus_message_unref", library.message_unref, missing);
  resolve_symbol(handle, "sd_bus_flush", library.flush, missing);
  resolve_symbol(handle, "sd_bus_flush_close_unref", library.flush_close_unref, missing);
  resolve_symbol(handle, "sd_bus_error_free", library.error_free, missing);
  resolve_symbol(handle, "sd_bus_error_is_set", library.error_is_set, missing);
  if (!missing.empty()) {
    dlclose(handle);
    return make_error(HostErrc::bus_unavailable, std::string(kSoname) + " lacks " + missing);
  }
  return &library;
}

} // namespace

Expected<const SdBusLibrary*> sd_bus_library() {
  static const Expected<const SdBusLibrary*> loaded = load(); // initialised once, thread-safely
  return loaded;
}

} // namespace dfota::host
