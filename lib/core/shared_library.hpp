// Looking up the functions of a library loaded on first use (dlopen), for
// the libraries a dfota process only sometimes needs (libcurl for the
// simulator's downloads, libsystemd for ModemManager).
#pragma once

#include <dlfcn.h>

#include <optional>
#include <string>

namespace dfota {

// dlopen(soname) (RTLD_NOW | RTLD_LOCAL) for a library loaded on first use:
// the handle, or null and in `problem` why it cannot be loaded, saying what
// `needed_for` ("URL downloads need libcurl").
inline void* open_shared_library(const char* soname, const std::string& needed_for, std::string& problem) {
  void* handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = dlerror();
    problem = needed_for + " (" + soname + "), which cannot be loaded: " + (why ? why : "unknown reason");
  }
  return handle;
}

// After resolve_symbol() on every function: when some are `missing`, closes
// `handle` and says which the library lacks; nothing when it has them all.
inline std::optional<std::string> lacking_symbols(void* handle, const char* soname, const std::string& missing) {
  if (missing.empty()) return std::nullopt;
  dlclose(handle);
  return std::string(soname) + " lacks " + missing;
}

// Sets `function` to the symbol `name` of `handle`; when the library lacks
// it, `function` is null and `name` is added to `missing` (comma-separated).
template <class Function>
void resolve_symbol(void* handle, const char* name, Function& function, std::string& missing) {
  function = reinterpret_cast<Function>(dlsym(handle, name));
  if (!function) missing += missing.empty() ? name : std::string(", ") + name;
}

} // namespace dfota
