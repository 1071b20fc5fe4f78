// A streaming RFC 3284 VCDIFF decoder that also reads what xdelta3 adds to
// the format: the application header, the per-window Adler-32 checksum
// (VCD_ADLER32), and LZMA secondary compression of the data, instruction and
// address sections (xdelta3's default). Windows are decoded one at a time:
// working memory is one target window plus its sections, bounded by Limits.
// Every size and address read from the payload is checked before use.
#pragma once

#include <cstdint>

#include "core/bytes.hpp"

namespace dfota::delta {

struct VcdiffLimits {
  std::uint64_t max_window_size = 16u << 20;   // target bytes per window (xdelta3 writes at most 16 MiB)
  std::uint64_t max_section_size = 32u << 20;  // data + inst + addr per window, and each decoded section
  std::uint64_t max_app_header = 64u << 10;
};

// Decodes `payload` against `source` into `target`. Fails with
// DeltaErrc::corrupt_payload on malformed input (naming what is wrong),
// DeltaErrc::limit_exceeded beyond `limits`, CoreErrc::unsupported for the
// parts of the format this decoder does not implement (custom code tables,
// VCD_TARGET windows, xdelta3's DJW and FGK secondary compressors). On failure
// `target` has received a prefix of the output.
Status vcdiff_decode(ByteSpan source, Reader& payload, Writer& target, const VcdiffLimits& limits = {});

} // namespace dfota::delta
