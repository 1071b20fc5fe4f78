// Executable-aware prediction. When code moves, every branch, call and
// pointer that crosses the move changes although the code around it did not;
// a plain byte difference pays for each of them. The encoder and the decoder
// both run the same predictor over the source: for a reference found in the
// source bytes of a copied block, the predictor follows it to its target,
// maps the target through the offset map (where that source region went in
// the target) and re-encodes the reference for its new place. The payload
// then stores only the difference between the target and the prediction,
// which is zero wherever the prediction is right.
//
// Everything here is a pure function of the source bytes, the layout and the
// offset map, so encoder and decoder agree by construction.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/bytes.hpp"

namespace dfota::delta::native {

// The kinds of reference the predictor rewrites (a bit set).
using KindSet = std::uint32_t;
enum ReferenceKinds : KindSet {
  kX86Relative = 1,     // E8 call / E9 jmp rel32, 0F 80..8F jcc rel32
  kX64RipRelative = 2,  // REX.W (48/4C) 8B/8D with a RIP-relative disp32
  kArm32Branch = 4,     // A32 B/BL with a 24-bit word offset
  kArm64Branch = 8,     // A64 B/BL with a 26-bit word offset
  kAbsolute32 = 16,     // aligned 32-bit little-endian words holding a loaded address
  kArm32Literal = 32,   // A32 LDR/LDRB/STR (PC-relative, 12-bit byte offset)
  kThumbBranch = 64,    // Thumb-2 BL, BLX and B.W with a 25-bit halfword offset (halfword-aligned)
  kThumbLiteral = 128,  // literal words a Thumb LDR (literal) loads and an ADD Rt, PC adds the PC to (PIC)
  kAbsolute64 = 256,    // 8-aligned 64-bit little-endian words holding a loaded address
  kRelativeWords = 512, // 32-bit words in the layout's regions holding an address relative to a base or to themselves
  kArmPltEntry = 1024,  // A32 PLT entries: ADD ip, pc / ADD ip, ip / LDR pc, [ip] reaching a GOT slot (12 bytes)
  kAllReferenceKinds = 2047,
};

// The most literal words a BlockPrediction remembers at once.
inline constexpr std::size_t kMaxThumbLiterals = 1026;

// True when the little-endian word at a halfword-aligned position has the
// shape of a Thumb-2 BL, BLX (H bit clear) or B.W: first halfword 11110xxx,
// second 11x1x, 11x0x...0 or 10x1x.
inline bool is_thumb_branch(std::uint32_t word) {
  const std::uint32_t second = word >> 16;
  if ((word & 0xF800) != 0xF000) return false;
  return (second & 0xD000) == 0xD000 || (second & 0xD000) == 0x9000 || (second & 0xD001) == 0xC000;
}

// Where file bytes [offset, offset + size) are loaded (an ELF PT_LOAD).
struct Segment {
  std::uint64_t vaddr = 0;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  bool executable = false; // ELF PF_X
};
// At most this many segments: detect_layout() treats an image with more as
// having none, and a payload with more is refused.
inline constexpr unsigned kMaxSegments = 64;

// The load map of one image. Without segments, addresses are file offsets.
class AddressSpace {
public:
  AddressSpace() = default;
  explicit AddressSpace(std::vector<Segment> segments);
  // The first segment (in the given order) that holds the address decides.
  std::optional<std::uint64_t> to_offset(std::uint64_t vaddr) const;
  std::optional<std::uint64_t> to_vaddr(std::uint64_t offset) const;
  // The segment that holds file offset `offset` when no other segment's file
  // range overlaps it, so that every offset in it maps by the same bias; else
  // nullptr. Lets a caller map a run of offsets without a search per offset.
  const Segment* sole_segment_at(std::uint64_t offset) const;
  const std::vector<Segment>& segments() const { return segments_; }
  bool empty() const { return segments_.empty(); }
  // False for an address outside every segment (true for all when there are
  // none); cheap, for filtering before to_offset().
  bool may_hold(std::uint64_t vaddr) const { return segments_.empty() || (vaddr >= vaddr_low_ && vaddr < vaddr_high_); }
  // The range may_hold() accepts.
  std::uint64_t vaddr_low() const { return segments_.empty() ? 0 : vaddr_low_; }
  std::uint64_t vaddr_high() const { return segments_.empty() ? UINT64_MAX : vaddr_high_; }

private:
  std::vector<Segment> segments_;
  // Smallest and one past the largest loaded address: a quick refusal for
  // the many words that are not addresses at all.
  std::uint64_t vaddr_low_ = 0;
  std::uint64_t vaddr_high_ = 0;
  bool offsets_disjoint_ = true;
};

// A source region whose aligned 32-bit words hold addresses relative to a
// base (a table such as .eh_frame_hdr's) or to the word's own address (the
// PC-relative fields of .eh_frame).
struct RelativeRegion {
  enum Mode : std::uint8_t { kToBase = 0, kToSelf = 1 };
  std::uint64_t offset = 0; // source file offset
  std::uint64_t size = 0;
  Mode mode = kToBase;
  std::uint64_t source_base = 0; // kToBase: the base address in each image
  std::uint64_t target_base = 0;
};
inline constexpr unsigned kMaxRelativeRegions = 16;
// In a kToSelf region, a word w >= this that reaches back from its own
// address to the region's start or later is a distance back (below it, a
// length or a size).
inline constexpr std::uint32_t kMinBackDistance = 256;
// The words of an A32 PLT entry with their immediates cleared: ADD ip, pc,
// #a << 20; ADD ip, ip, #b << 12; LDR pc, [ip, #c]!. Masks keep the rest.
inline constexpr std::uint32_t kArmPltFirst = 0xE28FC600, kArmPltFirstMask = 0xFFFFFF00;
inline constexpr std::uint32_t kArmPltSecond = 0xE28CCA00, kArmPltSecondMask = 0xFFFFFF00;
inline constexpr std::uint32_t kArmPltThird = 0xE5BCF000, kArmPltThirdMask = 0xFFFFF000;

// True when the little-endian words w0, w1, w2 have the shape of an A32 PLT
// entry.
inline bool is_arm_plt_entry(std::uint32_t w0, std::uint32_t w1, std::uint32_t w2) {
  return (w0 & kArmPltFirstMask) == kArmPltFirst && (w1 & kArmPltSecondMask) == kArmPltSecond &&
         (w2 & kArmPltThirdMask) == kArmPltThird;
}

// Absolute words (32- and 64-bit) below this are counts and offsets, not
// addresses (nothing points into an image's first page of headers).
inline constexpr std::uint64_t kMinAbsolute = 4096;

// What the predictor knows of both images.
struct Layout {
  KindSet kinds = 0; // ReferenceKinds
  AddressSpace source;
  AddressSpace target;
  // Another set of kinds worth trying on the same images (0: none). 32-bit
  // ARM code is either A32 or Thumb-2 and the ELF header does not say which:
  // the encoder keeps the set that leaves fewer bytes changed. Not in the
  // payload.
  KindSet alternative_kinds = 0;
  // With kRelativeWords: sorted by offset, disjoint, inside the source.
  std::vector<RelativeRegion> regions;
  // Payload version 5: the code kinds (kCodeKinds) are looked for only at
  // source offsets that an executable source segment holds, and with an x86
  // kind the absolute words only at the others. False (versions 2 to 4):
  // every kind everywhere.
  bool code_by_segment = false;
  // For a raw image (detect_layout() guessed the kinds: no ELF header), the
  // size of a pointer in the guessed instruction set (4 or 8), for the
  // encoder's guess of the load address (load_address.hpp); 0 for an ELF
  // image. Not in the payload.
  unsigned raw_pointer_size = 0;
};

// The kinds that find references in instructions (and the Thumb literal
// words instructions load), as opposed to data words.
inline constexpr KindSet kCodeKinds = kX86Relative | kX64RipRelative | kArm32Branch | kArm64Branch | kArm32Literal |
                                      kThumbBranch | kThumbLiteral | kArmPltEntry;

// Guesses a layout from the two images (ELF program headers and machine).
// Images that are not ELF get no reference kinds.
Layout detect_layout(ByteSpan source, ByteSpan target);

// Where source regions went in the target: sorted, disjoint source ranges.
struct MapEntry {
  std::uint64_t source_start = 0;
  std::uint64_t length = 0;
  std::uint64_t target_start = 0;
};
class OffsetMap {
public:
  OffsetMap() = default;
  // `entries` must be sorted by source_start and disjoint (is_valid() checks).
  explicit OffsetMap(std::vector<MapEntry> entries);
  std::optional<std::uint64_t> map(std::uint64_t source_offset) const {
    auto first = entries_.begin();
    auto last = entries_.end();
    if (!page_first_.empty()) {
      // Entries starting at or before the page start are before
      // page_first_[page]; the one that may hold source_offset is the last
      // entry starting at or before it, in [page_first_[page] - 1,
      // page_first_[page + 1]).
      const std::uint64_t page = source_offset >> page_shift_;
      if (page + 1 < page_first_.size()) {
        first += page_first_[page] > 0 ? page_first_[page] - 1 : 0;
        last = entries_.begin() + page_first_[page + 1];
      } else {
        first += static_cast<std::ptrdiff_t>(entries_.size() - 1);
      }
    }
    return map_within(first, last, source_offset);
  }
  const std::vector<MapEntry>& entries() const { return entries_; }
  bool is_valid() const;

private:
  using Iterator = std::vector<MapEntry>::const_iterator;
  // map() among the entries [first, last), which hold the one that may
  // contain source_offset.
  static std::optional<std::uint64_t> map_within(Iterator first, Iterator last, std::uint64_t source_offset) {
    // A page mostly holds a handful of entries: then a forward scan beats a
    // binary search.
    auto it = first;
    if (last - first <= 8) {
      while (it != last && it->source_start <= source_offset)
        ++it;
    } else {
      it = std::upper_bound(first, last, source_offset,
                            [](std::uint64_t value, const MapEntry& e) { return value < e.source_start; });
    }
    if (it == first) return std::nullopt;
    --it;
    if (source_offset - it->source_start >= it->length) return std::nullopt;
    return it->target_start + (source_offset - it->source_start);
  }
  std::vector<MapEntry> entries_;
  // page_first_[p]: index of the first entry that starts after page p begins
  // (pages of 2^page_shift_ source bytes), so that map() searches only the
  // entries of one page. Empty when entries_ is not sorted.
  std::vector<std::uint32_t> page_first_;
  unsigned page_shift_ = 12;
};

// moved(a) of formats/native-delta.md ("Predictor"): where a source load
// address went in the target, va_tgt(map(off_src(a))), each image's first
// segment holding an address or offset deciding as AddressSpace does. The
// two load maps and the offset map are composed once into one table of
// address ranges, so that a lookup is one search of that table instead of a
// segment scan, an offset map search and another segment scan. The table
// holds at most one range per offset map entry plus one per segment
// boundary (kMaxComposedExtra); where it would hold more (source segments
// that load the same file bytes at several addresses, which no linker
// writes), the three steps are kept and taken at each lookup instead. Keeps
// no reference to what it was made from.
class MovedAddresses {
public:
  MovedAddresses() = default;
  MovedAddresses(const AddressSpace& source, OffsetMap map, const AddressSpace& target);
  std::optional<std::uint64_t> operator()(std::uint64_t source_vaddr) const {
    if (composed_) return table_.map(source_vaddr);
    auto offset = source_.to_offset(source_vaddr);
    if (!offset) return std::nullopt;
    auto moved = table_.map(*offset);
    if (!moved) return std::nullopt;
    return target_.to_vaddr(*moved);
  }
  // True when lookups take the composed table.
  bool composed() const { return composed_; }
  // With composed(): source address ranges and where they went, sorted and
  // disjoint.
  const std::vector<MapEntry>& ranges() const { return table_.entries(); }

private:
  bool composed_ = true;
  OffsetMap table_;              // composed: keyed by source address; else the offset map
  AddressSpace source_, target_; // kept only when not composed
};
// The table's ranges beyond the offset map's entries, at most: one per
// resolved piece of the two load maps (each image has at most
// 2 * kMaxSegments - 1).
inline constexpr std::size_t kMaxComposedExtra = 4 * kMaxSegments;

// Produces the predicted bytes of one copied block, source[source_start,
// source_start + length) placed at target_start, in consecutive calls of any
// size: the result does not depend on how the block is cut into calls.
// Keeps references to everything it is given.
class BlockPrediction {
public:
  BlockPrediction(const Layout& layout, const MovedAddresses& moved, ByteSpan source, std::uint64_t source_start,
                  std::uint64_t target_start, std::uint64_t length);
  // Writes the next `count` predicted bytes (count <= what is left).
  void fill(std::uint8_t* out, std::size_t count);

private:
  // If an x86 instruction reference starts at block position `at`, writes
  // its predicted bytes to pending_ and returns true.
  bool predict_x86(std::uint64_t at);
  // The same for the word kinds (A32, A64, absolute) at a 4-aligned source
  // offset holding `word`, with 4 bytes left.
  bool predict_word(std::uint64_t at, std::uint32_t word);
  // The same for a word of a relative region at `at`.
  bool relative_word(std::uint64_t at);
  // The same for an A32 PLT entry at `at` (4-aligned), whose first word is
  // `word`.
  bool arm_plt_entry(std::uint64_t at, std::uint32_t word);
  // The same for a Thumb-2 branch `word` (is_thumb_branch()) at `at`.
  bool thumb_branch(std::uint64_t at, std::uint32_t word);
  // When `word` at `at` is a Thumb LDR (literal) into Rt followed within 8
  // halfwords by ADD Rt, PC, remembers the prediction of the literal word
  // it loads (which must lie ahead in the block).
  void note_literal_load(std::uint64_t at, std::uint32_t word);
  // Writes the literal word remembered for `at`, if any, to pending_; drops
  // the ones the walk has passed.
  bool take_literal(std::uint64_t at);
  // The first block position in [at, stop) where a reference starts, with
  // its predicted bytes in pending_; stop when none does. Walks the runs of
  // code and data (Layout::code_by_segment) one after the other.
  std::uint64_t next_reference(std::uint64_t at, std::uint64_t stop);
  // The same within one run, with kinds_ set for it. Filters the positions
  // with cheap tests on locals before trying a prediction.
  std::uint64_t next_reference_in_run(std::uint64_t at, std::uint64_t stop);
  // Sets kinds_ and run_end_ for the run that holds block position `at`.
  void enter_run(std::uint64_t at);
  std::optional<std::uint64_t> map_vaddr(std::uint64_t source_vaddr) const { return moved_(source_vaddr); }
  // Load addresses of block positions (to_vaddr of source_start_ + at and of
  // target_start_ + at), through the block's sole segment where it has one.
  std::optional<std::uint64_t> source_site(std::uint64_t at) const {
    if (source_segment_ != nullptr && at < length_)
      return source_segment_->vaddr + (source_start_ + at - source_segment_->offset);
    return layout_.source.to_vaddr(source_start_ + at);
  }
  std::optional<std::uint64_t> target_site(std::uint64_t at) const {
    if (target_segment_ != nullptr && at < length_)
      return target_segment_->vaddr + (target_start_ + at - target_segment_->offset);
    return layout_.target.to_vaddr(target_start_ + at);
  }

  const Layout& layout_;
  const MovedAddresses& moved_;
  const std::uint8_t* block_; // source bytes of the block
  std::uint64_t source_start_;
  std::uint64_t target_start_;
  std::uint64_t length_;
  std::uint64_t position_ = 0; // next block position to predict
  // The kinds looked for in the run of code or data being walked, which
  // ends at block position run_end_ (the block's end without
  // code_by_segment); the kinds of code runs and of data runs.
  KindSet kinds_ = 0;
  std::uint64_t run_end_ = 0;
  KindSet code_kinds_ = 0, data_kinds_ = 0;
  // Block positions [regions_begin_, regions_end_) hold every word of the
  // relative regions the block overlaps (empty without kRelativeWords).
  std::uint64_t regions_begin_ = 0;
  std::uint64_t regions_end_ = 0;
  // Those regions are layout_.regions[first_region_, end_region_); the walk
  // meets them in order, region_ is the one it is in or before. Their load
  // addresses (nullopt outside every segment), by index.
  unsigned first_region_ = 0, end_region_ = 0, region_ = 0;
  std::array<std::optional<std::uint64_t>, kMaxRelativeRegions> region_starts_{};
  // x86: the first lead byte at or after the walk's position (or length_).
  static constexpr std::uint64_t kUnknownLead = UINT64_MAX;
  std::uint64_t next_lead_ = kUnknownLead;
  const Segment* source_segment_ = nullptr;
  const Segment* target_segment_ = nullptr;
  // Literal words ahead (block position, predicted word), sorted by
  // position. They are word-aligned and lie at most 4 KiB + 8 ahead of the
  // walk: at most kMaxThumbLiterals of them.
  struct Literal {
    std::uint64_t at;
    std::uint32_t word;
  };
  std::vector<Literal> literals_;
  std::uint8_t pending_[12] = {}; // a reference's predicted bytes (a PLT entry's are the most)
  unsigned pending_size_ = 0;
  unsigned pending_used_ = 0;
};

} // namespace dfota::delta::native
