// `dfota upload --serve`: the tool itself serves the package over HTTP for a
// module that can reach this host. One file, GET and HEAD, HTTP/1.1 with
// Content-Length; runs on its own thread until destroyed.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "core/error.hpp"

namespace dfota::upload {

class PackageServer {
public:
  // Listens on ADDR:PORT (port 0 picks a free one) and serves `file` as
  // /<file name>. ADDR is also what the URL names, so it must be an address
  // the module can reach.
  static Expected<std::unique_ptr<PackageServer>> start(const std::string& address_port,
                                                        const std::filesystem::path& file);
  ~PackageServer();
  PackageServer(const PackageServer&) = delete;
  PackageServer& operator=(const PackageServer&) = delete;

  const std::string& url() const { return url_; }
  int port() const { return port_; }
  std::uint64_t requests() const { return requests_; }

private:
  PackageServer() = default;
  void serve();
  void answer(int client);

  int listener_ = -1;
  int port_ = 0;
  std::string url_;
  std::string path_; // "/name"
  std::filesystem::path file_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> requests_{0};
  std::thread thread_;
};

} // namespace dfota::upload
