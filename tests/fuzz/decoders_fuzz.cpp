// libFuzzer targets: the VCDIFF decoder and the zstd engine's apply, with the
// native target's fixed source. Output is cut off at 4 MiB (for zstd as the
// stated target size, which also bounds its window), and VCDIFF windows are
// limited to 1 MiB, so that an input asking for more is a clean refusal rather
// than a slow run.
#include "delta/engine.hpp"
#include "delta/vcdiff_decoder.hpp"
#include "fuzz/fuzz_target.hpp"

namespace dfota::fuzz {

int fuzz_vcdiff_decoder(const std::uint8_t* data, std::size_t size) {
  SpanReader reader(ByteSpan(data, size));
  CountingWriter counter;
  delta::BoundedWriter out(counter, 4u << 20);
  delta::VcdiffLimits limits;
  limits.max_window_size = 1u << 20;
  limits.max_section_size = 2u << 20;
  (void)delta::vcdiff_decode(native_fuzz_source(), reader, out, limits);
  return 0;
}

int fuzz_zstd_engine(const std::uint8_t* data, std::size_t size) {
  SpanReader reader(ByteSpan(data, size));
  CountingWriter counter;
  // A package always states the target size; 4 MiB bounds the window like
  // the manifest's size bounds it in apply.
  (void)delta::find_engine("zstd")->apply(native_fuzz_source(), reader, counter, 4u << 20);
  // And into a region, as apply does to a file: the decoder's history is the
  // region, which a crafted frame must not read or write beyond.
  static Bytes region(64u << 10);
  SpanReader again(ByteSpan(data, size));
  (void)delta::find_engine("zstd")->apply_into(native_fuzz_source(), again, region);
  return 0;
}

} // namespace dfota::fuzz
