// The stable names udev gives serial ports: /dev/serial/by-path/<bus path>
// links survive a re-enumeration that renames ttyUSB2 to ttyUSB6, so fleets
// and production lines name their slots by them.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace dfota::transport {

// The by-path link under `by_path_dir` that leads to the same device as
// `port` (a by-path name is returned as it is). nullopt when there is none:
// no udev, a tcp: port, a pseudo-terminal. Never throws; reads only.
std::optional<std::string> by_path_name(const std::string& port,
                                        const std::filesystem::path& by_path_dir = "/dev/serial/by-path");

} // namespace dfota::transport
