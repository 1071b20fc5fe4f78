#include "delta/native/realign.hpp"

#include <algorithm>
#include <array>

namespace dfota::delta::native {

namespace {

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
  std::array<std::uint8_t, kRealignWindow> predicted{};
  // Bytes of target[t, t + n) that differ from the prediction of the copy
  // from source[s, s + n); stops counting (returning at least `limit`) once
  // it reaches `limit`.
  auto changed = [&](std::uint64_t s, std::uint64_t t, std::uint64_t n, std::uint64_t limit) {
    BlockPrediction prediction(layout, map, source, s, t, n);
    std::uint64_t count = 0;
    for (std::uint64_t done = 0; done < n && count < limit;) {
      const std::uint64_t m = std::min<std::uint64_t>(64, n - done);
      prediction.fill(predicted.data(), static_cast<std::size_t>(m));
      for (std::uint64_t i = 0; i < m; ++i)
        count += predicted[i] != target[t + done + i];
      done += m;
    }
    return count;
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

} // namespace dfota::delta::native
