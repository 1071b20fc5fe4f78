// The live status lines of a fleet, replayed on the terminal model of
// support/terminal (cursor up/down, erase line/below).
#include "cli/status_board.hpp"

#include <gtest/gtest.h>
#include <sstream>
#include <thread>

#include "support/terminal.hpp"

namespace dfota::test {
namespace {

using cli::StatusBoard;

std::vector<std::string> screen_of(const std::string& bytes) { return screen_after(bytes); }

TEST(StatusBoard, EachModuleKeepsItsOwnLineAndMessagesGoAbove) {
  std::ostringstream terminal;
  {
    StatusBoard board(terminal, 3, 80);
    board.set(0, "[a] sending  10%");
    board.set(1, "[b] sending  20%");
    board.set(2, "[c] opening");
    board.print_above("[b] warning: garbled URC");
    board.set(0, "[a] upgrading 40%");
    board.set(2, "[c] sending  90%");
    board.print_above("[a] module: END 0");
    board.set(1, "[b] upgrading 70%");
  }
  auto screen = screen_of(terminal.str());
  ASSERT_GE(screen.size(), 5u);
  EXPECT_EQ(screen[0], "[b] warning: garbled URC");
  EXPECT_EQ(screen[1], "[a] module: END 0");
  EXPECT_EQ(screen[2], "[a] upgrading 40%");
  EXPECT_EQ(screen[3], "[b] upgrading 70%");
  EXPECT_EQ(screen[4], "[c] sending  90%");
  EXPECT_TRUE(screen.size() == 5 || screen[5].empty()) << "the cursor rests below the board";
}

TEST(StatusBoard, LongLinesAreCutSoThatNoneWraps) {
  std::ostringstream terminal;
  {
    StatusBoard board(terminal, 2, 30);
    board.set(0, std::string(100, 'x'));
    board.set(1, "short");
    board.print_above(std::string(10, 'y'));
  }
  auto screen = screen_of(terminal.str());
  ASSERT_GE(screen.size(), 3u);
  EXPECT_EQ(screen[1], std::string(29, 'x'));
  EXPECT_EQ(screen[2], "short");
}

TEST(StatusBoard, ThreadsReportingAtOnceNeverMixTheirBytes) {
  std::ostringstream terminal;
  {
    StatusBoard board(terminal, 4, 80);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; i <= 100; ++i) {
          board.set(t, "[" + std::to_string(t) + "] sending " + std::to_string(i) + "%");
          if (i % 25 == 0) board.print_above("[" + std::to_string(t) + "] step " + std::to_string(i));
        }
      });
    for (auto& thread : threads)
      thread.join();
  }
  auto screen = screen_of(terminal.str());
  ASSERT_GE(screen.size(), 24u);
  // 4 threads × 5 steps above, then the 4 final status lines.
  for (std::size_t t = 0; t < 4; ++t)
    EXPECT_EQ(screen[20 + t], "[" + std::to_string(t) + "] sending 100%");
  for (std::size_t row = 0; row < 20; ++row)
    EXPECT_NE(screen[row].find("] step "), std::string::npos) << screen[row];
}

} // namespace
} // namespace dfota::test
