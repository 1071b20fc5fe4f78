#include "sim/curl_library.hpp"

#include <dlfcn.h>
#include <string>

namespace dfota::sim {

namespace {

constexpr const char* kSoname = "libcurl.so.4"; // the ABI since libcurl 7.16

// Looks `name` up; adds it to `missing` when the library lacks it.
template <class Function> void resolve(void* handle, const char* name, Function& function, std::string& missing) {
  function = reinterpret_cast<Function>(dlsym(handle, name));
  if (!function) missing += missing.empty() ? name : std::string(", ") + name;
}

Expected<const CurlLibrary*> load() {
  static CurlLibrary library;
  void* handle = dlopen(kSoname, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = dlerror();
    return make_error(CoreErrc::unsupported, std::string("URL downloads need libcurl (") + kSoname +
                                                 "), which cannot be loaded: " + (why ? why : "unknown reason"));
  }
  CURLcode (*global_init)(long) = nullptr;
  std::string missing;
  resolve(handle, "curl_global_init", global_init, missing);
  resolve(handle, "curl_easy_init", library.easy_init, missing);
  resolve(handle, "curl_easy_setopt", library.easy_setopt, missing);
  resolve(handle, "curl_easy_perform", library.easy_perform, missing);
  resolve(handle, "curl_easy_getinfo", library.easy_getinfo, missing);
  resolve(handle, "curl_easy_cleanup", library.easy_cleanup, missing);
  resolve(handle, "curl_easy_strerror", library.easy_strerror, missing);
  if (!missing.empty()) {
    dlclose(handle);
    return make_error(CoreErrc::unsupported, std::string(kSoname) + " lacks " + missing);
  }
  if (const CURLcode rc = global_init(CURL_GLOBAL_DEFAULT); rc != CURLE_OK) {
    return make_error(CoreErrc::unsupported, std::string("libcurl cannot start: ") + library.easy_strerror(rc));
  }
  return &library;
}

} // namespace

Expected<const CurlLibrary*> curl_library() {
  static const Expected<const CurlLibrary*> loaded = load(); // initialised once, thread-safely
  return loaded;
}

} // namespace dfota::sim
