#include "delta/deflate/match_finder.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace dfota::delta::deflate {

MatchFinder::MatchFinder(ParseModel model, std::uint64_t first_position)
    : model_(model), ring_(kRingMask + 1 + kMirror), head_(std::size_t{1} << kHashBits, 0), prev_(kRingMask + 1, 0),
      head4_(std::size_t{1} << kHashBits, 0), prev4_(kRingMask + 1, 0), number_(kRingMask + 1, 0),
      last_number_(std::size_t{1} << kHashBits, 0), head6_(std::size_t{1} << kHashBits, 0), prev6_(kRingMask + 1, 0),
      head8_(std::size_t{1} << kHashBits, 0), prev8_(kRingMask + 1, 0), held_(first_position),
      inserted_(first_position), inserted_long_(first_position) {
  offered_.reserve(kChainLimit);
}

void MatchFinder::push(ByteSpan content) {
  for (const std::uint8_t b : content) {
    const std::uint64_t slot = held_++ & kRingMask;
    ring_[slot] = b;
    if (slot < kMirror) ring_[kRingMask + 1 + slot] = b;
    // Positions that no later question can start at or before are entered
    // now, before the ring lets their bytes go.
    if (inserted_ + 3 + kLookahead <= held_) insert_next();
  }
}

void MatchFinder::insert_next() {
  const std::uint64_t slot = inserted_ & kRingMask;
  const std::uint32_t h = hash_at(inserted_);
  prev_[slot] = head_[h];
  head_[h] = static_cast<std::uint32_t>(inserted_ + 1);
  number_[slot] = ++last_number_[h];
  const std::uint32_t h4 = hash4_at(inserted_);
  prev4_[slot] = head4_[h4];
  head4_[h4] = static_cast<std::uint32_t>(inserted_ + 1);
  ++inserted_;
  insert_long_while_held();
}

void MatchFinder::insert_long_while_held() {
  // A position enters the 6- and 8-byte chains only once its first 8
  // bytes are held, so that no later byte can move it to another chain.
  while (inserted_long_ < inserted_ && inserted_long_ + 8 <= held_) {
    const std::uint64_t slot = inserted_long_ & kRingMask;
    const std::uint64_t word = word_at(inserted_long_);
    const std::uint32_t h6 = hash6_of(word), h8 = hash8_of(word);
    prev6_[slot] = head6_[h6];
    head6_[h6] = static_cast<std::uint32_t>(inserted_long_ + 1);
    prev8_[slot] = head8_[h8];
    head8_[h8] = static_cast<std::uint32_t>(inserted_long_ + 1);
    ++inserted_long_;
  }
}

void MatchFinder::insert_until(std::uint64_t position) {
  while (inserted_ < position)
    insert_next();
}

std::uint32_t MatchFinder::hash_at(std::uint64_t position) const {
  const std::uint32_t v = static_cast<std::uint32_t>(at(position)) | static_cast<std::uint32_t>(at(position + 1)) << 8 |
                          static_cast<std::uint32_t>(at(position + 2)) << 16;
  return (v * 2654435761u) >> (32 - kHashBits);
}

std::uint32_t MatchFinder::hash4_at(std::uint64_t position) const {
  std::uint32_t v;
  std::memcpy(&v, ring_.data() + (position & kRingMask), 4); // the mirror holds the bytes past the ring's end
  return (v * 2654435761u) >> (32 - kHashBits);
}

std::uint64_t MatchFinder::word_at(std::uint64_t position) const {
  std::uint64_t v;
  std::memcpy(&v, ring_.data() + (position & kRingMask), 8); // the mirror holds the bytes past the ring's end
  return v;
}

std::uint32_t MatchFinder::hash8_of(std::uint64_t word) {
  return static_cast<std::uint32_t>((word * 0x9E3779B97F4A7C15ull) >> (64 - kHashBits));
}

std::uint32_t MatchFinder::hash6_of(std::uint64_t word) { return hash8_of(word & 0xFFFF'FFFF'FFFFull); }

namespace {

// A chain link as stored (position + 1, 0: none) as a position (-1: none).
std::int64_t linked(std::uint32_t stored) { return static_cast<std::int64_t>(stored) - 1; }

} // namespace

std::int64_t MatchFinder::first_before(const std::vector<std::uint32_t>& heads, const std::vector<std::uint32_t>& links,
                                       std::uint32_t hash, std::uint64_t position) const {
  std::int64_t q = linked(heads[hash]);
  // A position after a question one byte on was entered already.
  while (q >= static_cast<std::int64_t>(position))
    q = linked(links[static_cast<std::uint64_t>(q) & kRingMask]);
  return q;
}

MatchFinder::Longest MatchFinder::longest_by_four(std::uint64_t position, unsigned cap) {
  Longest best;
  // The nearest position before this one in its 3-byte chain: the first
  // the 3-byte walk would look at, and its number.
  const std::int64_t nearest = first_before(head_, prev_, hash_at(position), position);
  if (nearest < 0 || position - static_cast<std::uint64_t>(nearest) > kWindow) return best; // nothing on offer
  const std::uint32_t first_number = number_[static_cast<std::uint64_t>(nearest) & kRingMask];
  if (cap >= 4) {
    // Walks the 4-byte chain until a match of 5 bytes or more is found,
    // then this position's 6-byte chain (past 5), that match's 6-byte chain
    // (past 6 or 7) or its 8-byte chain (past 8 or more): every longer
    // match shares those first bytes, so it lies farther along the shorter
    // chain. (A position whose first 8 bytes are not all held yet is in
    // neither; the walk then stays where it is.)
    insert_long_while_held();
    const std::vector<std::uint32_t>* links = &prev4_;
    std::int64_t q = first_before(head4_, prev4_, hash4_at(position), position);
    while (q >= 0) {
      const std::uint64_t candidate = static_cast<std::uint64_t>(q);
      if (position - candidate > kWindow) break;
      if (at(candidate + best.length) == at(position + best.length)) {
        const unsigned length = common(candidate, position, cap);
        if (length >= 4 && length > best.length) {
          // Its first 3 bytes are this position's: it is in the same 3-byte
          // chain, and it and all farther ones are past the walk's limit
          // when kChainLimit positions are nearer.
          if (first_number - number_[candidate & kRingMask] >= kChainLimit) break;
          best = {length, candidate};
          if (length == cap) return best;
          if (length >= 6 && candidate < inserted_long_) {
            links = length >= 8 ? &prev8_ : &prev6_;
          } else if (length == 5 && cap >= 6 && inserted_long_ >= position) {
            // A longer match shares this position's first 6 bytes: it lies
            // in this position's own 6-byte chain, beyond this candidate.
            q = linked(head6_[hash6_of(word_at(position))]);
            while (q >= static_cast<std::int64_t>(candidate))
              q = linked(prev6_[static_cast<std::uint64_t>(q) & kRingMask]);
            links = &prev6_;
            continue;
          }
        }
      }
      q = linked((*links)[candidate & kRingMask]);
      if (q >= static_cast<std::int64_t>(candidate)) break; // a slot reused: the chain ends
    }
    if (best.length != 0) return best;
  }
  if (model_.shortest > 3) return best;
  // No match of 4 bytes: the nearest of 3 within kTooFar, if any.
  walk(position, kChainLimit, [&](std::uint64_t candidate) {
    if (position - candidate > kTooFar) return false;
    if (common(candidate, position, 3) < 3) return true;
    best = {3, candidate};
    return false;
  });
  return best;
}

template <class Visit> void MatchFinder::walk(std::uint64_t position, unsigned limit, Visit&& visit) {
  insert_until(position);
  std::int64_t q = first_before(head_, prev_, hash_at(position), position);
  for (unsigned steps = 0; q >= 0 && steps < limit; ++steps) {
    const std::uint64_t candidate = static_cast<std::uint64_t>(q);
    if (position - candidate > kWindow) break;
    if (!visit(candidate)) break;
    q = linked(prev_[candidate & kRingMask]);
    if (q >= static_cast<std::int64_t>(candidate)) break; // a slot reused: the chain ends
  }
}

unsigned MatchFinder::common(std::uint64_t a, std::uint64_t b, unsigned cap) const {
  const std::uint8_t* x = ring_.data() + (a & kRingMask);
  const std::uint8_t* y = ring_.data() + (b & kRingMask);
  unsigned n = 0;
  while (n + 8 <= cap) {
    std::uint64_t u, v;
    std::memcpy(&u, x + n, 8);
    std::memcpy(&v, y + n, 8);
    if (u != v) return n + static_cast<unsigned>(std::countr_zero(u ^ v)) / 8;
    n += 8;
  }
  while (n < cap && x[n] == y[n])
    ++n;
  return n;
}

unsigned MatchFinder::offers(std::uint64_t position, std::uint64_t end) {
  offered_.clear();
  const unsigned cap = static_cast<unsigned>(std::min<std::uint64_t>(kMaxMatch, end - position));
  unsigned best = 0;
  walk(position, kChainLimit, [&](std::uint64_t candidate) {
    const unsigned length = common(candidate, position, cap);
    offered_.push_back({candidate, length});
    best = std::max(best, length);
    return true;
  });
  return best;
}

MatchFinder::Longest MatchFinder::longest(std::uint64_t position, std::uint64_t end) {
  for (const Cached& c : cached_)
    if (c.position == position && c.end == end) return c.longest;
  Longest best;
  if (position + 3 <= end) {
    // What a walk of the 3-byte chain finds, nearest first: the longest
    // match of at least model_.shortest bytes (as zlib does, a 3-byte
    // match only from within kTooFar), the nearest of those that long,
    // stopping at `cap`.
    insert_until(position);
    best = longest_by_four(position, static_cast<unsigned>(std::min<std::uint64_t>(kMaxMatch, end - position)));
  }
  cached_[1] = cached_[0];
  cached_[0] = {position, end, best};
  return best;
}

bool MatchFinder::expects_match(std::uint64_t position, std::uint64_t end) {
  const unsigned here = longest(position, end).length;
  if (here == 0 || model_.greedy) return here != 0;
  return longest(position + 1, end).length <= here;
}

std::optional<NamedMatch> MatchFinder::name(std::uint64_t position, std::uint64_t end, unsigned length,
                                            unsigned distance) {
  if (position + 3 > end || distance == 0 || distance > position) return std::nullopt;
  if (const Longest nearest = this->longest(position, end);
      nearest.length == length && nearest.from == position - distance)
    return NamedMatch{};
  const unsigned longest = offers(position, end);
  const std::uint64_t wanted = position - distance;
  NamedMatch named;
  named.shortfall = longest >= length ? longest - length : 0;
  if (longest < length) return std::nullopt;
  for (const auto& [candidate, offered] : offered_) {
    if (offered < length) continue;
    if (candidate == wanted) {
      // (0, 0) names the nearest longest match worth one (above) alone.
      if (named.shortfall == 0 && named.rank == 0) return std::nullopt;
      return named;
    }
    ++named.rank;
  }
  return std::nullopt;
}

std::optional<std::pair<unsigned, unsigned>> MatchFinder::resolve(std::uint64_t position, std::uint64_t end,
                                                                  const NamedMatch& named) {
  if (position + 3 > end) return std::nullopt;
  if (named.shortfall == 0 && named.rank == 0) {
    const Longest nearest = this->longest(position, end);
    if (nearest.length == 0) return std::nullopt;
    return std::pair{nearest.length, static_cast<unsigned>(position - nearest.from)};
  }
  const unsigned longest = offers(position, end);
  if (named.shortfall > longest || longest - named.shortfall < 3) return std::nullopt;
  const unsigned length = longest - named.shortfall;
  unsigned rank = 0;
  for (const auto& [candidate, offered] : offered_) {
    if (offered < length) continue;
    if (rank++ == named.rank) return std::pair{length, static_cast<unsigned>(position - candidate)};
  }
  return std::nullopt;
}

} // namespace dfota::delta::deflate
