// Looking up the functions of a library loaded on first use (dlopen), for
// the libraries a dfota process only sometimes needs (libcurl for the
// simulator's downloads, libsystemd for ModemManager).
#pragma once

#include <dlfcn.h>

#include <string>

namespace dfota {

// Sets `function` to the symbol `name` of `handle`; when the library lacks
// it, `function` is null and `name` is added to `missing` (comma-separated).
template <class Function>
void resolve_symbol(void* handle, const char* name, Function& function, std::string& missing) {
  function = reinterpret_cast<Function>(dlsym(handle, name));
  if (!function) missing += missing.empty() ? name : std::string(", ") + name;
}

} // namespace dfota
