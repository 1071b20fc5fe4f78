// URLs as modules take them in AT+QFOTADL: scheme://[user[:password]@]host[:port][/path].
#pragma once

#include <optional>
#include <string>

#include <vector>

#include "core/error.hpp"
#include "profiles/profile.hpp"

namespace dfota::profiles {

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

// What in `url` (`length` bytes as written) breaks the family's URL rules,
// one phrase each; empty when the module takes it. Never names the password.
std::vector<std::string> url_rule_problems(const Url& url, std::size_t length, const profiles::Profile& profile);

// The URL with its password replaced by "***", for any output. It does not
// depend on the URL parsing: a password with '/' or '@' in it, "ftp:/" with
// one slash, or no scheme at all ("user:pw@host/x") is hidden all the same.
std::string redact_url(const std::string& text);

} // namespace dfota::profiles
