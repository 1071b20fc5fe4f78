#include "delta/native/realign.hpp"

#include <algorithm>
#include <array>

namespace dfota::delta::native {

namespace {

// Bytes of target[t, t + n) that differ from the prediction of the copy
// from source[s, s + n) under `layout` and `map`; stops counting (returning
// at least `limit`) once it reaches `limit`.
std::uint64_t changed_in(const Layout& layout, const OffsetMap& map, ByteSpan source, ByteSpan target, std::uint64_t s,
                         std::uint64_t t, std::uint64_t n, std::uint64_t limit) {
  std::array<std::uint8_t, 64> predicted{};
  BlockPrediction prediction(layout, map, source, s, t, n);
  std::uint64_t count = 0;
  for (std::uint64_t done = 0; done < n && count < limit;) {
    const std::uint64_t m = std::min<std::uint64_t>(predicted.size(), n - done);
    prediction.fill(predicted.data(), static_cast<std::size_t>(m));
    for (std::uint64_t i = 0; i < m; ++i)
      count += predicted[i] != target[t + done + i];
    done += m;
  }
  return count;
}

// How many of the bytes target[t, t + n) the copy along `diagonal` (source
// = target + diagonal, inside the source) predicts before the first it
// does not.
std::uint64_t agreeing_prefix(const Layout& layout, const OffsetMap& map, ByteSpan source, ByteSpan target,
                              std::uint64_t t, std::int64_t diagonal, std::uint64_t n) {
  const std::int64_t s = static_cast<std::int64_t>(t) + diagonal;
  if (s < 0 || static_cast<std::uint64_t>(s) + n > source.size()) return 0;
  std::array<std::uint8_t, 64> predicted{};
  BlockPrediction prediction(layout, map, source, static_cast<std::uint64_t>(s), t, n);
  for (std::uint64_t done = 0; done < n;) {
    const std::uint64_t m = std::min<std::uint64_t>(predicted.size(), n - done);
    prediction.fill(predicted.data(), static_cast<std::size_t>(m));
    for (std::uint64_t i = 0; i < m; ++i) {
      if (predicted[i] != target[t + done + i]) return done + i;
    }
    done += m;
  }
  return n;
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

// The program of spans in target order: a copy that goes on where the one
// before it ends (in both images) joins it.
std::vector<ControlEntry> program_of(const std::vector<Span>& spans) {
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
    if (joinable && start == source_position && entries.back().copy + span.length <= UINT32_MAX) {
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

// A copy and the literal after it, placed.
struct Piece {
  std::uint64_t source_start;
  std::uint64_t target_start;
  std::uint32_t copy;
  std::uint32_t literal;
};

} // namespace

std::optional<std::vector<ControlEntry>> realign(const std::vector<ControlEntry>& entries, const Layout& layout,
                                                 const OffsetMap& map, ByteSpan source, ByteSpan target) {
  if (layout.kinds == 0) return std::nullopt;
  auto changed = [&](std::uint64_t s, std::uint64_t t, std::uint64_t n, std::uint64_t limit) {
    return changed_in(layout, map, source, target, s, t, n, limit);
  };

  std::vector<Piece> pieces;
  bool moved_any = false;
  (void)for_each_placed(entries, [&](const PlacedEntry& placed) -> Status {
    const std::uint64_t copy = placed.entry.copy;
    if (copy < 2 * kRealignWindow) {
      pieces.push_back({placed.source_start, placed.target_start, placed.entry.copy, placed.entry.literal});
      return {};
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
          const std::uint64_t c = changed(static_cast<std::uint64_t>(static_cast<std::int64_t>(t) + d), t, n, best - 8);
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
      const std::uint64_t s = static_cast<std::uint64_t>(static_cast<std::int64_t>(t) + diagonal);
      // After the first window, the last piece ends where this one starts in
      // the target; it continues when it does in the source too.
      if (done > 0 && pieces.back().source_start + pieces.back().copy == s) {
        pieces.back().copy += static_cast<std::uint32_t>(n);
      } else {
        pieces.push_back({s, t, static_cast<std::uint32_t>(n), 0});
        moved_any = moved_any || done > 0 || s != placed.source_start;
      }
      done += n;
    }
    pieces.back().literal = placed.entry.literal;
    return {};
  });
  if (!moved_any || pieces.size() > kMaxControlEntries) return std::nullopt;

  std::vector<ControlEntry> result;
  result.reserve(pieces.size());
  std::uint64_t source_position = 0;
  for (const Piece& p : pieces) {
    result.push_back(
        {static_cast<std::int64_t>(p.source_start) - static_cast<std::int64_t>(source_position), p.copy, p.literal});
    source_position = p.source_start + p.copy;
  }
  return result;
}

std::optional<std::vector<ControlEntry>> extend_copies(const std::vector<ControlEntry>& entries, const Layout& layout,
                                                       const OffsetMap& map, ByteSpan source, ByteSpan target) {
  if (layout.kinds == 0) return std::nullopt;
  std::vector<Span> spans = spans_of(entries);
  std::vector<Span> result;
  result.reserve(spans.size());
  bool extended_any = false;
  for (std::size_t next = 0; next < spans.size();) {
    result.push_back(spans[next++]);
    const Span copy = result.back();
    if (copy.source == Span::kLiteral || copy.length < kExtendFrom) continue;
    std::int64_t diagonal = copy.source - static_cast<std::int64_t>(copy.target_start);
    bool grown = false;
    // Where the next search for the table's continuation may start
    // (kSearchPause), and the searches in a row that found nothing.
    std::uint64_t search_from = 0;
    unsigned failed_searches = 0;
    // spans[next] is the first span not yet passed; its first `used` bytes
    // are taken by the extension.
    std::uint64_t at = copy.target_start + copy.length, used = 0;
    while (next < spans.size()) {
      const std::uint64_t n = std::min(kExtendWindow, target.size() - at);
      if (n == 0) break;
      // What a copy on diagonal d costs in [at, at + length), counted up to
      // about `limit`.
      auto cost_on = [&](std::int64_t d, std::uint64_t length, std::uint64_t limit) -> std::uint64_t {
        const std::int64_t from = static_cast<std::int64_t>(at) + d;
        if (from < 0 || static_cast<std::uint64_t>(from) + length > source.size()) return UINT64_MAX;
        return kChangedCost * changed_in(layout, map, source, target, static_cast<std::uint64_t>(from), at, length,
                                         limit / kChangedCost + 1);
      };
      // What the current coverage of [at, at + length) costs; whether it is
      // all copies along `diagonal`.
      auto coverage = [&](std::uint64_t length, bool* same_diagonal) {
        std::uint64_t cost = 0;
        *same_diagonal = true;
        for (std::size_t k = next, skip = used, left = length; left > 0 && k < spans.size(); ++k, skip = 0) {
          const Span& span = spans[k];
          const std::uint64_t piece = std::min<std::uint64_t>(left, span.length - skip);
          if (skip == 0) cost += kEntryCost;
          if (span.source == Span::kLiteral) {
            cost += piece;
            *same_diagonal = false;
          } else {
            const auto start = static_cast<std::uint64_t>(span.source) + skip;
            cost += kChangedCost *
                    changed_in(layout, map, source, target, start, span.target_start + skip, piece, UINT64_MAX);
            *same_diagonal = *same_diagonal && span.source - static_cast<std::int64_t>(span.target_start) == diagonal;
          }
          left -= piece;
        }
        return cost;
      };
      bool same_diagonal = true;
      const std::uint64_t current = coverage(n, &same_diagonal);
      if (same_diagonal) break; // what follows goes on along the diagonal already
      // Takes the next `length` bytes: the copy grows, the spans under it
      // shrink.
      auto take = [&](std::uint64_t length) {
        grown = extended_any = true;
        result.back().length += length;
        at += length;
        used += length;
        while (next < spans.size() && used >= spans[next].length) {
          used -= spans[next].length;
          ++next;
        }
      };
      // Where the diagonal falls clearly short after it has grown, the copy
      // may have been following a table past an entry inserted into it (or
      // removed from it): the table goes on at a nearby diagonal, where a
      // new copy costs an entry. First the words up to the insertion, which
      // the diagonal still predicts.
      const std::uint64_t own = cost_on(diagonal, n, current);
      if (grown && (own >= current || own > kChangedCost * (n / 8))) {
        if (const std::uint64_t agreeing = agreeing_prefix(layout, map, source, target, at, diagonal, n) & ~3ull;
            agreeing > 0) {
          take(agreeing);
          continue;
        }
        std::uint64_t best = std::min(own, current);
        std::int64_t best_diagonal = diagonal;
        for (std::int64_t step = 4; at >= search_from && step <= kExtendReach; step += 4) {
          for (const std::int64_t d : {diagonal - step, diagonal + step}) {
            const std::uint64_t cost = cost_on(d, n, best);
            if (cost < best) {
              best = cost;
              best_diagonal = d;
            }
          }
        }
        const bool switched = best_diagonal != diagonal && best + kEntryCost < std::min(own, current);
        if (switched) {
          diagonal = best_diagonal;
          result.push_back({at, 0, static_cast<std::int64_t>(at) + diagonal});
          failed_searches = 0;
        } else if (at >= search_from && ++failed_searches == kSearchesBeforePause) {
          search_from = at + kSearchPause;
          failed_searches = 0;
        }
        if (!switched && own >= current) {
          // A window that does worse may still be worth passing through when
          // the diagonal does better over the next kExtendLookahead windows.
          const std::uint64_t ahead = std::min(kExtendLookahead * kExtendWindow, target.size() - at);
          bool ignored = false;
          const std::uint64_t current_ahead = coverage(ahead, &ignored);
          if (cost_on(diagonal, ahead, current_ahead) >= current_ahead) break;
        }
      } else if (own >= current) {
        break;
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
  std::vector<ControlEntry> program = program_of(result);
  if (program.size() > kMaxControlEntries) return std::nullopt;
  return program;
}

} // namespace dfota::delta::native
