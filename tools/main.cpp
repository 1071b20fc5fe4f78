// The `dfota` program: everything happens in dfota::cli::Main so that tests
// can run the command line in-process.
#include <iostream>

#include "cli/main_command.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  return dfota::cli::Main(args, std::cout, std::cerr);
}
