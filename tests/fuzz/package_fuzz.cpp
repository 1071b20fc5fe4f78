// libFuzzer targets for what a package brings: manifest.json, and the whole
// container (libzip reads files, so the input goes to one scratch file per
// process under $TMPDIR, replaced at each run).
#include <cstdlib>
#include <fstream>
#include <unistd.h>

#include "delta/engine.hpp"
#include "fuzz/fuzz_target.hpp"
#include "package/inspector.hpp"
#include "package/manifest.hpp"
#include "package/package_reader.hpp"
#include "package/package_signature.hpp"

namespace dfota::fuzz {

int fuzz_manifest(const std::uint8_t* data, std::size_t size) {
  auto manifest = package::parse_manifest(ByteSpan(data, size));
  if (manifest) (void)package::to_json_text(*manifest);
  return 0;
}

int fuzz_package(const std::uint8_t* data, std::size_t size) {
  static const std::filesystem::path path = [] {
    const char* tmp = std::getenv("TMPDIR");
    return std::filesystem::path(tmp && *tmp ? tmp : "/tmp") /
           ("dfota-fuzz-package-" + std::to_string(::getpid()) + ".zip");
  }();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  (void)package::inspect_package(path);
  auto opened = package::open_package(path);
  if (opened) {
    (void)package::read_signature(opened->zip);
    auto drain = [&](const std::optional<package::Payload>& payload) {
      if (!payload) return;
      auto reader = package::open_payload(opened->zip, *payload);
      if (!reader) return;
      CountingWriter counter;
      delta::BoundedWriter sink(counter, 64u << 20); // at most 64 MiB per payload
      (void)copy_stream(**reader, sink);
    };
    for (const auto& p : opened->manifest.partitions) {
      drain(p.payload);
      for (const auto& f : p.files)
        drain(f.payload);
    }
  }
  std::error_code ec;
  std::filesystem::remove(path, ec);
  return 0;
}

} // namespace dfota::fuzz
