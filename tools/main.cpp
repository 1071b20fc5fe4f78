// The `dfota` program: everything happens in dfota::cli::Main so that tests
// can run the command line in-process.
#include <iostream>
#include <string_view>

#include "cli/interrupts.hpp"
#include "cli/main_command.hpp"
#include "core/memory.hpp"

int main(int argc, char** argv) {
  dfota::map_large_blocks_apart();
  std::vector<std::string> args(argv, argv + argc);
  // `sim` stops cleanly on SIGINT/SIGTERM by itself; every other verb removes
  // what it was writing.
  if (argc < 2 || std::string_view(argv[1]) != "sim") dfota::cli::remove_outputs_on_interrupt();
  return dfota::cli::Main(args, std::cout, std::cerr);
}
