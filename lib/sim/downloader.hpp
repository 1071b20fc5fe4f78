// What the module does with AT+QFOTADL=<ftp/http/https URL>: fetches the
// package for real (libcurl) and turns the outcome into the family's
// <ftp_err>/<http_err> code.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "profiles/profile.hpp"
#include "transport/clock.hpp"

namespace dfota::sim {

struct DownloadOptions {
  std::optional<std::filesystem::path> ca_file; // extra trusted CA (https)
  transport::Duration connect_timeout{10000};
  transport::Duration stall_timeout{30000}; // abort when no byte arrives for this long
  std::uint64_t max_size = 1ull << 30;
};

struct DownloadResult {
  int code = 0;       // 0, or the family's FTP (6xx) / HTTP (7xx) error code
  std::string detail; // what went wrong, for the log (no password)
  std::uint64_t bytes = 0;
};

// Downloads `url` to `destination` (written whole or removed). The code is
// one the family's guide lists; anything it does not list becomes its
// "unknown error" code (601 or 701).
DownloadResult download(const std::string& url, const std::filesystem::path& destination,
                        const profiles::Profile& profile, const profiles::Registry& registry,
                        const DownloadOptions& options);

} // namespace dfota::sim
