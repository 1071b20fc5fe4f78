#include "delta/native/matcher.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <divsufsort.h>
#include <functional>
#include <future>
#include <new>

#include "delta/engine.hpp"

namespace dfota::delta::native {

namespace {

// A new match is taken when it is this many bytes longer than what the
// current alignment already explains.
constexpr std::uint64_t kNewMatchMargin = 8;
// Targets from this size on are matched on two threads.
constexpr std::uint64_t kParallelFrom = 1u << 20;

class SuffixIndex {
public:
  explicit SuffixIndex(ByteSpan text) : text_(text), suffixes_(text.size()) {}
  bool build() {
    if (text_.empty()) return true;
    if (divsufsort(text_.data(), suffixes_.data(), static_cast<saidx_t>(text_.size())) != 0) return false;
    index_pairs();
    return true;
  }

  struct Match {
    std::uint64_t position = 0;
    std::uint64_t length = 0;
  };

  // The longest prefix found in the text of each of `count` (at most
  // kLanes) patterns: the binary searches advance in turn, one step each,
  // so that their reads of the suffix array and the text, which miss the
  // cache, overlap instead of waiting one after the other.
  static constexpr std::size_t kLanes = 8;
  void longest_each(const ByteSpan* patterns, std::size_t count, Match* matches) const {
    std::array<Search, kLanes> searches;
    for (std::size_t i = 0; i < count; ++i)
      searches[i] = Search(*this, patterns[i]);
    for (bool busy = true; busy;) {
      busy = false;
      for (std::size_t i = 0; i < count; ++i) {
        if (searches[i].done) continue;
        searches[i].step(*this);
        busy = busy || !searches[i].done;
      }
    }
    for (std::size_t i = 0; i < count; ++i)
      matches[i] = searches[i].match;
  }

private:
  // One binary search for the suffixes next to where `pattern` would sort;
  // step() until done, then `match` holds the longer of the two.
  struct Search {
    Search() = default;
    Search(const SuffixIndex& index, ByteSpan searched) : pattern(searched) {
      if (index.text_.empty() || pattern.empty()) return;
      hi = index.suffixes_.size() - 1;
      std::uint64_t lo_known = 0;
      if (pattern.size() >= 2) {
        // Search only the ranks of the suffixes that begin with the
        // pattern's first two bytes, and the rank after them: the search
        // then ends between the same two neighbours as over all ranks (a
        // pattern found whole may be found at another of its places).
        const std::size_t pair = pair_of(pattern[0], pattern[1]);
        const std::size_t first = index.pair_starts_[pair], after = index.pair_starts_[pair + 1];
        if (first < after) {
          lo = first;
          hi = std::min<std::size_t>(after, hi);
          lo_known = 1; // the one-byte last suffix may be first
        }
      }
      lo_lcp = index.common(lo, pattern, lo_known);
      hi_lcp = index.common(hi, pattern, 0);
      done = false;
      if (hi - lo <= 1) finish(index);
    }
    void step(const SuffixIndex& index) {
      // Invariant: the pattern sorts after suffix lo... unless it sorts
      // before all; either way the best match is next to where it would be
      // inserted.
      const std::size_t mid = lo + (hi - lo) / 2;
      // The next step reads one of these ranks: fetch both while this
      // step's suffix is read from the text.
      __builtin_prefetch(&index.suffixes_[lo + (mid - lo) / 2]);
      __builtin_prefetch(&index.suffixes_[mid + (hi - mid) / 2]);
      const std::uint64_t known = std::min(lo_lcp, hi_lcp);
      const std::uint64_t mid_lcp = index.common(mid, pattern, known);
      if (mid_lcp == pattern.size()) {
        match = {static_cast<std::uint64_t>(index.suffixes_[mid]), mid_lcp};
        done = true;
        return;
      }
      const std::uint64_t at = static_cast<std::uint64_t>(index.suffixes_[mid]) + mid_lcp;
      const bool suffix_smaller = at == index.text_.size() || index.text_[at] < pattern[mid_lcp];
      if (suffix_smaller) {
        lo = mid;
        lo_lcp = mid_lcp;
      } else {
        hi = mid;
        hi_lcp = mid_lcp;
      }
      if (hi - lo <= 1) finish(index);
    }
    void finish(const SuffixIndex& index) {
      const std::size_t best = lo_lcp >= hi_lcp ? lo : hi;
      match = {static_cast<std::uint64_t>(index.suffixes_[best]), std::max(lo_lcp, hi_lcp)};
      done = true;
    }

    ByteSpan pattern;
    std::size_t lo = 0, hi = 0;
    std::uint64_t lo_lcp = 0, hi_lcp = 0;
    bool done = true;
    Match match;
  };

  // Length of the common prefix of suffix `rank` and `pattern`, knowing the
  // first `known` bytes agree.
  std::uint64_t common(std::size_t rank, ByteSpan pattern, std::uint64_t known) const {
    const std::uint64_t start = static_cast<std::uint64_t>(suffixes_[rank]);
    const std::uint64_t limit = std::min<std::uint64_t>(text_.size() - start, pattern.size());
    std::uint64_t n = known;
    while (n + 8 <= limit) {
      std::uint64_t a, b;
      std::memcpy(&a, text_.data() + start + n, 8);
      std::memcpy(&b, pattern.data() + n, 8);
      if (a != b) return n + static_cast<std::uint64_t>(__builtin_ctzll(a ^ b) / 8);
      n += 8;
    }
    while (n < limit && text_[start + n] == pattern[n])
      ++n;
    return n;
  }

  static std::size_t pair_of(std::uint8_t first, std::uint8_t second) {
    return (static_cast<std::size_t>(first) << 8) | second;
  }

  // pair_starts_[p] is the first rank whose suffix's first two bytes sort
  // at or after pair p, counting the one-byte last suffix with the pairs
  // it begins (it sorts before all of them); pair_starts_[65536] is the
  // number of suffixes. A search starts within its pair's ranks instead of
  // taking the 16 steps, each a cache miss, that would narrow it there.
  void index_pairs() {
    pair_starts_.assign(kPairs + 1, 0);
    for (std::size_t i = 0; i + 1 < text_.size(); ++i)
      ++pair_starts_[pair_of(text_[i], text_[i + 1]) + 1];
    ++pair_starts_[pair_of(text_.back(), 0) + 1];
    for (std::size_t p = 0; p < kPairs; ++p)
      pair_starts_[p + 1] += pair_starts_[p];
  }

  static constexpr std::size_t kPairs = 1u << 16;
  ByteSpan text_;
  std::vector<saidx_t> suffixes_;
  std::vector<std::uint32_t> pair_starts_;
};

// Scans target[begin, end) and appends to `anchors` where it takes a new
// exact match. Tells `scanned` (may be empty) how many more target bytes
// were scanned, about every kScanReport bytes, and lets the mapped pages of
// those bytes go (release_mapped_pages()).
constexpr std::uint64_t kScanReport = 1u << 20;

void scan_range(const SuffixIndex& index, ByteSpan source, ByteSpan target, std::uint64_t begin, std::uint64_t end,
                std::vector<Anchor>& anchors, const std::function<void(std::uint64_t)>& scanned) {
  const std::uint64_t old_size = source.size();
  // Does target[t] equal source[t + offset]?
  auto agrees = [&](std::uint64_t t, std::int64_t offset) {
    const std::int64_t s = static_cast<std::int64_t>(t) + offset;
    return s >= 0 && static_cast<std::uint64_t>(s) < old_size && source[static_cast<std::uint64_t>(s)] == target[t];
  };

  std::uint64_t scan = begin;
  std::uint64_t match_length = 0;
  std::uint64_t match_position = 0;
  // The current alignment: source position minus target position.
  std::int64_t last_offset = static_cast<std::int64_t>(std::min(begin, old_size)) - static_cast<std::int64_t>(begin);
  std::uint64_t reported = begin;
  // The matches of target positions [ahead_start, ahead_start +
  // ahead_count), searched together: most positions the loop below
  // searches are followed by a search of the next one.
  std::array<SuffixIndex::Match, SuffixIndex::kLanes> ahead;
  std::uint64_t ahead_start = 0, ahead_count = 0;
  auto match_at = [&](std::uint64_t position) {
    if (position < ahead_start || position >= ahead_start + ahead_count) {
      ahead_count = std::min<std::uint64_t>(SuffixIndex::kLanes, end - position);
      std::array<ByteSpan, SuffixIndex::kLanes> patterns;
      for (std::uint64_t i = 0; i < ahead_count; ++i)
        patterns[i] = target.subspan(position + i, end - position - i);
      index.longest_each(patterns.data(), ahead_count, ahead.data());
      ahead_start = position;
    }
    return ahead[position - ahead_start];
  };

  while (scan < end) {
    if (scan >= reported + kScanReport) {
      // No byte before the scan is read again here: a mapped target's
      // pages behind it need not stay resident beside the suffix array.
      release_mapped_pages(target.subspan(reported, std::min(scan, end) - reported));
      if (scanned) scanned(std::min(scan, end) - reported);
      reported = std::min(scan, end);
    }
    std::uint64_t explained = 0; // bytes of the match that the current alignment explains too
    scan += match_length;
    std::uint64_t counted = scan;
    for (; scan < end; ++scan) {
      const auto match = match_at(scan);
      match_position = match.position;
      match_length = match.length;
      for (; counted < scan + match_length; ++counted)
        if (agrees(counted, last_offset)) ++explained;
      if ((match_length == explained && match_length != 0) || match_length > explained + kNewMatchMargin) break;
      if (agrees(scan, last_offset)) --explained;
    }
    if (scan >= end) break;
    if (match_length == explained) continue;
    anchors.push_back({static_cast<std::uint32_t>(scan), static_cast<std::uint32_t>(match_position)});
    last_offset = static_cast<std::int64_t>(match_position) - static_cast<std::int64_t>(scan);
  }
}

// The length, up to `limit`, that `same(i)` (byte i along an alignment
// agrees) makes best under `growth`: the first where agreeing bytes times
// agree_weight less differing bytes times differ_weight is greatest, 0 when
// none is above 0.
template <typename Same> std::uint64_t grown_length(std::uint64_t limit, Growth growth, Same same) {
  std::int64_t net = 0, best = 0;
  std::uint64_t length = 0;
  for (std::uint64_t i = 0; i < limit; ++i) {
    net += same(i) ? growth.agree_weight : -growth.differ_weight;
    if (net > best) {
      best = net;
      length = i + 1;
    }
  }
  return length;
}

// Grows the blocks of one scanned part and appends them to `blocks`: from
// each anchor, the alignment before it grows forwards and the anchor's
// backwards; where the two overlap they are cut where the most bytes agree.
// The first block starts at the part's start, the last ends at most at its
// end.
void grow_part(ByteSpan source, ByteSpan target, const ScannedPart& part, Growth growth,
               std::vector<CopyBlock>& blocks) {
  if (part.begin >= part.end) return;
  const std::uint64_t old_size = source.size();
  std::uint64_t last_scan = part.begin;                         // target start of the current alignment's block
  std::uint64_t last_position = std::min(part.begin, old_size); // its source start
  for (std::size_t k = 0; k <= part.anchors.size(); ++k) {
    const bool anchored = k < part.anchors.size();
    const std::uint64_t scan = anchored ? part.anchors[k].target_start : part.end;
    const std::uint64_t match_position = anchored ? part.anchors[k].source_start : 0;
    // Grow the previous alignment forwards from last_scan ...
    const std::uint64_t forward_limit = std::min(scan - last_scan, old_size - std::min(last_position, old_size));
    std::uint64_t forward = grown_length(
        forward_limit, growth, [&](std::uint64_t i) { return source[last_position + i] == target[last_scan + i]; });
    // ... and the new match backwards from scan.
    std::uint64_t backward = 0;
    if (anchored) {
      const std::uint64_t backward_limit = std::min(scan - last_scan, match_position);
      backward = grown_length(backward_limit, growth,
                              [&](std::uint64_t i) { return source[match_position - 1 - i] == target[scan - 1 - i]; });
    }
    // Where the two overlap, cut at the point that keeps the most agreeing bytes.
    if (last_scan + forward > scan - backward) {
      const std::uint64_t overlap = (last_scan + forward) - (scan - backward);
      std::int64_t score = 0, best = 0;
      std::uint64_t keep = 0;
      for (std::uint64_t i = 0; i < overlap; ++i) {
        if (target[last_scan + forward - overlap + i] == source[last_position + forward - overlap + i]) ++score;
        if (target[scan - backward + i] == source[match_position - backward + i]) --score;
        if (score > best) {
          best = score;
          keep = i + 1;
        }
      }
      forward = forward + keep - overlap;
      backward -= keep;
    }
    blocks.push_back({last_scan, last_position, forward});
    last_scan = scan - backward;
    last_position = match_position - backward;
  }
}

} // namespace

Expected<Anchors> find_anchors(ByteSpan source, ByteSpan target, const DiffProgress& progress) {
  if (source.size() > kMaxIndexedSource) {
    return make_error(DeltaErrc::encode_failed, "source larger than the native engine indexes (2 GiB)");
  }
  if (target.size() > UINT32_MAX) {
    return make_error(DeltaErrc::encode_failed, "target larger than the native engine handles (4 GiB)");
  }
  try {
    // The target is not read while the source is sorted, then scanned
    // once: its mapped pages are let go until the scan reaches them, so
    // that the peak holds the suffix array and the source only.
    release_mapped_pages(target);
    SuffixIndex index(source);
    if (!index.build()) return make_error(DeltaErrc::encode_failed, "suffix sorting failed");
    // Sorting takes about a quarter of matching (measured on a 50 MB
    // x86-64 pair: 2.9 s sorting, 10 s scanning on two threads): it counts
    // for the first share of the work.
    constexpr double kSortShare = 0.25;
    if (progress) progress(kSortShare);
    std::atomic<std::uint64_t> done{0};
    std::function<void(std::uint64_t)> scanned;
    if (progress && !target.empty()) {
      scanned = [&](std::uint64_t more) {
        const std::uint64_t now = done.fetch_add(more) + more;
        progress(kSortShare + (1 - kSortShare) * static_cast<double>(now) / static_cast<double>(target.size()));
      };
    }
    // Two halves of the target are scanned at once (the index is shared and
    // read-only); a large target loses at most one alignment at the cut.
    const std::uint64_t cut = target.size() >= kParallelFrom ? target.size() / 2 : target.size();
    Anchors anchors;
    anchors.parts = {ScannedPart{0, cut, {}}, ScannedPart{cut, target.size(), {}}};
    auto later = std::async(std::launch::async, [&] {
      scan_range(index, source, target, cut, target.size(), anchors.parts[1].anchors, scanned);
    });
    scan_range(index, source, target, 0, cut, anchors.parts[0].anchors, scanned);
    later.get();
    return anchors;
  } catch (const std::bad_alloc&) {
    return make_error(DeltaErrc::encode_failed, "out of memory indexing the source");
  }
}

std::vector<CopyBlock> grow_blocks(ByteSpan source, ByteSpan target, const Anchors& anchors, Growth growth) {
  std::vector<CopyBlock> blocks;
  for (const ScannedPart& part : anchors.parts)
    grow_part(source, target, part, growth, blocks);
  return blocks;
}

} // namespace dfota::delta::native
