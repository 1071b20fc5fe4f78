#include <fstream>

#include "core/files.hpp"
#include "core/subprocess.hpp"
#include "delta/engines.hpp"
#include "delta/vcdiff_decoder.hpp"

namespace dfota::delta {

namespace fs = std::filesystem;

namespace {
constexpr const char* kProgram = "xdelta3";

Status write_whole(const fs::path& path, ByteSpan bytes) {
  auto out = OutputFile::create(path);
  if (!out) return out.error();
  if (auto ok = out->writer().write(bytes); !ok) return ok;
  return out->commit();
}
} // namespace

bool VcdiffEngine::can_diff() const { return program_available(kProgram); }

// xdelta3 runs as a program and tells nothing of its progress.
Status VcdiffEngine::diff(ByteSpan source, ByteSpan target, Writer& payload, const DiffProgress&) const {
  if (!can_diff()) {
    return make_error(DeltaErrc::engine_unavailable,
                      "the vcdiff engine needs the xdelta3 program to encode (apt-get install xdelta3)");
  }
  auto dir = TempDir::create(system_temp_directory(), "dfota-vcdiff-");
  if (!dir) return dir.error();
  const fs::path src = dir->path() / "source", tgt = dir->path() / "target", out = dir->path() / "payload";
  if (auto ok = write_whole(src, source); !ok) return ok;
  if (auto ok = write_whole(tgt, target); !ok) return ok;
  // -A: no application header (it would carry file names and break
  // reproducibility); -B: a source window that holds the whole source, so that
  // matches are found anywhere in it; -S lzma: xdelta3's strongest secondary
  // compressor, which the project's decoder reads; -D: the images as they
  // are, never gunzipped first (xdelta3 otherwise decompresses a gzip,
  // bzip2 or xz source and target by itself, and the payload then refers to
  // bytes no applier is given).
  const std::uint64_t source_window = std::uint64_t{1} << std::min(31u, ceil_log2(source.size(), 24));
  auto result = run_program({kProgram, "-e", "-9", "-A", "-D", "-f", "-S", "lzma", "-B", std::to_string(source_window),
                             "-W", "16777216", "-s", src.string(), tgt.string(), out.string()});
  if (!result) return result.error();
  if (result->exit_status != 0) {
    std::string detail = result->error_output.substr(0, result->error_output.find('\n'));
    return make_error(DeltaErrc::encode_failed,
                      "xdelta3 failed (exit " + std::to_string(result->exit_status) + "): " + detail);
  }
  auto bytes = read_file(out.string(), UINT64_MAX);
  if (!bytes) return bytes.error();
  return payload.write(*bytes);
}

Status VcdiffEngine::apply(ByteSpan source, Reader& payload, Writer& target, std::uint64_t target_size) const {
  BoundedWriter bounded(target, target_size);
  if (auto ok = vcdiff_decode(source, payload, bounded); !ok) return ok;
  if (target_size != kUnknownSize && bounded.written() != target_size) {
    return make_error(DeltaErrc::wrong_size, "payload decodes to " + std::to_string(bounded.written()) + " bytes, " +
                                                 std::to_string(target_size) + " announced");
  }
  return {};
}

std::uint64_t VcdiffEngine::apply_memory(std::uint64_t, std::uint64_t target_size) const {
  // One target window (xdelta3 writes at most 16 MiB) plus its sections,
  // which are never larger than about twice the window, and three LZMA states.
  const std::uint64_t window = std::min<std::uint64_t>(target_size, 16u << 20);
  return 3 * window + (3u << 20);
}

} // namespace dfota::delta
