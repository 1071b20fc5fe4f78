// Live status lines on a terminal: one line per module of a fleet, rewritten
// in place, with permanent lines (steps, warnings, AT log) printed above
// them. Used only when standard error is a terminal that can move the cursor
// (see is_terminal_stderr); otherwise callers print plain lines.
//
// Thread-safe: every call takes the board's lock, so the modules' threads
// can report at once without mixing their bytes.
#pragma once

#include <mutex>
#include <ostream>
#include <string>
#include <vector>

namespace dfota::cli {

class StatusBoard {
public:
  // `lines` status lines (one per module), each cut to `width` - 1 columns
  // so that no line wraps and the cursor arithmetic holds.
  StatusBoard(std::ostream& terminal, std::size_t lines, std::size_t width);
  // Leaves the cursor below the last status line.
  ~StatusBoard();
  StatusBoard(const StatusBoard&) = delete;
  StatusBoard& operator=(const StatusBoard&) = delete;

  // Rewrites status line `index` (printable text, no newline).
  void set(std::size_t index, const std::string& text);
  // Prints `text` (one or more whole lines, printable) above the status lines.
  void print_above(const std::string& text);

  // The width of the terminal on file descriptor `fd` (80 when unknown).
  static std::size_t terminal_width(int fd);

private:
  std::string fitted(const std::string& text) const;
  void draw_all();

  std::ostream& out_;
  std::size_t width_;
  std::vector<std::string> lines_;
  bool drawn_ = false;
  std::mutex mutex_;
};

} // namespace dfota::cli
