// The `dfota-delta` program: everything happens in DeltaMain so that tests
// can run its command line in-process.
#include "core/memory.hpp"
#include "delta/delta_program.hpp"

int main(int argc, char** argv) {
  dfota::map_large_blocks_apart();
  std::vector<std::string> args(argv, argv + argc);
  return dfota::delta_tool::DeltaMain(args, stdout, stderr);
}
