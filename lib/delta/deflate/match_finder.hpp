// Names a deflate match by what the content already tells, so that a
// record costs little where the stream's encoder did the expected: whether
// a match starts at a position (as a lazy matcher would decide), the
// match's length as the longest length on offer less a (usually zero)
// shortfall, and its distance as a rank among the earlier positions that
// offer that length (usually 0, the nearest). Recorder and rebuilder run
// the same finder over the same content and so agree on every name.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/bytes.hpp"

namespace dfota::delta::deflate {

inline constexpr unsigned kWindow = 32768;
inline constexpr unsigned kMaxMatch = 258;
// Earlier positions looked at per position, nearest first: zlib's deepest
// search (level 9). On the esbuild npm pairs 256 made payloads 6-10 %
// larger and applied 1.6 times as fast.
inline constexpr unsigned kChainLimit = 4096;
// Bytes the finder must hold past a token's start to name it or tell what
// is expected there (the lookahead of a lazy match one byte on).
inline constexpr unsigned kLookahead = kMaxMatch + 1;
// A match of 3 bytes from farther than this is not expected.
inline constexpr unsigned kTooFar = 4096;

// What the finder expects of the stream's encoder, stated per stream.
struct ParseModel {
  // The shortest match a position is expected to start (3 or 4); a 3-byte
  // match only from at most kTooFar back.
  unsigned shortest = 3;
  // Greedy: a match is expected wherever one is on offer. Lazy (zlib's
  // levels 4 to 9): only where none longer is on offer one byte on.
  bool greedy = false;

  // As one byte: shortest | greedy << 4. from_byte() is nullopt for a byte
  // that states no model.
  std::uint8_t to_byte() const { return static_cast<std::uint8_t>(shortest | (greedy ? 16 : 0)); }
  static std::optional<ParseModel> from_byte(std::uint8_t byte) {
    const unsigned shortest = byte & 15;
    if ((byte & ~31) != 0 || (shortest != 3 && shortest != 4)) return std::nullopt;
    return ParseModel{shortest, (byte & 16) != 0};
  }
};

// A match as the finder names it.
struct NamedMatch {
  unsigned shortfall = 0; // longest length on offer - length
  unsigned rank = 0;      // among the positions offering at least the length, nearest first
};

// Holds the last kWindow bytes of a stream's content and hash chains of
// their positions, by their first 3, 4, 6 and 8 bytes (memory: about
// 2.6 MiB). Positions count content bytes from the stream's start.
// Answers are defined by the 3-byte chain alone (walked nearest first, at
// most kChainLimit positions); the 4-byte chain finds the same answers
// sooner, each position numbered within its 3-byte chain so that the
// limit is known without walking to it.
class MatchFinder {
public:
  explicit MatchFinder(ParseModel model) : MatchFinder(model, 0) {}
  // A finder whose first pushed byte is the stream's `first_position`:
  // given the kWindow bytes before a position p (or all from the stream's
  // start), it answers at p and after as one fed from the start would.
  MatchFinder(ParseModel model, std::uint64_t first_position);
  // Content bytes held so far (the next byte's position).
  std::uint64_t held() const { return held_; }
  // How many bytes push() may take while the next token to name or make
  // starts at `next`: the finder holds at most kMaxMatch bytes ahead of it.
  std::uint64_t room(std::uint64_t next) const { return next + kLookahead > held_ ? next + kLookahead - held_ : 0; }
  // Appends content. A question at position p sees the positions before p
  // in the hash chains (entered when asked, or on push once no question
  // can start before them), so answers do not depend on how content is cut.
  void push(ByteSpan content);
  std::uint8_t at(std::uint64_t position) const { return ring_[position & kRingMask]; }
  // The name of the match of `length` at `distance` that starts at
  // `position`, in a block whose content ends at `end` (the bytes up to
  // min(end, position + kMaxMatch) must be held); nullopt when the finder
  // does not offer it.
  std::optional<NamedMatch> name(std::uint64_t position, std::uint64_t end, unsigned length, unsigned distance);
  // True when a lazy matcher would start a match at `position` of a block
  // ending at `end`: one of at least 3 bytes is on offer there and none
  // longer one byte on (bytes up to min(end, position + kLookahead) held).
  bool expects_match(std::uint64_t position, std::uint64_t end);
  // The match (length, distance) that `named` names at `position`; nullopt
  // when it names none.
  std::optional<std::pair<unsigned, unsigned>> resolve(std::uint64_t position, std::uint64_t end,
                                                       const NamedMatch& named);

private:
  // The window behind a match and the bytes held ahead of it fit twice over.
  static constexpr std::uint64_t kRingMask = 65535;
  // The ring's first bytes are repeated after its end, so that a run of
  // kMirror bytes from any position reads without wrapping.
  static constexpr std::uint64_t kMirror = kMaxMatch + 8;
  static constexpr unsigned kHashBits = 16;
  // Lengths on offer at `position`, nearest first; returns the longest.
  unsigned offers(std::uint64_t position, std::uint64_t end);
  // The longest length worth a match on offer at `position` (0 when none),
  // and the nearest position that offers it.
  struct Longest {
    unsigned length = 0;
    std::uint64_t from = 0;
  };
  Longest longest(std::uint64_t position, std::uint64_t end);
  // Bytes equal at `a` and `b`, at most `cap`.
  unsigned common(std::uint64_t a, std::uint64_t b, unsigned cap) const;
  // Walks the chain of `position`: earlier positions within the window,
  // nearest first, at most `limit`; calls visit(candidate).
  template <class Visit> void walk(std::uint64_t position, unsigned limit, Visit&& visit);
  // longest() by the 4-byte chain: a match of 4 bytes or more shares its
  // first 4, and lies within the limit when its number in the 3-byte chain
  // is within kChainLimit of the nearest one's. Past a match of 5 bytes the
  // walk goes on along this position's 6-byte chain, past one of 6 or 8
  // along that match's 6- or 8-byte chain.
  Longest longest_by_four(std::uint64_t position, unsigned cap);
  // The nearest position before `position` in the chain of `hash` (kept in
  // `heads` and `links`), -1 when none.
  std::int64_t first_before(const std::vector<std::uint32_t>& heads, const std::vector<std::uint32_t>& links,
                            std::uint32_t hash, std::uint64_t position) const;
  void insert_next();
  void insert_until(std::uint64_t position);
  std::uint32_t hash_at(std::uint64_t position) const;
  std::uint32_t hash4_at(std::uint64_t position) const;
  // The 8 bytes at `position`, little-endian (bytes past held_ are stale).
  std::uint64_t word_at(std::uint64_t position) const;
  // The hashes of a word's first 6 and of all 8 bytes.
  static std::uint32_t hash6_of(std::uint64_t word);
  static std::uint32_t hash8_of(std::uint64_t word);
  // Enters the positions entered in the 3- and 4-byte chains whose first
  // 8 bytes are held in the 6- and 8-byte chains (called on each entry and
  // before each walk, so that they never lag past the ring).
  void insert_long_while_held();

  ParseModel model_;
  std::vector<std::uint8_t> ring_;
  // Positions + 1 (0: none), so that a stream's positions below 2^32 - 1
  // fit in 4 bytes.
  std::vector<std::uint32_t> head_;          // per hash, the latest position
  std::vector<std::uint32_t> prev_;          // per position (mod kRingMask + 1), the one before with its hash
  std::vector<std::uint32_t> head4_, prev4_; // the same for the first 4 bytes' hash
  // Per position (mod kRingMask + 1), its number in its 3-byte hash's
  // chain (counted per hash, modulo 2^32), and per hash the last number.
  std::vector<std::uint32_t> number_, last_number_;
  // The same as head4_ and prev4_ by the first 6 and the first 8 bytes'
  // hashes: they take a long walk's later steps past the candidates that
  // cannot be longer. Positions before inserted_long_ (<= inserted_) are in them.
  std::vector<std::uint32_t> head6_, prev6_, head8_, prev8_;
  std::uint64_t held_ = 0, inserted_ = 0, inserted_long_ = 0;
  std::vector<std::pair<std::uint64_t, unsigned>> offered_; // (position, length) of the last offers()
  // The last two longest() answers (a position's and the one after it).
  struct Cached {
    std::uint64_t position = UINT64_MAX, end = 0;
    Longest longest;
  };
  std::array<Cached, 2> cached_{};
};

} // namespace dfota::delta::deflate
