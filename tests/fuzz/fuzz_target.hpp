// The fuzz targets. Each takes one input and must never crash, hang or leak,
// whatever the bytes; they are built into libFuzzer programs (tests/fuzz/run.sh)
// and into the corpus replay that ctest runs (replay_main.cpp).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/bytes.hpp"

namespace dfota::fuzz {

// The native delta decoder (delta/native), against native_fuzz_source().
int fuzz_native_decoder(const std::uint8_t* data, std::size_t size);
const Bytes& native_fuzz_source();

} // namespace dfota::fuzz
