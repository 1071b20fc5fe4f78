// Replays a fuzz target's corpus without libFuzzer, so that every input that
// ever found a bug (and every seed) is re-run by ctest.
//   usage: dfota_fuzz_replay TARGET CORPUS-DIR
//          dfota_fuzz_replay --write-native-seeds DIR   (makes the seed corpus)
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "delta/engine.hpp"
#include "fuzz/fuzz_target.hpp"

namespace fs = std::filesystem;

namespace {

int write_native_seeds(const fs::path& dir) {
  using dfota::Bytes;
  const Bytes& source = dfota::fuzz::native_fuzz_source();
  Bytes edited = source;
  for (std::size_t i = 100; i < edited.size(); i += 997)
    edited[i] ^= 0x5A;
  Bytes shifted(source.begin(), source.begin() + 3000);
  shifted.insert(shifted.end(), 40, 0x11);
  shifted.insert(shifted.end(), source.begin() + 3000, source.end());
  const Bytes targets[] = {Bytes{}, Bytes(source.begin(), source.begin() + 10), source, edited, shifted};
  int n = 0;
  for (const Bytes& target : targets) {
    dfota::VectorWriter payload;
    if (!dfota::delta::find_engine("native")->diff(source, target, payload)) return 1;
    std::ofstream out(dir / ("seed-" + std::to_string(n++)), std::ios::binary);
    out.write(reinterpret_cast<const char*>(payload.bytes().data()),
              static_cast<std::streamsize>(payload.bytes().size()));
  }
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--write-native-seeds") return write_native_seeds(argv[2]);
  if (argc != 3 || std::string(argv[1]) != "native_decoder") {
    std::fprintf(stderr, "usage: dfota_fuzz_replay native_decoder CORPUS-DIR\n");
    return 2;
  }
  int files = 0;
  for (const auto& entry : fs::directory_iterator(argv[2])) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    dfota::fuzz::fuzz_native_decoder(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    ++files;
  }
  std::printf("replayed %d inputs\n", files);
  return files > 0 ? 0 : 1;
}
