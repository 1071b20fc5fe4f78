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
  std::string problem;
  void* handle = open_shared_library(kSoname, "talking to ModemManager needs libsystemd", problem);
  if (!handle) return make_error(HostErrc::bus_unavailable, problem);
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
  if (auto lacking = lacking_symbols(handle, kSoname, missing)) return make_error(HostErrc::bus_unavailable, *lacking);
  return &library;
}

} // namespace

Expected<const SdBusLibrary*> sd_bus_library() {
  static const Expected<const SdBusLibrary*> loaded = load(); // initialised once, thread-safely
  return loaded;
}

} // namespace dfota::host
