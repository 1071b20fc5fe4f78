// Measures an engine's apply throughput in-process: the source and payload
// are read into memory first, then apply() runs into a counting writer, the
// best of several runs is kept. Prints "<target bytes> <seconds> <MB/s>".
//   usage: dfota_apply_speed ENGINE SOURCE PAYLOAD [RUNS]
#include <chrono>
#include <cstdio>
#include <string>

#include "core/files.hpp"
#include "delta/engine.hpp"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: dfota_apply_speed ENGINE SOURCE PAYLOAD [RUNS]\n");
    return 2;
  }
  const dfota::delta::Engine* engine = dfota::delta::find_engine(argv[1]);
  if (!engine) {
    std::fprintf(stderr, "unknown engine %s\n", argv[1]);
    return 2;
  }
  auto source = dfota::read_file(argv[2], std::uint64_t{1} << 33);
  auto payload = dfota::read_file(argv[3], std::uint64_t{1} << 33);
  if (!source || !payload) {
    std::fprintf(stderr, "cannot read the inputs\n");
    return 1;
  }
  const int runs = argc > 4 ? std::stoi(argv[4]) : 5;
  double best = 1e9;
  std::uint64_t produced = 0;
  for (int i = 0; i < runs; ++i) {
    dfota::SpanReader reader(*payload);
    dfota::CountingWriter out;
    const auto start = std::chrono::steady_clock::now();
    auto ok = engine->apply(*source, reader, out, dfota::delta::kUnknownSize);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!ok) {
      std::fprintf(stderr, "apply failed: %s\n", ok.error().message().c_str());
      return 1;
    }
    produced = out.count();
    if (seconds < best) best = seconds;
  }
  std::printf("%llu %.4f %.0f\n", static_cast<unsigned long long>(produced), best, produced / best / 1e6);
  return 0;
}
