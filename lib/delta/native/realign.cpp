#include "delta/native/realign.hpp"

#include <algorithm>
#include <array>

namespace dfota::delta::native {

namespace {

// Passes to mismatch(i), in order, each offset i in [0, n) where the
// prediction of the copy from source[s, s + n) under `layout` and `moved`
// differs from target[t + i], until it returns false.
template <class Mismatch>
void for_each_mismatch(const Layout& layout, const MovedAddresses& moved, ByteSpan source, ByteSpan target,
                       std::uint64_t s, std::uint64_t t, std::uint64_t n, Mismatch&& mismatch) {
  // Predicted in pieces that double from 16 bytes: most diagonals tried are
  // wrong and their caller stops within the first few bytes, a right one is
  // predicted in long pieces.
  std::array<std::uint8_t, 256> predicted{};
  std::uint64_t piece = 16;
  BlockPrediction prediction(layout, moved, source, s, t, n);
  for (std::uint64_t done = 0; done < n; piece = std::min<std::uint64_t>(2 * piece, predicted.size())) {
    const std::uint64_t m = std::min<std::uint64_t>(piece, n - done);
    prediction.fill(predicted.data(), static_cast<std::size_t>(m));
    for (std::uint64_t i = 0; i < m; ++i) {
      if (predicted[i] != target[t + done + i] && !mismatch(done + i)) return;
    }
    done += m;
  }
}

// Bytes of target[t, t + n) that differ from the prediction of the copy
// from source[s, s + n); stops counting at `limit`.
std::uint64_t changed_in(const Layout& layout, const MovedAddresses& moved, ByteSpan source, ByteSpan target,
                         std::uint64_t s, std::uint64_t t, std::uint64_t n, std::uint64_t limit) {
  std::uint64_t count = 0;
  if (limit == 0) return 0;
  for_each_mismatch(layout, moved, source, target, s, t, n, [&](std::uint64_t) { return ++count < limit; });
  return count;
}

// How many of the bytes target[t, t + n) the copy along `diagonal` (source
// = target + diagonal, inside the source) predicts before the first it
// does not.
std::uint64_t agreeing_prefix(const Layout& layout, const MovedAddresses& moved, ByteSpan source, ByteSpan target,
                              std::uint64_t t, std::int64_t diagonal, std::uint64_t n) {
  const std::int64_t s = static_cast<std::int64_t>(t) + diagonal;
  if (s < 0 || static_cast<std::uint64_t>(s) + n > source.size()) return 0;
  std::uint64_t agreeing = n;
  for_each_mismatch(layout, moved, source, target, static_cast<std::uint64_t>(s), t, n, [&](std::uint64_t i) {
    agreeing = i;
    return false;
  });
  return agreeing;
}

// A stretch of the target: copied from `source` (kLiteral: sent as is).
struct Span {
  static constexpr std::int64_t kLiteral = -1;
  std::uint64_t target_start;
  std::uint64_t length;
  std::int64_t source; // source start, or kLiteral
};

// The program as spans in target order, without empty ones.
std::vector<Span> spans_of(const std::vector<ControlEntry>& entries) {
  std::vector<Span> spans;
  (void)for_each_placed(entries, [&](const PlacedEntry& placed) -> Status {
    if (placed.entry.copy > 0) {
      spans.push_back({placed.target_start, placed.entry.copy, static_cast<std::int64_t>(placed.source_start)});
    }
    if (placed.entry.literal > 0) {
      spans.push_back({placed.target_start + placed.entry.copy, placed.entry.literal, Span::kLiteral});
    }
    return {};
  });
  return spans;
}

// The program of spans in target order. With `join_copies`, a copy that
// goes on where the one before it ends (in both images) joins it: the
// extension leaves such pairs where it meets a copy on its own diagonal.
// realign() joins its windows itself and keeps the matcher's entries apart.
std::vector<ControlEntry> program_of(const std::vector<Span>& spans, bool join_copies) {
  std::vector<ControlEntry> entries;
  std::uint64_t source_position = 0;
  bool joinable = false; // the last entry ends with its copy
  for (const Span& span : spans) {
    if (span.source == Span::kLiteral) {
      if (entries.empty()) entries.push_back({0, 0, 0});
      entries.back().literal += static_cast<std::uint32_t>(span.length);
      joinable = false;
      continue;
    }
    const auto start = static_cast<std::uint64_t>(span.source);
    if (join_copies && joinable && start == source_position && entries.back().copy + span.length <= UINT32_MAX) {
      entries.back().copy += static_cast<std::uint32_t>(span.length);
    } else {
      entries.push_back(
          {span.source - static_cast<std::int64_t>(source_position), static_cast<std::uint32_t>(span.length), 0});
    }
    source_position = start + span.length;
    joinable = true;
  }
  return entries;
}

} // namespace

std::optional<std::vector<ControlEntry>> realign(const std::vector<ControlEntry>& entries, const Layout& layout,
                                                 const MovedAddresses& moved, ByteSpan source, ByteSpan target) {
  if (layout.kinds == 0) return std::nullopt;
  auto changed = [&](std::uint64_t s, std::uint64_t t, std::uint64_t n, std::uint64_t limit) {
    return changed_in(layout, moved, source, target, s, t, n, limit);
  };

  // Each entry is realigned on its own: the two halves of the program on
  // both cores, each into its own spans.
  const std::vector<PlacedEntry> placed_program = placed_entries(entries);
  std::array<std::vector<Span>, 2> parts;
  std::array<bool, 2> moved_in_part{};
  split_in_two(placed_program, [&](std::size_t first, std::size_t last, int part) {
    std::vector<Span>& spans = parts[part];
    bool& moved_any = moved_in_part[part];
    for (std::size_t i = first; i < last; ++i) {
      const PlacedEntry& placed = placed_program[i];
      const std::uint64_t copy = placed.entry.copy;
      const std::uint64_t literal_start = placed.target_start + copy;
      if (copy < 2 * kRealignWindow) {
        if (copy > 0) spans.push_back({placed.target_start, copy, static_cast<std::int64_t>(placed.source_start)});
        if (placed.entry.literal > 0) spans.push_back({literal_start, placed.entry.literal, Span::kLiteral});
        continue;
      }
      const auto own = static_cast<std::int64_t>(placed.source_start - placed.target_start); // source = target + own
      std::int64_t diagonal = own;
      for (std::uint64_t done = 0; done < copy;) {
        const std::uint64_t t = placed.target_start + done;
        const std::uint64_t n = std::min(kRealignWindow, copy - done);
        auto fits = [&](std::int64_t d) {
          const std::int64_t s = static_cast<std::int64_t>(t) + d;
          return s >= 0 && static_cast<std::uint64_t>(s) + n <= source.size();
        };
        std::uint64_t best =
            changed(static_cast<std::uint64_t>(static_cast<std::int64_t>(t) + diagonal), t, n, UINT64_MAX);
        if (best > n / 16) {
          std::int64_t best_diagonal = diagonal;
          auto consider = [&](std::int64_t d) {
            if (d == diagonal || !fits(d)) return;
            // A split costs a control entry: demand a clear gain.
            if (best <= 8) return;
            const std::uint64_t c =
                changed(static_cast<std::uint64_t>(static_cast<std::int64_t>(t) + d), t, n, best - 8);
            if (c + 8 < best) {
              best = c;
              best_diagonal = d;
            }
          };
          consider(own);
          for (std::int64_t step = 4; step <= kRealignReach; step += 4) {
            consider(diagonal - step);
            consider(diagonal + step);
          }
          diagonal = best_diagonal;
        }
        const std::int64_t s = static_cast<std::int64_t>(t) + diagonal;
        // After the first window, the last span ends where this one starts in
        // the target; it continues when it does in the source too.
        if (done > 0 && spans.back().source + static_cast<std::int64_t>(spans.back().length) == s) {
          spans.back().length += n;
        } else {
          spans.push_back({t, n, s});
          moved_any = moved_any || done > 0 || s != static_cast<std::int64_t>(placed.source_start);
        }
        done += n;
      }
      if (placed.entry.literal > 0) spans.push_back({literal_start, placed.entry.literal, Span::kLiteral});
    }
  });
  if (!moved_in_part[0] && !moved_in_part[1]) return std::nullopt;
  std::vector<Span>& spans = parts[0];
  spans.insert(spans.end(), parts[1].begin(), parts[1].end());
  std::vector<ControlEntry> program = program_of(spans, false);
  if (program.size() > kMaxControlEntries) return std::nullopt;
  return program;
}

std::uint64_t rough_cost(std::uint64_t changed, const std::vector<ControlEntry>& entries) {
  std::uint64_t total = kChangedCost * changed + kEntryCost * entries.size();
  for (const ControlEntry& e : entries)
    total += e.literal;
  return total;
}

std::optional<std::vector<ControlEntry>> extend_copies(const std::vector<ControlEntry>& entries, const Layout& layout,
                                                       const MovedAddresses& moved, ByteSpan source, ByteSpan target) {
  if (layout.kinds == 0) return std::nullopt;
  std::vector<Span> spans = spans_of(entries);
  std::vector<Span> result;
  result.reserve(spans.size());
  bool extended_any = false;
  // The copy being extended (result.back()) and its diagonal; spans[next] is
  // the first span not yet passed, and its first `used` bytes are taken.
  std::size_t next = 0;
  std::uint64_t at = 0, used = 0;
  std::int64_t diagonal = 0;

  // What a copy on diagonal d costs in [at, at + length), counted up to
  // about `limit`; UINT64_MAX when the source does not hold it.
  auto cost_on = [&](std::int64_t d, std::uint64_t length, std::uint64_t limit) -> std::uint64_t {
    const std::int64_t from = static_cast<std::int64_t>(at) + d;
    if (from < 0 || static_cast<std::uint64_t>(from) + length > source.size()) return UINT64_MAX;
    return kChangedCost * changed_in(layout, moved, source, target, static_cast<std::uint64_t>(from), at, length,
                                     limit / kChangedCost + 1);
  };
  // What the current coverage of [at, at + length) costs, and whether it is
  // all copies along the diagonal.
  struct Coverage {
    std::uint64_t cost = 0;
    bool same_diagonal = true;
  };
  auto coverage = [&](std::uint64_t length) {
    Coverage c;
    for (std::size_t k = next, skip = used, left = length; left > 0 && k < spans.size(); ++k, skip = 0) {
      const Span& span = spans[k];
      const std::uint64_t piece = std::min<std::uint64_t>(left, span.length - skip);
      if (skip == 0) c.cost += kEntryCost;
      if (span.source == Span::kLiteral) {
        c.cost += piece;
        c.same_diagonal = false;
      } else {
        const auto start = static_cast<std::uint64_t>(span.source) + skip;
        c.cost += kChangedCost *
                  changed_in(layout, moved, source, target, start, span.target_start + skip, piece, UINT64_MAX);
        c.same_diagonal = c.same_diagonal && span.source - static_cast<std::int64_t>(span.target_start) == diagonal;
      }
      left -= piece;
    }
    return c;
  };
  // Takes the next `length` bytes: the copy grows, the spans under it shrink.
  auto take = [&](std::uint64_t length) {
    extended_any = true;
    result.back().length += length;
    at += length;
    used += length;
    while (next < spans.size() && used >= spans[next].length) {
      used -= spans[next].length;
      ++next;
    }
  };
  // The diagonal up to kExtendReach bytes away that costs least in
  // [at, at + n), if it costs less than `bound`, with its cost.
  auto continuation = [&](std::uint64_t n, std::uint64_t bound) {
    std::pair<std::int64_t, std::uint64_t> best{diagonal, bound};
    for (std::int64_t step = 4; step <= kExtendReach; step += 4) {
      for (const std::int64_t d : {diagonal - step, diagonal + step}) {
        if (const std::uint64_t cost = cost_on(d, n, best.second); cost < best.second) best = {d, cost};
      }
    }
    return best;
  };

  while (next < spans.size()) {
    result.push_back(spans[next++]);
    const Span copy = result.back();
    if (copy.source == Span::kLiteral || copy.length < kExtendFrom) continue;
    diagonal = copy.source - static_cast<std::int64_t>(copy.target_start);
    at = copy.target_start + copy.length;
    used = 0;
    bool grown = false;
    // Where the next search for the table's continuation may start
    // (kSearchPause), and the searches in a row that found nothing.
    std::uint64_t search_from = 0;
    unsigned failed_searches = 0;
    while (next < spans.size()) {
      const std::uint64_t n = std::min(kExtendWindow, target.size() - at);
      if (n == 0) break;
      const Coverage current = coverage(n);
      if (current.same_diagonal) break; // what follows goes on along the diagonal already
      const std::uint64_t own = cost_on(diagonal, n, current.cost);
      // Where the diagonal falls clearly short after it has grown, the copy
      // may have been following a table past an entry inserted into it (or
      // removed from it): the table goes on at a nearby diagonal, where a
      // new copy costs an entry. First the words up to the insertion, which
      // the diagonal still predicts.
      const bool short_fall = own >= current.cost || own > kChangedCost * (n / 8);
      if (!grown || !short_fall) {
        if (own >= current.cost) break;
        take(n);
        grown = true;
        continue;
      }
      if (const std::uint64_t agreeing = agreeing_prefix(layout, moved, source, target, at, diagonal, n) & ~3ull;
          agreeing > 0) {
        take(agreeing);
        continue;
      }
      const auto [best_diagonal, best] =
          at >= search_from ? continuation(n, std::min(own, current.cost))
                            : std::pair<std::int64_t, std::uint64_t>{diagonal, std::min(own, current.cost)};
      const bool switched = best_diagonal != diagonal && best + kEntryCost < std::min(own, current.cost);
      if (switched) {
        diagonal = best_diagonal;
        result.push_back({at, 0, static_cast<std::int64_t>(at) + diagonal});
        failed_searches = 0;
      } else if (at >= search_from && ++failed_searches == kSearchesBeforePause) {
        search_from = at + kSearchPause;
        failed_searches = 0;
      }
      if (!switched && own >= current.cost) {
        // A window that does worse may still be worth passing through when
        // the diagonal does better over the next kExtendLookahead windows.
        const std::uint64_t ahead = std::min(kExtendLookahead * kExtendWindow, target.size() - at);
        const std::uint64_t current_ahead = coverage(ahead).cost;
        if (cost_on(diagonal, ahead, current_ahead) >= current_ahead) break;
      }
      take(n);
    }
    if (used > 0) {
      Span& rest = spans[next];
      rest.target_start += used;
      rest.length -= used;
      if (rest.source != Span::kLiteral) rest.source += static_cast<std::int64_t>(used);
    }
  }
  if (!extended_any) return std::nullopt;
  std::vector<ControlEntry> program = program_of(result, true);
  if (program.size() > kMaxControlEntries) return std::nullopt;
  return program;
}

} // namespace dfota::delta::native
