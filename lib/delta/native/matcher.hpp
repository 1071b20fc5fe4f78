// Approximate matching of a target against a source, for the native engine.
// A suffix array of the source (libdivsufsort) finds the longest exact match
// at each target position, and the scan keeps those that the current
// alignment does not explain (the anchors). Copies are then grown from the
// anchors forwards and backwards along their alignment, so that code which
// changed in a few places (an offset here, a constant there) stays one copy
// whose small byte-wise differences compress to almost nothing. How far they
// grow is a choice (Growth): the anchors are found once and the copies grown
// under each rule the caller wants to weigh.
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

// Where the scan took a new exact match: target_start in the target matches
// source_start in the source. 32 bits each (a target is under 4 GiB, an
// indexed source under 2 GiB): a 50 MB pair has 1.5 million anchors, held
// beside the suffix array at the build's peak.
struct Anchor {
  std::uint32_t target_start = 0;
  std::uint32_t source_start = 0;
};
// The anchors of target[begin, end), scanned on its own, in target order.
struct ScannedPart {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  std::vector<Anchor> anchors;
};
// What find_anchors() found: parts in target order that cover the target.
struct Anchors {
  std::vector<ScannedPart> parts;
};

// How far a copy grows along its alignment past its anchor: to the length
// where agree_weight × agreeing bytes − differ_weight × differing bytes is
// greatest. Loose growth suits pairs whose differing bytes are mostly moved
// references, which prediction makes agree; strict growth suits pairs with
// much new code, where a differing byte costs more as a changed byte than as
// a literal.
struct Growth {
  std::int64_t agree_weight = 1;
  std::int64_t differ_weight = 1;
};
inline constexpr Growth kLooseGrowth{3, 2};
inline constexpr Growth kEvenGrowth{1, 1};
inline constexpr Growth kStrictGrowth{1, 2};

// Fails with DeltaErrc::encode_failed when the source is larger than
// kMaxIndexedSource, the target larger than 4 GiB - 1 or memory runs out.
// Memory: 4 bytes per source byte for the suffix array and 256 KiB for the
// ranks where each first byte pair begins, released before returning, and 8
// bytes per anchor.
// `progress` (may be empty) is told the share of the matching done, from the
// matching threads. A target from 1 MiB on is scanned in two parts at once.
Expected<Anchors> find_anchors(ByteSpan source, ByteSpan target, const DiffProgress& progress = {});

// The copy blocks grown from `anchors` (find_anchors() of the same images)
// under `growth`; where a block grown forwards and the next grown backwards
// overlap, they are cut where the most bytes agree. Blocks may be empty.
std::vector<CopyBlock> grow_blocks(ByteSpan source, ByteSpan target, const Anchors& anchors, Growth growth);

} // namespace dfota::delta::native
