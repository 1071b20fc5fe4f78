#include "delta/native/realign.hpp"

#include <algorithm>
#include <array>
#include <future>
#include <system_error>
#include <utility>

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

namespace {

// Appends the spans of one entry of the program realign() works on: its
// copy, split and re-pointed where another diagonal predicts a window
// clearly better, then its literal. Returns whether the copy moved.
bool realign_entry(const PlacedEntry& placed, const Layout& layout, const MovedAddresses& moved, ByteSpan source,
                   ByteSpan target, std::vector<Span>& spans) {
  const std::uint64_t copy = placed.entry.copy;
  const std::uint64_t literal_start = placed.target_start + copy;
  bool moved_any = false;
  if (copy < 2 * kRealignWindow) {
    if (copy > 0) spans.push_back({placed.target_start, copy, static_cast<std::int64_t>(placed.source_start)});
  } else {
    const auto own = static_cast<std::int64_t>(placed.source_start - placed.target_start); // source = target + own
    std::int64_t diagonal = own;
    for (std::uint64_t done = 0; done < copy;) {
      const std::uint64_t t = placed.target_start + done;
      const std::uint64_t n = std::min(kRealignWindow, copy - done);
      // Changed bytes of the window on diagonal d, counted up to `limit`.
      auto changed_on = [&](std::int64_t d, std::uint64_t limit) {
        return changed_in(layout, moved, source, target, static_cast<std::uint64_t>(static_cast<std::int64_t>(t) + d),
                          t, n, limit);
      };
      auto fits = [&](std::int64_t d) {
        const std::int64_t s = static_cast<std::int64_t>(t) + d;
        return s >= 0 && static_cast<std::uint64_t>(s) + n <= source.size();
      };
      // A diagonal taken for an earlier window may run past the source's end
      // in this one; the copy's own diagonal always holds it.
      if (!fits(diagonal)) diagonal = own;
      std::uint64_t best = changed_on(diagonal, UINT64_MAX);
      if (best > n / 16) {
        std::int64_t best_diagonal = diagonal;
        auto consider = [&](std::int64_t d) {
          // A split costs a control entry: demand a clear gain.
          if (d == diagonal || best <= 8 || !fits(d)) return;
          if (const std::uint64_t c = changed_on(d, best - 8); c + 8 < best) {
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
  }
  if (placed.entry.literal > 0) spans.push_back({literal_start, placed.entry.literal, Span::kLiteral});
  return moved_any;
}

} // namespace

std::optional<std::vector<ControlEntry>> realign(const std::vector<ControlEntry>& entries, const Layout& layout,
                                                 const MovedAddresses& moved, ByteSpan source, ByteSpan target) {
  if (layout.kinds == 0) return std::nullopt;
  // Each entry is realigned on its own: the two halves of the program on
  // both cores, each into its own spans.
  const std::vector<PlacedEntry> placed = placed_entries(entries);
  std::array<std::vector<Span>, 2> parts;
  std::array<bool, 2> moved_in_part{};
  split_in_two(placed, [&](std::size_t first, std::size_t last, int part) {
    for (std::size_t i = first; i < last; ++i) {
      if (realign_entry(placed[i], layout, moved, source, target, parts[part])) moved_in_part[part] = true;
    }
  });
  if (!moved_in_part[0] && !moved_in_part[1]) return std::nullopt;
  std::vector<Span>& spans = parts[0];
  spans.insert(spans.end(), parts[1].begin(), parts[1].end());
  std::vector<ControlEntry> program = program_of(spans, false);
  if (program.size() > max_control_entries(target.size())) return std::nullopt;
  return program;
}

std::uint64_t rough_cost(std::uint64_t changed, const std::vector<ControlEntry>& entries) {
  std::uint64_t total = kChangedCost * changed + kEntryCost * entries.size();
  for (const ControlEntry& e : entries)
    total += e.literal;
  return total;
}

namespace {

// extend_copies() over the spans of a program, from one span on: the copies
// it starts and the state of the one it is extending. Works on `spans` in
// place (a span partly taken is cut to what is left).
class Extension {
public:
  Extension(std::vector<Span>& spans, const Layout& layout, const MovedAddresses& moved, ByteSpan source,
            ByteSpan target)
      : spans_(spans), layout_(layout), moved_(moved), source_(source), target_(target) {
    result_.reserve(spans.size());
  }

  // Takes spans until the first not yet passed is `stop` or later (a copy
  // being extended may run past `stop`; it ends first).
  void run(std::size_t stop);
  std::size_t next() const { return next_; }
  std::vector<Span>& result() { return result_; }
  bool extended_any() const { return extended_any_; }

private:
  // What a copy on diagonal d costs in [at, at + length), counted up to
  // about `limit`; UINT64_MAX when the source does not hold it.
  std::uint64_t cost_on(std::int64_t d, std::uint64_t length, std::uint64_t limit) const {
    const std::int64_t from = static_cast<std::int64_t>(at_) + d;
    if (from < 0 || static_cast<std::uint64_t>(from) + length > source_.size()) return UINT64_MAX;
    return kChangedCost * changed_in(layout_, moved_, source_, target_, static_cast<std::uint64_t>(from), at_, length,
                                     limit / kChangedCost + 1);
  }
  // What the current coverage of [at, at + length) costs, and whether it is
  // all copies along the diagonal.
  struct Coverage {
    std::uint64_t cost = 0;
    bool same_diagonal = true;
  };
  Coverage coverage(std::uint64_t length) const {
    Coverage c;
    for (std::size_t k = next_, skip = used_, left = length; left > 0 && k < spans_.size(); ++k, skip = 0) {
      const Span& span = spans_[k];
      const std::uint64_t piece = std::min<std::uint64_t>(left, span.length - skip);
      if (skip == 0) c.cost += kEntryCost;
      if (span.source == Span::kLiteral) {
        c.cost += piece;
        c.same_diagonal = false;
      } else {
        const auto start = static_cast<std::uint64_t>(span.source) + skip;
        c.cost += kChangedCost *
                  changed_in(layout_, moved_, source_, target_, start, span.target_start + skip, piece, UINT64_MAX);
        c.same_diagonal = c.same_diagonal && span.source - static_cast<std::int64_t>(span.target_start) == diagonal_;
      }
      left -= piece;
    }
    return c;
  }
  // Takes the next `length` bytes: the copy grows, the spans under it shrink.
  void take(std::uint64_t length) {
    extended_any_ = true;
    result_.back().length += length;
    at_ += length;
    used_ += length;
    while (next_ < spans_.size() && used_ >= spans_[next_].length) {
      used_ -= spans_[next_].length;
      ++next_;
    }
  }
  // The diagonal up to kExtendReach bytes away that costs least in
  // [at, at + n), if it costs less than `bound`, with its cost.
  std::pair<std::int64_t, std::uint64_t> continuation(std::uint64_t n, std::uint64_t bound) const {
    std::pair<std::int64_t, std::uint64_t> best{diagonal_, bound};
    for (std::int64_t step = 4; step <= kExtendReach; step += 4) {
      for (const std::int64_t d : {diagonal_ - step, diagonal_ + step}) {
        if (const std::uint64_t cost = cost_on(d, n, best.second); cost < best.second) best = {d, cost};
      }
    }
    return best;
  }

  std::vector<Span>& spans_;
  const Layout& layout_;
  const MovedAddresses& moved_;
  ByteSpan source_, target_;
  std::vector<Span> result_;
  bool extended_any_ = false;
  // The copy being extended (result_.back()) and its diagonal; spans_[next_]
  // is the first span not yet passed, and its first `used_` bytes are taken.
  std::size_t next_ = 0;
  std::uint64_t at_ = 0, used_ = 0;
  std::int64_t diagonal_ = 0;
};

void Extension::run(std::size_t stop) {
  while (next_ < stop && next_ < spans_.size()) {
    result_.push_back(spans_[next_++]);
    const Span copy = result_.back();
    if (copy.source == Span::kLiteral || copy.length < kExtendFrom) continue;
    diagonal_ = copy.source - static_cast<std::int64_t>(copy.target_start);
    at_ = copy.target_start + copy.length;
    used_ = 0;
    bool grown = false;
    // Where the next search for the table's continuation may start
    // (kSearchPause), and the searches in a row that found nothing.
    std::uint64_t search_from = 0;
    unsigned failed_searches = 0;
    while (next_ < spans_.size()) {
      const std::uint64_t n = std::min(kExtendWindow, target_.size() - at_);
      if (n == 0) break;
      const Coverage current = coverage(n);
      if (current.same_diagonal) break; // what follows goes on along the diagonal already
      const std::uint64_t own = cost_on(diagonal_, n, current.cost);
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
      if (const std::uint64_t agreeing = agreeing_prefix(layout_, moved_, source_, target_, at_, diagonal_, n) & ~3ull;
          agreeing > 0) {
        take(agreeing);
        continue;
      }
      const std::pair<std::int64_t, std::uint64_t> found =
          at_ >= search_from ? continuation(n, std::min(own, current.cost))
                             : std::pair<std::int64_t, std::uint64_t>{diagonal_, std::min(own, current.cost)};
      const bool switched = found.first != diagonal_ && found.second + kEntryCost < std::min(own, current.cost);
      if (switched) {
        diagonal_ = found.first;
        result_.push_back({at_, 0, static_cast<std::int64_t>(at_) + diagonal_});
        failed_searches = 0;
      } else if (at_ >= search_from && ++failed_searches == kSearchesBeforePause) {
        search_from = at_ + kSearchPause;
        failed_searches = 0;
      }
      if (!switched && own >= current.cost) {
        // A window that does worse may still be worth passing through when
        // the diagonal does better over the next kExtendLookahead windows.
        const std::uint64_t ahead = std::min(kExtendLookahead * kExtendWindow, target_.size() - at_);
        const std::uint64_t current_ahead = coverage(ahead).cost;
        if (cost_on(diagonal_, ahead, current_ahead) >= current_ahead) break;
      }
      take(n);
    }
    if (used_ > 0) {
      Span& rest = spans_[next_];
      rest.target_start += used_;
      rest.length -= used_;
      if (rest.source != Span::kLiteral) rest.source += static_cast<std::int64_t>(used_);
    }
  }
}

// Where the work of extend_copies() may be cut in two: the first copy of
// kExtendFrom bytes or more that starts in the second half of the target
// (spans.size() when there is none or the target is small). The extension
// of the copies before it rarely reaches into it: such a copy, well
// predicted, costs less than any other diagonal there.
std::size_t extension_cut(const std::vector<Span>& spans, std::uint64_t target_size) {
  if (target_size < kMinSplitCopy) return spans.size();
  for (std::size_t k = 1; k < spans.size(); ++k) {
    if (spans[k].target_start >= target_size / 2 && spans[k].source != Span::kLiteral && spans[k].length >= kExtendFrom)
      return k;
  }
  return spans.size();
}

} // namespace

std::optional<std::vector<ControlEntry>> extend_copies(const std::vector<ControlEntry>& entries, const Layout& layout,
                                                       const MovedAddresses& moved, ByteSpan source, ByteSpan target,
                                                       bool one_thread) {
  if (layout.kinds == 0) return std::nullopt;
  std::vector<Span> spans = spans_of(entries);
  // The spans from the cut on are extended on a thread of their own while
  // the ones before it are; when the copy the first part extends last does
  // not reach the cut, the two results are exactly what one pass makes,
  // else the second part's work is dropped and the first goes on alone.
  const std::size_t cut = one_thread ? spans.size() : extension_cut(spans, target.size());
  std::vector<Span> tail(spans.begin() + static_cast<std::ptrdiff_t>(cut), spans.end());
  const Span at_cut = cut < spans.size() ? spans[cut] : Span{};
  std::optional<Extension> second;
  std::future<void> second_done;
  if (cut < spans.size()) {
    second.emplace(tail, layout, moved, source, target);
    try {
      second_done = std::async(std::launch::async, [&] { second->run(tail.size()); });
    } catch (const std::system_error&) {
      second.reset();
    }
  }
  Extension first(spans, layout, moved, source, target);
  first.run(second ? cut : spans.size());
  std::vector<Span>& result = first.result();
  bool extended_any = first.extended_any();
  if (second) {
    second_done.get();
    const Span& now = spans[cut];
    if (first.next() == cut && now.target_start == at_cut.target_start && now.length == at_cut.length &&
        now.source == at_cut.source) {
      result.insert(result.end(), second->result().begin(), second->result().end());
      extended_any = extended_any || second->extended_any();
    } else {
      first.run(spans.size());
      extended_any = first.extended_any();
    }
  }
  if (!extended_any) return std::nullopt;
  std::vector<ControlEntry> program = program_of(result, true);
  if (program.size() > max_control_entries(target.size())) return std::nullopt;
  return program;
}

} // namespace dfota::delta::native
