// The control program of a native payload: a list of entries, each "move the
// source position by `seek`, copy `copy` bytes from there (plus the
// difference), then take `literal` bytes from the literal stream".
// The offset map the predictor uses is derived from these entries alone, so a
// decoder rebuilds it exactly (formats/native-delta.md, "Offset map").
#pragma once

#include <algorithm>
#include <cstdint>
#include <future>
#include <optional>
#include <system_error>
#include <vector>

#include "core/error.hpp"
#include "delta/native/matcher.hpp"
#include "delta/native/references.hpp"

namespace dfota::delta::native {

struct ControlEntry {
  std::int64_t seek = 0;
  std::uint32_t copy = 0;
  std::uint32_t literal = 0;
};

// An entry with where it starts: its copy reads source[source_start, +copy)
// into target[target_start, +copy); its literal follows in the target.
struct PlacedEntry {
  std::uint64_t source_start = 0;
  std::uint64_t target_start = 0;
  const ControlEntry& entry;
};

// Calls visit(PlacedEntry) -> Status for each entry of a program whose
// positions have been checked, in order; returns the first failure.
template <class Visit> Status for_each_placed(const std::vector<ControlEntry>& entries, Visit&& visit) {
  std::uint64_t source_position = 0, target_position = 0;
  for (const ControlEntry& e : entries) {
    source_position = static_cast<std::uint64_t>(static_cast<std::int64_t>(source_position) + e.seek);
    if (auto ok = visit(PlacedEntry{source_position, target_position, e}); !ok) return ok;
    source_position += e.copy;
    target_position += std::uint64_t{e.copy} + e.literal;
  }
  return {};
}

// The entries of a checked program with their positions, in order.
std::vector<PlacedEntry> placed_entries(const std::vector<ControlEntry>& entries);

// Programs that copy fewer bytes than this are worked on one thread.
inline constexpr std::uint64_t kMinSplitCopy = 128u << 10;

// The encoder's passes over a program's copies on both cores: cuts `placed`
// into two runs of about equal copied bytes and calls work(first, last,
// part) on each, part 0 (the first run) on a thread of its own and part 1 on
// the caller's; returns once both have returned. A program that copies less
// than kMinSplitCopy, or no thread to be had, gets one call work(0,
// placed.size(), 0) on the caller's thread. `work` must be safe to run twice
// at once on different parts; an exception from either part is thrown after
// both have finished.
template <class Work> void split_in_two(const std::vector<PlacedEntry>& placed, Work&& work) {
  std::uint64_t total = 0;
  for (const PlacedEntry& p : placed)
    total += p.entry.copy;
  std::size_t middle = 0;
  for (std::uint64_t first_half = 0; middle < placed.size() && first_half < total / 2; ++middle)
    first_half += placed[middle].entry.copy;
  if (total < kMinSplitCopy || middle == 0 || middle == placed.size()) {
    work(std::size_t{0}, placed.size(), 0);
    return;
  }
  std::future<void> first;
  try {
    first = std::async(std::launch::async, [&work, middle] { work(std::size_t{0}, middle, 0); });
  } catch (const std::system_error&) {
    work(std::size_t{0}, placed.size(), 0);
    return;
  }
  work(middle, placed.size(), 1); // should it throw, first's destructor waits for the other part
  first.get();
}

// At most max_control_entries(target size) entries; the encoder coarsens to
// fit, a decoder refuses more. kMaxControlEntries up to a 16 MiB target,
// beyond it one entry per kTargetBytesPerEntry target bytes: a large image
// with much new code needs more copies than a small one, and the applier's
// program (16 bytes an entry) and offset maps grow with it.
inline constexpr std::size_t kMaxControlEntries = std::size_t{1} << 17;
inline constexpr std::uint64_t kTargetBytesPerEntry = 128;
inline constexpr std::uint64_t max_control_entries(std::uint64_t target_size) {
  return std::max<std::uint64_t>(kMaxControlEntries, target_size / kTargetBytesPerEntry);
}
// Shorter copies cost more in the control stream than as literals.
inline constexpr std::uint64_t kMinCopy = 24;
// Copies shorter than this do not enter the offset map.
inline constexpr std::uint64_t kMinMapLength = 16;

// Appends the control stream of version 3 (formats/native-delta.md, "Control
// entries") of the entries `placed`, in their order: their changes of
// diagonal, then their copies, then their literals. A copy-less entry keeps
// the diagonal. The entries need not be a whole program (the quick estimate
// of a payload writes those of sample windows).
void put_control(Bytes& out, const std::vector<PlacedEntry>& placed);

// Turns matcher blocks into entries (target_size < 4 GiB). Copies shorter
// than kMinCopy become literals, and more of them (doubling the threshold)
// while there would be more than max_control_entries(target_size).
std::vector<ControlEntry> to_control(const std::vector<CopyBlock>& blocks, std::uint64_t target_size);

// `entries` with the target ranges of `copies` (sorted by target start,
// disjoint, inside both images) copied as they say, and the rest of the
// target made as before: copies and literals cut where a range of `copies`
// begins or ends. Copies that continue one another are joined. nullopt when
// the program would have more than max_control_entries() of the target's
// size entries.
std::optional<std::vector<ControlEntry>> overlay_copies(const std::vector<ControlEntry>& entries,
                                                        const std::vector<CopyBlock>& copies);

// The offset map of a control program: every copy of at least kMinMapLength
// bytes, sorted by source start (longer first on a tie, then program order);
// a copy that overlaps one kept before keeps only its part after it, if that
// is still kMinMapLength long. Entries must lie inside the images.
OffsetMap offset_map_for(const std::vector<ControlEntry>& entries);

// What the predictor looks moved addresses up in: the offset map of
// `entries` composed with `layout`'s two load maps (MovedAddresses). Made
// once per program; it depends on the layout's segments, not its kinds.
MovedAddresses moved_addresses_for(const Layout& layout, const std::vector<ControlEntry>& entries);

} // namespace dfota::delta::native
