// One engine on one pair of image files, without a package around them: what
// `dfota diff` / `dfota patch` and `dfota-delta` run.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "core/error.hpp"
#include "delta/engine.hpp"

namespace dfota::delta {

// Writes the payload that turns the file `old_path` into `new_path` to
// `payload_path` and returns its size. Both images are read through
// mappings; the payload appears only when complete (OutputFile), so a
// failure leaves nothing behind.
Expected<std::uint64_t> diff_image_files(const Engine& engine, const std::string& old_path, const std::string& new_path,
                                         const std::filesystem::path& payload_path);

// Applies the payload `payload_path` ("-": standard input) to the file
// `old_path` and writes the result to `output_path`, returning its size;
// `target_size` is checked unless kUnknownSize. `output_path` may name
// `old_path` (patching in place: the result replaces it only when complete).
Expected<std::uint64_t> patch_image_file(const Engine& engine, const std::string& old_path,
                                         const std::string& payload_path, const std::filesystem::path& output_path,
                                         std::uint64_t target_size);

} // namespace dfota::delta
