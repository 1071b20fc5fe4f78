#include "support/loopback_servers.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "core/subprocess.hpp"
#include "support/test_support.hpp"

extern char** environ;

namespace dfota::test {

namespace fs = std::filesystem;

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const fs::path& output) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  if (posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), environ) != 0) pid_ = -1;
  posix_spawn_file_actions_destroy(&actions);
}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  stop();
  pid_ = other.pid_;
  other.pid_ = -1;
  return *this;
}

ChildProcess::~ChildProcess() { stop(); }

void ChildProcess::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    const pid_t done = ::waitpid(pid_, nullptr, WNOHANG);
    if (done == pid_ || (done < 0 && errno == ECHILD)) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

int free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t n = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
  ::close(fd);
  return ntohs(a.sin_port);
}

bool wait_for_port(int port, int timeout_ms) {
  for (int waited = 0; waited < timeout_ms; waited += 50) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool up = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (up) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

FtpServer::FtpServer(const fs::path& root, const fs::path& work) {
  fs::create_directories(work / "empty");
  port_ = free_loopback_port();
  const int pasv = 20000 + (port_ % 20000);
  const fs::path conf = work / "vsftpd.conf";
  write_text(conf, "listen=YES\nlisten_ipv6=NO\nlisten_address=127.0.0.1\nlisten_port=" + std::to_string(port_) +
                       "\nbackground=NO\nrun_as_launching_user=YES\nanonymous_enable=YES\nno_anon_password=YES\n"
                       "anon_root=" +
                       fs::absolute(root).string() +
                       "\nlocal_enable=NO\nwrite_enable=NO\nseccomp_sandbox=NO\nsecure_chroot_dir=" +
                       (work / "empty").string() + "\npasv_enable=YES\npasv_address=127.0.0.1\npasv_min_port=" +
                       std::to_string(pasv) + "\npasv_max_port=" + std::to_string(pasv + 20) +
                       "\nconnect_from_port_20=NO\nxferlog_enable=NO\nidle_session_timeout=60\n"
                       "data_connection_timeout=60\ndirmessage_enable=NO\nhide_ids=YES\n");
  const std::string program = program_available("vsftpd") ? "vsftpd" : "/usr/sbin/vsftpd";
  process_ = ChildProcess({"timeout", "300", program, conf.string()}, work / "vsftpd.out");
  ready_ = process_.running() && wait_for_port(port_, 5000);
}

std::string FtpServer::url(const std::string& file, const std::string& password) const {
  return "ftp://anonymous:" + password + "@127.0.0.1:" + std::to_string(port_) + "/" + file;
}

HttpServer::HttpServer(const fs::path& root, const fs::path& work, bool tls) : tls_(tls) {
  fs::create_directories(work);
  port_ = free_loopback_port();
  std::vector<std::string> argv{"timeout", "300",
                                "python3", (source_dir() / "tests/support/http_server.py").string(),
                                "--port",  std::to_string(port_),
                                "--root",  fs::absolute(root).string()};
  if (tls) {
    ca_file_ = work / "cert.pem";
    const fs::path key = work / "key.pem";
    auto made =
        run_program({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-addext",
                     "subjectAltName=IP:127.0.0.1", "-days", "1", "-keyout", key.string(), "-out", ca_file_.string()});
    if (!made) return;
    argv.insert(argv.end(), {"--cert", ca_file_.string(), "--key", key.string()});
  }
  process_ = ChildProcess(argv, work / (tls ? "https.out" : "http.out"));
  ready_ = process_.running() && wait_for_port(port_, 5000);
}

std::string HttpServer::url(const std::string& file) const {
  return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + "/" + file;
}

} // namespace dfota::test
