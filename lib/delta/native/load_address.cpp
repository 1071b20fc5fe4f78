#include "delta/native/load_address.hpp"

#include <algorithm>
#include <map>
#include <vector>

namespace dfota::delta::native {
namespace {

// At most this many changed words are looked at (spread over the copies),
// and a word whose shift this many map entries share is skipped: it says
// too little to be worth the intervals.
constexpr std::size_t kMaxObservations = 1 << 16;
constexpr std::size_t kMaxEntriesPerShift = 64;

struct Observation {
  std::uint64_t value; // the source word
  std::int64_t shift;  // target word - source word
};

// Bases in [low, high] (inclusive) explain one word.
struct Interval {
  std::uint64_t low, high;
};

// The number of trailing zero bits of `value` (64 for 0).
unsigned alignment_of(std::uint64_t value) { return value == 0 ? 64 : static_cast<unsigned>(__builtin_ctzll(value)); }

} // namespace

std::optional<std::uint64_t> guess_load_address(ByteSpan source, ByteSpan target, const OffsetMap& map,
                                                unsigned word_size) {
  const std::vector<MapEntry>& entries = map.entries();
  if (entries.empty() || (word_size != 4 && word_size != 8)) return std::nullopt;
  // The words that changed by a small amount inside copies.
  std::uint64_t words = 0;
  for (const MapEntry& e : entries)
    words += e.length / word_size;
  const std::uint64_t stride = std::max<std::uint64_t>(1, words / (4 * kMaxObservations));
  std::vector<Observation> observations;
  std::uint64_t index = 0;
  for (const MapEntry& e : entries) {
    const std::uint64_t first = (e.source_start + word_size - 1) / word_size * word_size;
    for (std::uint64_t at = first; at + word_size <= e.source_start + e.length; at += word_size, ++index) {
      if (index % stride != 0 || observations.size() == kMaxObservations) continue;
      const std::uint64_t to = e.target_start + (at - e.source_start);
      if (to + word_size > target.size() || at + word_size > source.size()) continue;
      const std::uint64_t v = load_le(source, at, word_size), w = load_le(target, to, word_size);
      if (v == w || v < kMinAbsolute || w < kMinAbsolute) continue;
      const std::uint64_t distance = v < w ? w - v : v - w;
      if (distance >= kMaxPointerShift) continue;
      observations.push_back({v, static_cast<std::int64_t>(w - v)});
    }
  }
  if (observations.size() < kMinAgreeingWords) return std::nullopt;
  // The map's entries by how far they moved.
  std::map<std::int64_t, std::vector<const MapEntry*>> by_shift;
  for (const MapEntry& e : entries)
    by_shift[static_cast<std::int64_t>(e.target_start - e.source_start)].push_back(&e);
  // Each word's bases: v - o for an offset o of an entry that moved by the
  // word's shift (and a base of at least 0).
  std::vector<std::pair<std::uint64_t, int>> events; // (position, +1 opens / -1 closes after)
  for (const Observation& o : observations) {
    auto it = by_shift.find(o.shift);
    if (it == by_shift.end() || it->second.size() > kMaxEntriesPerShift) continue;
    for (const MapEntry* e : it->second) {
      if (o.value < e->source_start) continue;
      const std::uint64_t high = o.value - e->source_start;
      const std::uint64_t last = e->source_start + e->length - 1;
      const std::uint64_t low = o.value > last ? o.value - last : 0;
      events.push_back({low, +1});
      events.push_back({high + 1, -1});
    }
  }
  if (events.empty()) return std::nullopt;
  std::sort(events.begin(), events.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : a.second < b.second; // closes before opens at one position
  });
  // The bases covered by the most intervals; among them, the most aligned.
  long depth = 0, best_depth = 0;
  std::uint64_t best = 0;
  for (std::size_t i = 0; i < events.size(); ++i) {
    depth += events[i].second;
    if (i + 1 < events.size() && events[i + 1].first == events[i].first) continue;
    if (depth <= 0 || i + 1 == events.size()) continue;
    const std::uint64_t low = events[i].first, high = events[i + 1].first - 1; // depth holds on [low, high]
    // The most aligned value in [low, high].
    std::uint64_t aligned = low;
    for (unsigned bit = 63; bit > 0; --bit) {
      const std::uint64_t step = std::uint64_t{1} << bit;
      const std::uint64_t candidate = (low + step - 1) & ~(step - 1);
      if (candidate >= low && candidate <= high) {
        aligned = candidate;
        break;
      }
    }
    if (depth > best_depth || (depth == best_depth && alignment_of(aligned) > alignment_of(best))) {
      best_depth = depth;
      best = aligned;
    }
  }
  const auto agreeing = static_cast<std::uint64_t>(best_depth);
  if (agreeing < kMinAgreeingWords || agreeing * kAgreeingShare < observations.size()) return std::nullopt;
  return best;
}

void load_at(Layout& layout, std::uint64_t base, unsigned word_size) {
  std::vector<Segment> source = layout.source.segments(), target = layout.target.segments();
  for (Segment& s : source)
    s.vaddr = base + s.offset;
  for (Segment& s : target)
    s.vaddr = base + s.offset;
  layout.source = AddressSpace(std::move(source));
  layout.target = AddressSpace(std::move(target));
  const KindSet absolute = word_size == 8 ? kAbsolute64 : kAbsolute32;
  layout.kinds |= absolute;
  if (layout.alternative_kinds != 0) layout.alternative_kinds |= absolute;
}

} // namespace dfota::delta::native
