// Replays a fuzz target's corpus without libFuzzer, so that every input that
// ever found a bug (and every seed) is re-run by ctest.
//   usage: dfota_fuzz_replay TARGET CORPUS-DIR
//          dfota_fuzz_replay --write-seeds CORPUS-ROOT   (the generated seeds)
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "fuzz/fuzz_target.hpp"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--write-seeds") return dfota::fuzz::write_generated_seeds(argv[2]);
  const dfota::fuzz::FuzzTarget* target = nullptr;
  for (const auto& t : dfota::fuzz::fuzz_targets()) {
    if (argc == 3 && argv[1] == std::string(t.name)) target = &t;
  }
  if (target == nullptr) {
    std::fprintf(stderr, "usage: dfota_fuzz_replay TARGET CORPUS-DIR   (targets:");
    for (const auto& t : dfota::fuzz::fuzz_targets())
      std::fprintf(stderr, " %s", t.name);
    std::fprintf(stderr, ")\n");
    return 2;
  }
  int files = 0;
  for (const auto& entry : fs::directory_iterator(argv[2])) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    target->run(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    ++files;
  }
  std::printf("%s: replayed %d inputs\n", target->name, files);
  return files > 0 ? 0 : 1;
}
