#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace dfota::cli {

// Runs the command line `args` (args[0] is the program name), writing results
// to `out` and one-line errors to `err`. Returns the exit code (exit_codes.hpp).
int Main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

} // namespace dfota::cli
