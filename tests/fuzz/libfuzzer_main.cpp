// Entry points for the libFuzzer builds (tests/fuzz/run.sh): one program per
// target, chosen by DFOTA_FUZZ_TARGET at compile time.
#include "fuzz/fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return DFOTA_FUZZ_TARGET(data, size);
}
