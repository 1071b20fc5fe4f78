#include "transport/port_names.hpp"

namespace dfota::transport {

namespace fs = std::filesystem;

std::optional<std::string> by_path_name(const std::string& port, const fs::path& by_path_dir) {
  std::error_code ec;
  if (port.rfind("tcp:", 0) == 0) return std::nullopt;
  if (fs::path(port).parent_path() == by_path_dir) return port;
  const fs::path device = fs::canonical(port, ec);
  if (ec) return std::nullopt;
  fs::directory_iterator it(by_path_dir, ec);
  if (ec) return std::nullopt;
  std::optional<std::string> found;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    std::error_code link_ec;
    if (fs::canonical(it->path(), link_ec) == device && !link_ec) {
      // Several links may lead there (the -port0 and the plain name); the
      // first in name order is the one shown, so it is the same every run.
      const std::string name = it->path().string();
      if (!found || name < *found) found = name;
    }
  }
  return found;
}

} // namespace dfota::transport
