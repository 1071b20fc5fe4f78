// libsystemd's sd-bus, loaded on first use (dlopen of libsystemd.so.0)
// instead of linked. Only talking to ModemManager needs it, and a linked
// libsystemd brings libgcrypt, liblz4, libcap and libgpg-error into every
// dfota process: 3.4 MiB more resident at each start (`dfota --version`
// 6.9 -> 10.3 MiB), for `diff` and `inspect` as much as for `upload`. The
// functions keep sd-bus's own contracts; systemd/sd-bus.h still provides the
// types.
#pragma once

#include <systemd/sd-bus.h>

#include "core/error.hpp"

namespace dfota::host {

struct SdBusLibrary {
  int (*open_system)(sd_bus**) = nullptr;
  int (*set_method_call_timeout)(sd_bus*, uint64_t) = nullptr;
  int (*call_method)(sd_bus*, const char*, const char*, const char*, const char*, sd_bus_error*, sd_bus_message**,
                     const char*, ...) = nullptr;
  int (*message_read)(sd_bus_message*, const char*, ...) = nullptr;
  int (*message_enter_container)(sd_bus_message*, char, const char*) = nullptr;
  int (*message_exit_container)(sd_bus_message*) = nullptr;
  int (*message_skip)(sd_bus_message*, const char*) = nullptr;
  sd_bus_message* (*message_unref)(sd_bus_message*) = nullptr;
  int (*flush)(sd_bus*) = nullptr;
  sd_bus* (*flush_close_unref)(sd_bus*) = nullptr;
  void (*error_free)(sd_bus_error*) = nullptr;
  int (*error_is_set)(const sd_bus_error*) = nullptr;
};

// The library, loaded by the first call; later calls return the same object
// or the same failure (HostErrc::bus_unavailable, naming what is missing).
// Thread-safe. The library stays loaded until the process exits.
Expected<const SdBusLibrary*> sd_bus_library();

} // namespace dfota::host
