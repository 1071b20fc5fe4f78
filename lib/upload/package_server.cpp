#include "upload/package_server.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "transport/transport.hpp"

namespace dfota::upload {

namespace fs = std::filesystem;

Expected<std::unique_ptr<PackageServer>> PackageServer::start(const std::string& address_port, const fs::path& file) {
  const auto colon = address_port.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return make_error(transport::TransportErrc::bad_setting, "--serve " + address_port + ": expected ADDR:PORT");
  std::string host = address_port.substr(0, colon);
  const std::string service = address_port.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0)
    return make_error(transport::TransportErrc::bad_setting, "--serve " + address_port + ": " + ::gai_strerror(rc));
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(found, ::freeaddrinfo);
  std::unique_ptr<PackageServer> server(new PackageServer());
  server->listener_ = ::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(server->listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (server->listener_ < 0 || ::bind(server->listener_, found->ai_addr, found->ai_addrlen) != 0 ||
      ::listen(server->listener_, 8) != 0)
    return make_error(transport::TransportErrc::open_failed, "--serve " + address_port + ": " + std::strerror(errno));
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  ::getsockname(server->listener_, reinterpret_cast<sockaddr*>(&bound), &length);
  server->port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                                    : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  server->file_ = file;
  server->path_ = "/" + file.filename().string();
  const std::string shown_host = found->ai_family == AF_INET6 ? "[" + host + "]" : host;
  server->url_ = "http://" + shown_host + ":" + std::to_string(server->port_) + server->path_;
  server->thread_ = std::thread([s = server.get()] { s->serve(); });
  return server;
}

PackageServer::~PackageServer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (listener_ >= 0) ::close(listener_);
}

void PackageServer::serve() {
  while (!stop_) {
    pollfd p{listener_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    answer(client);
    ::close(client);
  }
}

namespace {
bool send_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}
} // namespace

void PackageServer::answer(int client) {
  // The request head, read within 10 s and at most 8 KiB.
  std::string head;
  char buffer[2048];
  for (int waited = 0; head.find("\r\n\r\n") == std::string::npos && head.size() < 8192 && waited < 100; ++waited) {
    pollfd p{client, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    ssize_t n = ::recv(client, buffer, sizeof buffer, 0);
    if (n <= 0) return;
    head.append(buffer, static_cast<std::size_t>(n));
  }
  ++requests_;
  const auto line_end = head.find("\r\n");
  const std::string line = head.substr(0, line_end);
  const bool is_get = line.rfind("GET ", 0) == 0;
  const bool is_head = line.rfind("HEAD ", 0) == 0;
  const auto space = line.find(' ');
  const auto second = line.find(' ', space + 1);
  const std::string target = space == std::string::npos ? "" : line.substr(space + 1, second - space - 1);
  auto reply = [&](const char* status) {
    std::string text = std::string("HTTP/1.1 ") + status + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    send_all(client, text.data(), text.size());
  };
  if (!is_get && !is_head) return reply("405 Method Not Allowed");
  if (target != path_) return reply("404 Not Found");
  int fd = ::open(file_.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0) {
    if (fd >= 0) ::close(fd);
    return reply("404 Not Found");
  }
  std::string header =
      "HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\nContent-Length: " + std::to_string(st.st_size) +
      "\r\nConnection: close\r\n\r\n";
  if (send_all(client, header.data(), header.size()) && is_get) {
    char chunk[65536];
    ssize_t n;
    while ((n = ::read(fd, chunk, sizeof chunk)) > 0 && !stop_)
      if (!send_all(client, chunk, static_cast<std::size_t>(n))) break;
  }
  ::close(fd);
}

} // namespace dfota::upload
