#include "delta/image_files.hpp"

#include "core/bytes.hpp"
#include "core/files.hpp"

namespace dfota::delta {

Expected<std::uint64_t> diff_image_files(const Engine& engine, const std::string& old_path, const std::string& new_path,
                                         const std::filesystem::path& payload_path) {
  auto source = MappedFile::open(old_path);
  if (!source) return source.error();
  auto target = MappedFile::open(new_path);
  if (!target) return target.error();
  auto file = OutputFile::create(payload_path);
  if (!file) return file.error();
  CountingWriter counter;
  TeeWriter tee(file->writer(), counter);
  if (auto ok = engine.diff(source->bytes(), target->bytes(), tee); !ok) return ok.error();
  if (auto ok = file->commit(); !ok) return ok.error();
  return counter.count();
}

Expected<std::uint64_t> patch_image_file(const Engine& engine, const std::string& old_path,
                                         const std::string& payload_path, const std::filesystem::path& output_path,
                                         std::uint64_t target_size) {
  auto source = MappedFile::open(old_path);
  if (!source) return source.error();
  auto payload = FdReader::open_or_stdin(payload_path);
  if (!payload) return payload.error();
  auto file = OutputFile::create(output_path);
  if (!file) return file.error();
  // With the size known, an engine that keeps its history in its output
  // decodes into the file's mapping and needs no window of its own.
  if (target_size != kUnknownSize && engine.keeps_history_in_target()) {
    auto region = file->map_region(target_size);
    if (!region) return region.error();
    if (auto ok = engine.apply_into(source->bytes(), **payload, *region); !ok) return ok.error();
    if (auto ok = file->commit(); !ok) return ok.error();
    return target_size;
  }
  CountingWriter counter;
  TeeWriter tee(file->writer(), counter);
  BufferedWriter output(tee); // an engine writes a piece per copy or literal run
  if (auto ok = engine.apply(source->bytes(), **payload, output, target_size); !ok) return ok.error();
  if (auto ok = output.flush(); !ok) return ok.error();
  if (auto ok = file->commit(); !ok) return ok.error();
  return counter.count();
}

} // namespace dfota::delta
