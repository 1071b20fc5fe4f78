#include "upload/package_server.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <httplib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/text.hpp"
#include "transport/transport.hpp"

namespace dfota::upload {

namespace fs = std::filesystem;

std::optional<ServeAddress> parse_serve_address(const std::string& address_port) {
  const auto colon = address_port.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  const auto port = parse_whole_number(std::string_view(address_port).substr(colon + 1));
  if (!port || *port > 65535) return std::nullopt;
  std::string host = address_port.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  else if (host.find(':') != std::string::npos)
    return std::nullopt;
  return ServeAddress{host, static_cast<int>(*port)};
}

Expected<std::unique_ptr<PackageServer>> PackageServer::start(const std::string& address_port, const fs::path& file,
                                                              ServerLimits limits) {
  using transport::TransportErrc;
  const auto address = parse_serve_address(address_port);
  if (!address) return make_error(TransportErrc::bad_setting, "--serve " + address_port + ": expected ADDR:PORT");
  const std::string& host = address->host;
  const int wanted_port = address->port;

  std::unique_ptr<PackageServer> server(new PackageServer());
  server->limits_ = limits;
  server->file_ = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (server->file_ < 0 || ::fstat(server->file_, &st) != 0)
    return make_error(TransportErrc::open_failed, file.string() + ": " + std::strerror(errno));
  server->size_ = static_cast<std::uint64_t>(st.st_size);

  auto http = std::make_unique<httplib::Server>();
  const std::size_t threads = limits.max_clients + 2; // the extra ones answer 503 at once
  http->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http->set_read_timeout(limits.read_timeout);
  http->set_write_timeout(limits.write_timeout);
  http->set_keep_alive_max_count(4);
  http->set_payload_max_length(8192); // a request body is never expected
  // Only SO_REUSEADDR: the library's default adds SO_REUSEPORT, with which a
  // second server on a port in use would start without a word.
  http->set_socket_options([](int socket) {
    int one = 1;
    ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  });
  http->set_logger([s = server.get()](const httplib::Request&, const httplib::Response&) { ++s->requests_; });

  const std::string path = "/" + file.filename().string();
  http->Get(path, [s = server.get()](const httplib::Request& request, httplib::Response& response) {
    if (s->active_.fetch_add(1) >= s->limits_.max_clients) {
      --s->active_;
      ++s->refused_busy_;
      response.status = 503;
      response.set_header("Retry-After", "5");
      return;
    }
    // Ranges are checked and made explicit here: cpp-httplib 0.11 announces a
    // negative length for a range past the end, and does not clamp one that
    // runs past it. The request's parsed ranges are rewritten in place, before
    // the library writes the answer from them.
    auto& ranges = const_cast<httplib::Ranges&>(request.ranges);
    const auto size = static_cast<std::ptrdiff_t>(s->size_);
    for (auto& [first, last] : ranges) {
      const bool valid = first < 0 ? last > 0 : first < size && (last < 0 || last >= first);
      if (!valid) {
        --s->active_;
        response.status = 416;
        response.set_header("Content-Range", "bytes */" + std::to_string(size));
        return;
      }
      if (first < 0) {
        first = size - std::min<std::ptrdiff_t>(last, size); // a suffix: the last `last` bytes
        last = size - 1;
      } else if (last < 0 || last >= size) {
        last = size - 1;
      }
    }
    const bool is_get = request.method == "GET";
    response.set_header("Accept-Ranges", "bytes");
    response.set_content_provider(
        s->size_, "application/octet-stream",
        [s](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
          if (s->stopping_) return false; // the destructor ends every transfer
          char chunk[65536];
          const std::size_t want = std::min(length, sizeof chunk);
          const ssize_t got = ::pread(s->file_, chunk, want, static_cast<off_t>(offset));
          if (got <= 0) return false; // the connection is closed; the client sees a short body
          return sink.write(chunk, static_cast<std::size_t>(got));
        },
        [s, is_get](bool success) {
          if (success && is_get) ++s->completed_;
          --s->active_;
        });
  });

  errno = 0;
  if (wanted_port == 0) {
    server->port_ = http->bind_to_any_port(host);
    if (server->port_ <= 0) server->port_ = 0;
  } else if (http->bind_to_port(host, wanted_port)) {
    server->port_ = wanted_port;
  }
  if (server->port_ == 0) {
    const int cause = errno;
    return make_error(TransportErrc::open_failed,
                      "--serve " + address_port + ": cannot listen there" +
                          (cause ? std::string(": ") + std::strerror(cause)
                                 : std::string(" (in use, or not an address of this host)")));
  }
  const bool v6 = host.find(':') != std::string::npos;
  server->url_ = "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(server->port_) + path;
  server->http_ = std::move(http);
  server->thread_ = std::thread([s = server.get()] { s->http_->listen_after_bind(); });
  // The socket already listens; wait for the accept loop so that the
  // destructor's stop() cannot come before it (it would then never end).
  for (int waited = 0; !server->http_->is_running() && waited < 5000; ++waited)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return server;
}

PackageServer::~PackageServer() {
  stopping_ = true;
  if (http_) http_->stop();
  if (thread_.joinable()) thread_.join();
  if (file_ >= 0) ::close(file_);
}

} // namespace dfota::upload
