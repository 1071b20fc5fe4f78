// Real servers on 127.0.0.1 for the URL methods: vsftpd (FTP) and a small
// Python HTTP(S) server. Each runs as a child process for the lifetime of
// the object, serves one directory read-only, and stops by itself after a
// bounded time.
#pragma once

#include <filesystem>
#include <string>
#include <sys/types.h>
#include <vector>

namespace dfota::test {

// A child process killed (SIGTERM, then SIGKILL) on destruction.
class ChildProcess {
public:
  ChildProcess() = default;
  ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& output);
  ChildProcess(ChildProcess&& other) noexcept : pid_(other.pid_) { other.pid_ = -1; }
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ~ChildProcess();
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  void stop();
  // Forgets the process (the caller has reaped it).
  void release() { pid_ = -1; }

private:
  pid_t pid_ = -1;
};

// A TCP port on loopback that was free a moment ago.
int free_loopback_port();
// Waits until something accepts connections on 127.0.0.1:port.
bool wait_for_port(int port, int timeout_ms);

class FtpServer {
public:
  // Anonymous read-only FTP over `root` (any password), passive mode.
  explicit FtpServer(const std::filesystem::path& root, const std::filesystem::path& work);
  bool ready() const { return ready_; }
  int port() const { return port_; }
  std::string url(const std::string& file, const std::string& password = "secret") const;

private:
  ChildProcess process_;
  int port_ = 0;
  bool ready_ = false;
};

class HttpServer {
public:
  // Serves `root`; with `tls`, over HTTPS with a fresh self-signed
  // certificate for 127.0.0.1 (its path is ca_file()).
  HttpServer(const std::filesystem::path& root, const std::filesystem::path& work, bool tls);
  bool ready() const { return ready_; }
  int port() const { return port_; }
  std::string url(const std::string& file) const;
  const std::filesystem::path& ca_file() const { return ca_file_; }

private:
  ChildProcess process_;
  int port_ = 0;
  bool tls_ = false;
  bool ready_ = false;
  std::filesystem::path ca_file_;
};

} // namespace dfota::test
