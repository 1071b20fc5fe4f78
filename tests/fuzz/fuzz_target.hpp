// The fuzz targets. Each takes one input and must never crash, hang or leak,
// whatever the bytes; they are built into libFuzzer programs (tests/fuzz/run.sh)
// and into the corpus replay that ctest runs (replay_main.cpp). Each target's
// seeds and findings live in tests/fuzz/corpus/<corpus>/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <vector>

#include "core/bytes.hpp"

namespace dfota::fuzz {

// The native delta decoder (delta/native), against native_fuzz_source().
int fuzz_native_decoder(const std::uint8_t* data, std::size_t size);
const Bytes& native_fuzz_source();
// Skips the LEB128 varint at `at` (a native payload's numbers), setting
// `value` when given; false when it does not end inside `size`.
bool skip_varint(const std::uint8_t* data, std::size_t size, std::size_t& at, std::uint64_t* value = nullptr);
// The VCDIFF decoder and the zstd engine's apply, against the same source.
int fuzz_vcdiff_decoder(const std::uint8_t* data, std::size_t size);
int fuzz_zstd_engine(const std::uint8_t* data, std::size_t size);
// manifest.json parsing.
int fuzz_manifest(const std::uint8_t* data, std::size_t size);
// A whole package file: open, inspect, the signature, every payload read.
int fuzz_package(const std::uint8_t* data, std::size_t size);
// The AT side: line classification, FOTA URCs, +QFUPL/+QFLDS/+QFLST answers,
// identity and revision lines, command lines as the simulator parses them.
int fuzz_at_lines(const std::uint8_t* data, std::size_t size);
// URL parsing, the family URL rules and password redaction.
int fuzz_url(const std::uint8_t* data, std::size_t size);
// A module profile and the error catalogue.
int fuzz_profile(const std::uint8_t* data, std::size_t size);
// A session log read back as a recording to replay (sim/replay).
int fuzz_recording(const std::uint8_t* data, std::size_t size);
// The deflate layer (delta/deflate): finding and rebuilding streams in an
// image, and rebuilding one stream from arbitrary expanded bytes.
int fuzz_deflate_streams(const std::uint8_t* data, std::size_t size);

struct FuzzTarget {
  const char* name; // as dfota_fuzz_replay and tests/fuzz/run.sh call it
  int (*run)(const std::uint8_t*, std::size_t);
  const char* corpus; // directory under tests/fuzz/corpus
};
const std::vector<FuzzTarget>& fuzz_targets();

// Writes the seeds that are made by encoders (payloads, packages) into
// corpus_root/<corpus>/; the text seeds are kept in the repository as they are.
int write_generated_seeds(const std::filesystem::path& corpus_root);

} // namespace dfota::fuzz
