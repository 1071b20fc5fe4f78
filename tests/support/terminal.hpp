// The real program on a terminal: run it with a pseudo-terminal as its
// standard error, and read back what a terminal would show.
#pragma once

#include <string>
#include <vector>

namespace dfota::test {

// Runs DFOTA_PROGRAM with `args` (without the program name), standard error
// (and input) on a new pseudo-terminal, TERM=`term`, standard output to
// `out_file`. Returns the bytes the terminal received; `exit_code` is the
// exit status (-1 when killed). Gives up after 60 s.
std::string run_on_a_terminal(const std::vector<std::string>& args, const std::string& out_file,
                              const std::string& term, int* exit_code);

// The screen after `bytes`, as lines of text, for the sequences dfota writes:
// CR, LF, ESC[nA, ESC[nB, ESC[K, ESC[J. Any other sequence, or a move above
// the first line, is a test failure.
std::vector<std::string> screen_after(const std::string& bytes);

} // namespace dfota::test
