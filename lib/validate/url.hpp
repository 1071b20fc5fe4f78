// URLs as modules take them in AT+QFOTADL: scheme://[user[:password]@]host[:port][/path].
#pragma once

#include <optional>
#include <string>

#include "core/error.hpp"

namespace dfota::validate {

struct Url {
  std::string scheme; // lowercase
  std::string user;
  std::string password;
  bool has_credentials = false;
  std::string host;
  std::optional<long> port; // as written; may be out of range (checked by rules)
  std::string path;         // after the host, without the leading '/'
};

// Parses a URL; fails with CoreErrc::invalid_input naming what is malformed.
// The message never contains the password.
Expected<Url> parse_url(const std::string& text);

// The URL with its password replaced by "***", for any output.
std::string redact_url(const std::string& text);

} // namespace dfota::validate
