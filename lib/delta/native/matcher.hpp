// Approximate matching of a target against a source, for the native engine.
// A suffix array of the source (libdivsufsort) finds the longest exact match
// at each target position; matches are then grown forwards and backwards
// while more bytes agree than disagree, so that code which changed in a few
// places (an offset here, a constant there) stays one copy whose small
// byte-wise differences compress to almost nothing.
#pragma once

#include <cstdint>
#include <vector>

#include "core/bytes.hpp"
#include "core/error.hpp"
#include "delta/engine.hpp"

namespace dfota::delta::native {

// target[target_start, +length) is source[source_start, +length) plus a
// byte-wise difference. Blocks come in target order and do not overlap; the
// target bytes between two blocks (and after the last) are literal.
struct CopyBlock {
  std::uint64_t target_start = 0;
  std::uint64_t source_start = 0;
  std::uint64_t length = 0;
};

// Largest source the matcher indexes (32-bit suffix array).
inline constexpr std::uint64_t kMaxIndexedSource = (std::uint64_t{1} << 31) - 2;

// Fails with DeltaErrc::encode_failed when the source is larger than
// kMaxIndexedSource or memory runs out. Memory: 4 bytes per source byte for
// the suffix array, released before returning. `progress` (may be empty) is
// told the share of the matching done, from the matching threads.
Expected<std::vector<CopyBlock>> match_blocks(ByteSpan source, ByteSpan target, const DiffProgress& progress = {});

} // namespace dfota::delta::native
