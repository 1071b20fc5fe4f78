#include "profiles/url.hpp"

#include <algorithm>
#include <cctype>

namespace dfota::profiles {

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
  // No parsing that could fail: the credentials start after "scheme:" and
  // its slashes (however many), or at the start when there is no scheme; they
  // end at the last '@' of the text, so a password holding '/', '@' or '?'
  // is hidden whole. Text after a ':' before that '@' is the password. Where
  // the text is not a URL with credentials, at worst too much is hidden.
  std::size_t start = 0;
  std::size_t scheme_end = 0;
  while (scheme_end < text.size() && (std::isalnum(static_cast<unsigned char>(text[scheme_end])) ||
                                      text[scheme_end] == '+' || text[scheme_end] == '-' || text[scheme_end] == '.'))
    ++scheme_end;
  if (scheme_end > 0 && scheme_end + 1 < text.size() && text[scheme_end] == ':' &&
      std::isalpha(static_cast<unsigned char>(text[0])) && text[scheme_end + 1] == '/') {
    start = scheme_end + 1;
    while (start < text.size() && text[start] == '/')
      ++start;
  }
  const auto at = text.rfind('@');
  if (at == std::string::npos || at < start) return text;
  const auto colon = text.find(':', start);
  if (colon == std::string::npos || colon > at) return text;
  return text.substr(0, colon + 1) + "***" + text.substr(at);
}

std::vector<std::string> url_rule_problems(const Url& url, std::size_t length, const profiles::Profile& profile) {
  const auto& rules = profile.url;
  std::vector<std::string> problems;
  if (std::find(rules.schemes.begin(), rules.schemes.end(), url.scheme) == rules.schemes.end())
    problems.push_back("scheme " + url.scheme + " is not accepted");
  if (length > rules.max_length)
    problems.push_back("is " + std::to_string(length) + " bytes, at most " + std::to_string(rules.max_length));
  auto limit = [&](const std::optional<std::size_t>& max, const std::string& value, const char* what) {
    if (max && value.size() > *max) {
      problems.push_back(std::string(what) + " is " + std::to_string(value.size()) + " bytes, at most " +
                         std::to_string(*max));
    }
  };
  // The guides state these limits for the FTP URL's parts only; an HTTP(S)
  // URL is held to its whole length alone.
  if (url.scheme == "ftp") {
    limit(rules.user_max, url.user, "user name");
    limit(rules.password_max, url.password, "password");
    limit(rules.server_max, url.host, "server");
    limit(rules.ftp_path_max, url.path, "file path");
  }
  if (url.port && (*url.port < 1 || *url.port > 65535)) problems.push_back("port is outside 1-65535");
  if (url.scheme == "ftp" && rules.ftp_root_only && url.path.find('/') != std::string::npos)
    problems.push_back("the file must be in the FTP root (" + profile.family + " takes no sub-directory)");
  if (url.path.empty()) problems.push_back("names no file");
  return problems;
}

} // namespace dfota::profiles
