#include "validate/url.hpp"

#include <algorithm>
#include <cctype>

namespace dfota::validate {

Expected<Url> parse_url(const std::string& text) {
  Url url;
  auto sep = text.find("://");
  if (sep == std::string::npos || sep == 0) {
    return make_error(CoreErrc::invalid_input, "URL has no scheme:// prefix");
  }
  url.scheme = text.substr(0, sep);
  std::transform(url.scheme.begin(), url.scheme.end(), url.scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string rest = text.substr(sep + 3);
  auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  url.path = slash == std::string::npos ? "" : rest.substr(slash + 1);
  auto at = authority.rfind('@');
  if (at != std::string::npos) {
    url.has_credentials = true;
    std::string credentials = authority.substr(0, at);
    authority = authority.substr(at + 1);
    auto colon = credentials.find(':');
    url.user = credentials.substr(0, colon);
    if (colon != std::string::npos) url.password = credentials.substr(colon + 1);
  }
  auto colon = authority.rfind(':');
  if (colon != std::string::npos) {
    std::string port = authority.substr(colon + 1);
    authority = authority.substr(0, colon);
    if (port.empty() || port.size() > 6 || !std::all_of(port.begin(), port.end(), ::isdigit)) {
      return make_error(CoreErrc::invalid_input, "URL port is not a number");
    }
    url.port = std::stol(port);
  }
  url.host = authority;
  if (url.host.empty()) return make_error(CoreErrc::invalid_input, "URL has no server");
  return url;
}

std::string redact_url(const std::string& text) {
  auto sep = text.find("://");
  if (sep == std::string::npos) return text;
  auto slash = text.find('/', sep + 3);
  auto at = text.rfind('@', slash);
  if (at == std::string::npos || at < sep) return text;
  auto colon = text.find(':', sep + 3);
  if (colon == std::string::npos || colon > at) return text;
  return text.substr(0, colon + 1) + "***" + text.substr(at);
}

} // namespace dfota::validate
