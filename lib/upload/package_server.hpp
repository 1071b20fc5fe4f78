// `dfota upload --serve`: the tool itself serves the package over HTTP for the
// modules that can reach this host. Built on cpp-httplib: many clients at
// once (a fleet downloads in parallel), GET with `Range`, HEAD.
//
// Contract: the file is opened once by `start`; what is served is that file
// as it was opened (a later rename or replacement does not change it). The
// server runs on its own threads until destroyed; the destructor stops
// accepting, ends the transfers in flight and joins every thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "core/error.hpp"

namespace httplib {
class Server;
}

namespace dfota::upload {

struct ServerLimits {
  // Transfers at once; a client beyond them is answered 503 with Retry-After.
  std::size_t max_clients = 32;
  // A client that sends no request for this long, or stops reading the body
  // for this long, is disconnected.
  std::chrono::seconds read_timeout{10};
  std::chrono::seconds write_timeout{60};
};

// "ADDR:PORT" as --serve takes it (an IPv6 address in brackets, a port from
// 0 to 65535): the host without brackets and the port; nullopt otherwise.
struct ServeAddress {
  std::string host;
  int port = 0;
};
std::optional<ServeAddress> parse_serve_address(const std::string& address_port);

class PackageServer {
public:
  // Listens on ADDR:PORT (port 0 picks a free one) and serves `file` as
  // /<file name>. ADDR is also what the URL names, so it must be an address
  // the module can reach. An address in use or not on this host is an error
  // (TransportErrc::open_failed) naming it.
  static Expected<std::unique_ptr<PackageServer>> start(const std::string& address_port,
                                                        const std::filesystem::path& file, ServerLimits limits = {});
  ~PackageServer();
  PackageServer(const PackageServer&) = delete;
  PackageServer& operator=(const PackageServer&) = delete;

  const std::string& url() const { return url_; }
  int port() const { return port_; }
  // Requests answered (any method, any status).
  std::uint64_t requests() const { return requests_; }
  // GET requests whose whole answer (the file or the range asked) was sent.
  std::uint64_t completed_transfers() const { return completed_; }
  // Clients turned away with 503 because max_clients were being served.
  std::uint64_t refused_busy() const { return refused_busy_; }

private:
  PackageServer() = default;

  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  int file_ = -1;
  std::uint64_t size_ = 0;
  int port_ = 0;
  std::string url_;
  ServerLimits limits_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> active_{0};
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> completed_{0};
  std::atomic<std::uint64_t> refused_busy_{0};
};

} // namespace dfota::upload
