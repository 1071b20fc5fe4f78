// A quick estimate of a program's payload size. The encoder makes several
// programs for one pair of images (copies grown under each rule, then
// extended or not) and writes only the likeliest at full effort: writing is
// LZMA2 at preset 9, the slowest part of a build after the matching. The
// estimate packs the payload's streams at LZMA2's fastest preset, over the
// same windows of the target for every program, so that two programs of
// one pair compare like for like; it is not a forecast of the payload's
// size in absolute terms.
#pragma once

#include <cstdint>
#include <vector>

#include "core/bytes.hpp"
#include "delta/native/control.hpp"
#include "delta/native/literals.hpp"
#include "delta/native/references.hpp"

namespace dfota::delta::native {

// The estimate looks at all of a target up to kEstimateSample bytes; in a
// larger one, at kEstimateWindows windows spread evenly that add up to
// kEstimateSample.
inline constexpr std::uint64_t kEstimateSample = 4u << 20;
inline constexpr std::uint64_t kEstimateWindows = 32;

// The target windows the estimate looks at: [first, second) ranges in
// order, disjoint, inside [0, target_size).
std::vector<std::pair<std::uint64_t, std::uint64_t>> estimate_windows(std::uint64_t target_size);

// The four streams of the program `entries` (with `moved`, its
// moved_addresses_for() `layout`) restricted to estimate_windows(): the
// entries that reach into a window, the difference of their copied bytes
// there, their literal bytes there through `transform`; each stream packed
// by quickly_packed_size(), no more than it holds, and summed. Copies are
// predicted from where a window cuts them. Entries must lie inside both
// images.
std::uint64_t estimated_payload_size(const Layout& layout, const MovedAddresses& moved, ByteSpan source,
                                     ByteSpan target, const std::vector<ControlEntry>& entries,
                                     LiteralTransform transform);

} // namespace dfota::delta::native
