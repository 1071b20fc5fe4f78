#include "support/terminal.hpp"

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

namespace dfota::test {

std::string run_on_a_terminal(const std::vector<std::string>& args, const std::string& out_file,
                              const std::string& term, int* exit_code) {
  std::vector<std::string> words{"dfota"};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& w : words)
    argv.push_back(w.data());
  argv.push_back(nullptr);
  std::string term_setting = "TERM=" + term, path_setting = std::string("PATH=") + std::getenv("PATH");
  std::vector<char*> envp{term_setting.data(), path_setting.data(), nullptr};
  int master = -1;
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  if (pid < 0) return "forkpty failed";
  if (pid == 0) { // only async-signal-safe calls from here
    const int out = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || ::dup2(out, STDOUT_FILENO) < 0) ::_exit(126);
    ::execve(DFOTA_PROGRAM, argv.data(), envp.data());
    ::_exit(127);
  }
  std::string terminal;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd ready{master, POLLIN, 0};
    if (::poll(&ready, 1, 1000) <= 0) continue;
    char chunk[512];
    const ssize_t got = ::read(master, chunk, sizeof chunk);
    if (got <= 0) break; // EIO: the program has exited and closed the terminal
    terminal.append(chunk, static_cast<std::size_t>(got));
  }
  ::close(master);
  int status = 0;
  if (::waitpid(pid, &status, WNOHANG) == 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return terminal;
}

std::vector<std::string> screen_after(const std::string& bytes) {
  std::vector<std::string> screen(1);
  std::size_t row = 0, column = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const char c = bytes[i];
    if (c == '\033') {
      if (i + 2 >= bytes.size() || bytes[i + 1] != '[') {
        ADD_FAILURE() << "a cut or unknown escape sequence at byte " << i;
        break;
      }
      std::size_t end = i + 2, n = 0;
      bool has_n = false;
      while (end < bytes.size() && std::isdigit(static_cast<unsigned char>(bytes[end]))) {
        n = n * 10 + static_cast<std::size_t>(bytes[end++] - '0');
        has_n = true;
      }
      if (!has_n) n = 1;
      const char op = end < bytes.size() ? bytes[end] : '?';
      if (op == 'A') {
        if (n > row) ADD_FAILURE() << "the cursor moved above the first line";
        row -= std::min(n, row);
      } else if (op == 'B') {
        row += n;
      } else if (op == 'K') {
        if (row < screen.size()) screen[row].erase(std::min(column, screen[row].size()));
      } else if (op == 'J') {
        if (row < screen.size()) {
          screen[row].erase(std::min(column, screen[row].size()));
          screen.resize(row + 1);
        }
      } else {
        ADD_FAILURE() << "an unexpected sequence ESC[" << op;
      }
      if (screen.size() <= row) screen.resize(row + 1);
      i = end;
    } else if (c == '\r') {
      column = 0;
    } else if (c == '\n') {
      ++row;
      column = 0;
      if (screen.size() <= row) screen.resize(row + 1);
    } else {
      auto& line = screen[row];
      if (line.size() <= column) line.resize(column + 1, ' ');
      line[column++] = c;
    }
  }
  return screen;
}

} // namespace dfota::test
