#include "sim/curl_library.hpp"

#include <dlfcn.h>
#include <string>

#include "core/shared_library.hpp"

namespace dfota::sim {

namespace {

constexpr const char* kSoname = "libcurl.so.4"; // the ABI since libcurl 7.16

Expected<const CurlLibrary*> load() {
  static CurlLibrary library;
  std::string problem;
  void* handle = open_shared_library(kSoname, "URL downloads need libcurl", problem);
  if (!handle) return make_error(CoreErrc::unsupported, problem);
  CURLcode (*global_init)(long) = nullptr;
  std::string missing;
  resolve_symbol(handle, "curl_global_init", global_init, missing);
  resolve_symbol(handle, "curl_easy_init", library.easy_init, missing);
  resolve_symbol(handle, "curl_easy_setopt", library.easy_setopt, missing);
  resolve_symbol(handle, "curl_easy_perform", library.easy_perform, missing);
  resolve_symbol(handle, "curl_easy_getinfo", library.easy_getinfo, missing);
  resolve_symbol(handle, "curl_easy_cleanup", library.easy_cleanup, missing);
  resolve_symbol(handle, "curl_easy_strerror", library.easy_strerror, missing);
  if (auto lacking = lacking_symbols(handle, kSoname, missing)) return make_error(CoreErrc::unsupported, *lacking);
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
