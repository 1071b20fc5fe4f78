#include "cli/status_board.hpp"

#include <sys/ioctl.h>

namespace dfota::cli {

namespace {
// ECMA-48 sequences every terminal emulator knows.
std::string cursor_up(std::size_t n) { return n ? "\033[" + std::to_string(n) + "A" : ""; }
std::string cursor_down(std::size_t n) { return n ? "\033[" + std::to_string(n) + "B" : ""; }
const char* const kClearLine = "\r\033[K";
const char* const kClearBelow = "\r\033[J";
} // namespace

StatusBoard::StatusBoard(std::ostream& terminal, std::size_t lines, std::size_t width)
    : out_(terminal), width_(width < 20 ? 20 : width), lines_(lines) {}

StatusBoard::~StatusBoard() { out_ << std::flush; }

std::size_t StatusBoard::terminal_width(int fd) {
  winsize size{};
  if (::ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

std::string StatusBoard::fitted(const std::string& text) const {
  // Status text is ASCII and already printable; a cut never splits an escape.
  return text.size() < width_ ? text : text.substr(0, width_ - 1);
}

void StatusBoard::draw_all() {
  for (const auto& line : lines_)
    out_ << kClearLine << fitted(line) << "\n";
  drawn_ = true;
}

void StatusBoard::set(std::size_t index, const std::string& text) {
  std::lock_guard lock(mutex_);
  if (index >= lines_.size()) return;
  lines_[index] = text;
  if (!drawn_) {
    draw_all();
  } else {
    // The cursor rests on the line below the board.
    const std::size_t up = lines_.size() - index;
    out_ << cursor_up(up) << kClearLine << fitted(text) << "\r" << cursor_down(up);
  }
  out_ << std::flush;
}

void StatusBoard::print_above(const std::string& text) {
  std::lock_guard lock(mutex_);
  if (drawn_) out_ << cursor_up(lines_.size()) << kClearBelow;
  out_ << text;
  if (!text.empty() && text.back() != '\n') out_ << "\n";
  draw_all();
  out_ << std::flush;
}

} // namespace dfota::cli
