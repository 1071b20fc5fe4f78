// Prediction-aware realignment of a control program. The matcher aligns
// raw bytes; after prediction another nearby source position can agree far
// better. The typical case is a table that grew: in a relocation or symbol
// table with entries inserted, every entry after an insertion sits a stride
// later in the target, and the raw bytes of the misaligned entries are about
// as alike as those of the aligned ones (all their addresses moved), so the
// matcher keeps one long misaligned copy. Realignment walks each long copy in
// windows and, where a window's prediction disagrees with the target, tries
// the nearby diagonals and splits the copy where one does better.
#pragma once

#include <optional>
#include <vector>

#include "core/bytes.hpp"
#include "delta/native/control.hpp"
#include "delta/native/references.hpp"

namespace dfota::delta::native {

// The window realign() judges copies by, and how far (in bytes, both ways,
// in steps of 4) it looks for a better diagonal from the current one.
inline constexpr std::uint64_t kRealignWindow = 256;
inline constexpr std::int64_t kRealignReach = 128;

// Returns `entries` with copies split and re-pointed where that makes fewer
// bytes differ from their prediction under `layout` and `moved`
// (moved_addresses_for() `layout` and `entries`); the copies and literals still cover the target in the same
// order. Returns nullopt when no copy moved, or when splitting would exceed
// max_control_entries(target.size()).
std::optional<std::vector<ControlEntry>> realign(const std::vector<ControlEntry>& entries, const Layout& layout,
                                                 const MovedAddresses& moved, ByteSpan source, ByteSpan target);

// Copies of at least kExtendFrom bytes are continued along their diagonal,
// window by window (kExtendWindow bytes), over what follows them in the
// target while the diagonal leaves less to send there than the current
// coverage. Costs: kChangedCost per changed byte, one per literal byte and
// kEntryCost per entry that starts in the window. The matcher stops a copy
// where raw bytes stop agreeing, but after prediction the same diagonal
// often goes on agreeing, and the matcher has covered the rest with short
// copies from elsewhere that happen to agree in raw bytes: a PLT whose every
// entry changed because the GOT moved is the typical case. Once a copy has
// grown, where its diagonal stops predicting it keeps the words that still
// agree and then looks for the table's continuation on the diagonals up to
// kExtendReach bytes away (entries inserted or removed), starting a new copy
// there when that pays for its entry; failing that, it goes on through a
// window that costs more when the diagonal costs less over the next
// kExtendLookahead windows (one entry a little off does not end a table).
// A search weighs some two thousand diagonals: after kSearchesBeforePause in
// a row that found nothing, the next waits until the copy has grown
// kSearchPause bytes more, so that a long stretch the diagonal predicts
// poorly costs a bounded amount of work.
inline constexpr std::uint64_t kExtendFrom = 512;
inline constexpr std::uint64_t kExtendWindow = 128;
inline constexpr std::uint64_t kExtendLookahead = 4;
inline constexpr std::int64_t kExtendReach = 4096;
inline constexpr std::uint64_t kSearchPause = 4096;
inline constexpr unsigned kSearchesBeforePause = 4;
inline constexpr std::uint64_t kEntryCost = 4;
inline constexpr std::uint64_t kChangedCost = 3;

// What the program `entries`, with `changed` bytes of its copies differing
// from their prediction, leaves to send, roughly, with the weights above.
std::uint64_t rough_cost(std::uint64_t changed, const std::vector<ControlEntry>& entries);

// Returns `entries` with copies extended as above under `layout` and
// `moved` (moved_addresses_for() `layout` and `entries`); the copies and literals still cover the target in
// the same order. Returns nullopt when no copy was extended, or when the
// program would exceed max_control_entries(target.size()). On a target of kMinSplitCopy
// bytes or more, the second half's copies are extended on a thread of their
// own, speculatively: the result is the same as on one thread (`one_thread`
// true, for the tests that check it).
std::optional<std::vector<ControlEntry>> extend_copies(const std::vector<ControlEntry>& entries, const Layout& layout,
                                                       const MovedAddresses& moved, ByteSpan source, ByteSpan target,
                                                       bool one_thread = false);

} // namespace dfota::delta::native
