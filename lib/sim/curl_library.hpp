// libcurl, loaded on first use (dlopen of libcurl.so.4) instead of linked.
// Only the simulator's URL downloads need it, and a linked libcurl brings
// about thirty libraries (TLS, Kerberos, LDAP, SSH) into every dfota
// process: about 4 MiB resident and their initialisers at each start, for
// `diff` and `inspect` as much as for `sim`. The functions keep libcurl's
// own contracts; curl/curl.h still provides the types and constants.
#pragma once

#include <curl/curl.h>

#include "core/error.hpp"

namespace dfota::sim {

struct CurlLibrary {
  CURL* (*easy_init)() = nullptr;
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...) = nullptr;
  CURLcode (*easy_perform)(CURL*) = nullptr;
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...) = nullptr;
  void (*easy_cleanup)(CURL*) = nullptr;
  const char* (*easy_strerror)(CURLcode) = nullptr;
};

// The library, loaded and initialised (curl_global_init) by the first call;
// later calls return the same object or the same failure
// (CoreErrc::unsupported, naming what is missing). Thread-safe. The library
// stays loaded until the process exits.
Expected<const CurlLibrary*> curl_library();

} // namespace dfota::sim
