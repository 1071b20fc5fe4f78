#include "delta/native/references.hpp"

#include "delta/native/instruction_set.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace dfota::delta::native {

namespace {

[[gnu::always_inline]] inline std::uint64_t load64(const std::uint8_t* p) {
  return load_le32(p) | static_cast<std::uint64_t>(load_le32(p + 4)) << 32;
}

struct ElfInfo {
  unsigned machine = 0;
  bool is64 = false;
  std::vector<Segment> segments;
  std::optional<Segment> eh_frame_hdr; // PT_GNU_EH_FRAME, inside the image
  // How far into the image the ELF file reaches: the end of its program
  // header table, of its last loaded segment's file bytes and of its section
  // header table (which linkers write last), clamped to the image.
  std::uint64_t extent = 0;
};

// The machine and PT_LOAD segments of a little-endian ELF image, clamped to
// the image; nullopt when `image` is not one.
std::optional<ElfInfo> read_elf(ByteSpan image) {
  if (image.size() < 64 || std::memcmp(image.data(),
                                       "\x7F"
                                       "ELF",
                                       4) != 0)
    return std::nullopt;
  if (image[5] != 1) return std::nullopt; // little-endian only
  ElfInfo info;
  info.is64 = image[4] == 2;
  if (image[4] != 1 && image[4] != 2) return std::nullopt;
  info.machine = static_cast<unsigned>(load_le(image, 18, 2));
  const std::uint64_t phoff = info.is64 ? load_le(image, 32, 8) : load_le(image, 28, 4);
  const unsigned phentsize = static_cast<unsigned>(load_le(image, info.is64 ? 54 : 42, 2));
  const unsigned phnum = static_cast<unsigned>(load_le(image, info.is64 ? 56 : 44, 2));
  const std::uint64_t shoff = info.is64 ? load_le(image, 40, 8) : load_le(image, 32, 4);
  const unsigned shentsize = static_cast<unsigned>(load_le(image, info.is64 ? 58 : 46, 2));
  const unsigned shnum = static_cast<unsigned>(load_le(image, info.is64 ? 60 : 48, 2));
  auto reach = [&](std::uint64_t offset, std::uint64_t size) {
    if (offset < image.size()) info.extent = std::max(info.extent, offset + std::min(size, image.size() - offset));
  };
  reach(0, info.is64 ? 64 : 52);
  reach(phoff, std::uint64_t{phentsize} * phnum);
  reach(shoff, std::uint64_t{shentsize} * shnum);
  const unsigned need = info.is64 ? 56 : 32;
  if (phentsize < need || phnum > kMaxSegments) return info;
  for (unsigned i = 0; i < phnum; ++i) {
    const std::uint64_t at = phoff + static_cast<std::uint64_t>(i) * phentsize;
    if (phoff > image.size() || at > image.size() - need) break;
    const std::uint64_t type = load_le(image, at, 4);
    if (type != 1 && type != 0x6474E550) continue; // PT_LOAD, PT_GNU_EH_FRAME
    Segment s;
    s.executable = (load_le(image, at + (info.is64 ? 4 : 24), 4) & 1) != 0; // p_flags & PF_X
    if (info.is64) {
      s.offset = load_le(image, at + 8, 8);
      s.vaddr = load_le(image, at + 16, 8);
      s.size = load_le(image, at + 32, 8);
    } else {
      s.offset = load_le(image, at + 4, 4);
      s.vaddr = load_le(image, at + 8, 4);
      s.size = load_le(image, at + 16, 4);
    }
    if (s.offset >= image.size() || s.size == 0) continue;
    s.size = std::min<std::uint64_t>(s.size, image.size() - s.offset);
    reach(s.offset, s.size);
    if (type == 1) {
      info.segments.push_back(s);
    } else {
      info.eh_frame_hdr = s;
    }
  }
  return info;
}

KindSet kinds_for(const ElfInfo& elf) {
  const KindSet absolute = elf.is64 ? kAbsolute64 : kAbsolute32;
  switch (elf.machine) {
  case 3: return kX86Relative | absolute;                    // EM_386
  case 62: return kX86Relative | kX64RipRelative | absolute; // EM_X86_64
  case 40: return kArm32Branch | kArm32Literal | absolute;   // EM_ARM (A32; Thumb-2 below)
  case 183: return kArm64Branch | absolute;                  // EM_AARCH64
  default: return 0;
  }
}

// True when `image` holds an A32 PLT entry (the three words
// BlockPrediction::arm_plt_entry() reads) at a 4-aligned offset.
bool has_arm_plt_entry(ByteSpan image) {
  for (std::uint64_t at = 0; image.size() >= 12 && at <= image.size() - 12; at += 4) {
    const std::uint8_t* p = image.data() + at;
    if (is_arm_plt_entry(load_le32(p), load_le32(p + 4), load_le32(p + 8))) return true;
  }
  return false;
}

// First bytes of the x86 instructions predict_x86() recognises.
constexpr auto kX86Lead = [] {
  std::array<bool, 256> lead{};
  lead[0xE8] = lead[0xE9] = lead[0x0F] = lead[0x48] = lead[0x4C] = true;
  return lead;
}();

// True when the bytes at p (left of them) have the shape of an x86
// reference predict_x86() rewrites; p[0] is a lead byte.
[[gnu::always_inline]] inline bool x86_shape(const std::uint8_t* p, std::uint64_t left, KindSet kinds) {
  const std::uint8_t b = p[0];
  if (b == 0xE8 || b == 0xE9) return (kinds & kX86Relative) != 0;
  if (b == 0x0F) return (kinds & kX86Relative) && left >= 2 && (p[1] & 0xF0) == 0x80;
  return (kinds & kX64RipRelative) && left >= 3 && (p[1] == 0x8B || p[1] == 0x8D) && (p[2] & 0xC7) == 0x05;
}

// The first position in [from, length) where x86_shape() holds, or length.
std::uint64_t next_x86_shape(const std::uint8_t* block, std::uint64_t from, std::uint64_t length, KindSet kinds) {
  std::uint64_t i = from;
#if defined(__SSE2__)
  // Sixteen bytes at a time: E8/E9 are (b & 0xFE) == 0xE8, 48/4C are
  // (b & 0xFB) == 0x48.
  const __m128i fe = _mm_set1_epi8(static_cast<char>(0xFE)), e8 = _mm_set1_epi8(static_cast<char>(0xE8));
  const __m128i fb = _mm_set1_epi8(static_cast<char>(0xFB)), x48 = _mm_set1_epi8(0x48);
  const __m128i x0f = _mm_set1_epi8(0x0F);
  for (; length - i >= 16 && i < length; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + i));
    const __m128i leads = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(_mm_and_si128(v, fe), e8), _mm_cmpeq_epi8(v, x0f)),
                                       _mm_cmpeq_epi8(_mm_and_si128(v, fb), x48));
    for (auto mask = static_cast<unsigned>(_mm_movemask_epi8(leads)); mask != 0; mask &= mask - 1) {
      const std::uint64_t at = i + static_cast<unsigned>(__builtin_ctz(mask));
      if (x86_shape(block + at, length - at, kinds)) return at;
    }
  }
#endif
  for (; i < length; ++i) {
    if (kX86Lead[block[i]] && x86_shape(block + i, length - i, kinds)) return i;
  }
  return length;
}

// The Thumb walk's fast skip. From `from` (a 4-aligned source offset), in
// whole 16-byte steps that end at or before `end` and leave 2 bytes to spare
// before `length`: the first 2-aligned position holding a Thumb LDR
// (literal) first halfword (when `literal`), a Thumb-2 BL/BLX/B.W (when
// `branch`), or, at 4-aligned positions, the first word of an A32 PLT entry
// (when `plt`) or a word in [low, high) (when `absolute`; low >=
// kMinAbsolute). Returns where the steps stopped when
// none is found. A superset of what next_reference() checks one by one, so
// that skipping the rest changes nothing.
std::uint64_t next_thumb_candidate(const std::uint8_t* block, std::uint64_t from, std::uint64_t end,
                                   std::uint64_t length, bool literal, bool branch, bool plt, bool absolute,
                                   std::uint64_t low, std::uint64_t high) {
  std::uint64_t i = from;
#if defined(__SSE2__)
  auto set16 = [](unsigned v) { return _mm_set1_epi16(static_cast<short>(v)); };
  const __m128i none = _mm_setzero_si128(), all = _mm_cmpeq_epi8(none, none);
  const __m128i literal_on = literal ? all : none, branch_on = branch ? all : none;
  const __m128i f800 = set16(0xF800), x4800 = set16(0x4800), ff7f = set16(0xFF7F), f85f = set16(0xF85F);
  const __m128i f000 = set16(0xF000), d000 = set16(0xD000), x9000 = set16(0x9000), d001 = set16(0xD001),
                c000 = set16(0xC000);
  // Unsigned 32-bit comparisons as signed ones on values biased by 2^31.
  const __m128i bias = _mm_set1_epi32(INT32_MIN);
  const bool bounded = high <= UINT32_MAX;
  const __m128i low_biased = _mm_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(low) ^ 0x80000000u));
  const __m128i high_biased =
      _mm_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(bounded ? high : 0) ^ 0x80000000u));
  const __m128i first_halfword = _mm_set1_epi32(0xFFFF); // marks a word at its first halfword
  const __m128i word_on = (absolute && low <= UINT32_MAX) ? first_halfword : none;
  const __m128i plt_on = plt ? first_halfword : none;
  const __m128i plt_mask = _mm_set1_epi32(static_cast<int>(kArmPltFirstMask));
  const __m128i plt_first = _mm_set1_epi32(static_cast<int>(kArmPltFirst));
  for (; i < end && end - i >= 16 && length - i >= 18; i += 16) {
    const __m128i first = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + i));
    const __m128i second = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + i + 2));
    const __m128i loads = _mm_or_si128(_mm_cmpeq_epi16(_mm_and_si128(first, f800), x4800),
                                       _mm_cmpeq_epi16(_mm_and_si128(first, ff7f), f85f));
    const __m128i second_branch = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi16(_mm_and_si128(second, d000), d000),
                                                            _mm_cmpeq_epi16(_mm_and_si128(second, d000), x9000)),
                                               _mm_cmpeq_epi16(_mm_and_si128(second, d001), c000));
    const __m128i branches = _mm_and_si128(_mm_cmpeq_epi16(_mm_and_si128(first, f800), f000), second_branch);
    const __m128i biased = _mm_xor_si128(first, bias);
    __m128i words = _mm_andnot_si128(_mm_cmpgt_epi32(low_biased, biased), word_on);
    if (bounded) words = _mm_and_si128(words, _mm_cmpgt_epi32(high_biased, biased));
    words = _mm_or_si128(words, _mm_and_si128(_mm_cmpeq_epi32(_mm_and_si128(first, plt_mask), plt_first), plt_on));
    const __m128i hits =
        _mm_or_si128(_mm_or_si128(_mm_and_si128(loads, literal_on), _mm_and_si128(branches, branch_on)), words);
    if (const auto mask = static_cast<unsigned>(_mm_movemask_epi8(hits)); mask != 0) {
      return i + static_cast<unsigned>(__builtin_ctz(mask));
    }
  }
#else
  (void)block, (void)end, (void)length, (void)literal, (void)branch, (void)plt, (void)absolute, (void)low, (void)high;
#endif
  return i;
}

} // namespace

AddressSpace::AddressSpace(std::vector<Segment> segments) : segments_(std::move(segments)) {
  vaddr_low_ = UINT64_MAX;
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    const Segment& s = segments_[i];
    vaddr_low_ = std::min(vaddr_low_, s.vaddr);
    const std::uint64_t end = s.vaddr + s.size < s.vaddr ? UINT64_MAX : s.vaddr + s.size;
    vaddr_high_ = std::max(vaddr_high_, end);
    for (std::size_t j = 0; j < i; ++j) {
      const Segment& t = segments_[j];
      if (s.offset < t.offset + t.size && t.offset < s.offset + s.size) offsets_disjoint_ = false;
    }
  }
}

const Segment* AddressSpace::sole_segment_at(std::uint64_t offset) const {
  if (!offsets_disjoint_) return nullptr;
  for (const Segment& s : segments_) {
    if (offset >= s.offset && offset - s.offset < s.size) return &s;
  }
  return nullptr;
}

std::optional<std::uint64_t> AddressSpace::to_offset(std::uint64_t vaddr) const {
  if (segments_.empty()) return vaddr;
  if (vaddr < vaddr_low_ || vaddr >= vaddr_high_) return std::nullopt;
  for (const Segment& s : segments_) {
    if (vaddr >= s.vaddr && vaddr - s.vaddr < s.size) return s.offset + (vaddr - s.vaddr);
  }
  return std::nullopt;
}

std::optional<std::uint64_t> AddressSpace::to_vaddr(std::uint64_t offset) const {
  if (segments_.empty()) return offset;
  for (const Segment& s : segments_) {
    if (offset >= s.offset && offset - s.offset < s.size) return s.vaddr + (offset - s.offset);
  }
  return std::nullopt;
}

// The .eh_frame_hdr search table (addresses relative to the header) and the
// .eh_frame records it points to (addresses relative to the field), when
// both images have a header of the usual encodings.
std::vector<RelativeRegion> unwind_regions(ByteSpan source, const ElfInfo& old_elf, const ElfInfo& new_elf,
                                           const AddressSpace& source_space) {
  std::vector<RelativeRegion> regions;
  if (!old_elf.eh_frame_hdr || !new_elf.eh_frame_hdr) return regions;
  const Segment& hdr = *old_elf.eh_frame_hdr;
  // version 1, eh_frame_ptr pcrel sdata4, fde_count udata4, table datarel sdata4
  if (!(hdr.size >= 12 && source[hdr.offset] == 1 && source[hdr.offset + 1] == 0x1B && source[hdr.offset + 2] == 0x03 &&
        source[hdr.offset + 3] == 0x3B))
    return regions;
  regions.push_back({hdr.offset + 12, hdr.size - 12, RelativeRegion::kToBase, hdr.vaddr, new_elf.eh_frame_hdr->vaddr});
  // .eh_frame: from where the header points to the zero terminator.
  const auto pointer = static_cast<std::int32_t>(load_le(source, hdr.offset + 4, 4));
  auto start = source_space.to_offset(hdr.vaddr + 4 + static_cast<std::uint64_t>(static_cast<std::int64_t>(pointer)));
  if (!start || *start >= source.size()) return regions;
  std::uint64_t end = *start;
  while (end + 4 <= source.size()) {
    const std::uint64_t length = load_le(source, end, 4);
    if (length == 0 || length == 0xFFFFFFFF || length > source.size() - end - 4) break;
    end += 4 + length;
  }
  if (end > *start && (end <= hdr.offset || *start >= hdr.offset + hdr.size)) {
    RelativeRegion records{*start, end - *start, RelativeRegion::kToSelf, 0, 0};
    if (records.offset < hdr.offset) {
      regions.insert(regions.begin(), records);
    } else {
      regions.push_back(records);
    }
  }
  return regions;
}

namespace {

// The layout of two images without ELF headers: the instruction set the
// source's calls show (guess_instruction_sets()) and where its code lies, as
// executable segments loaded at their file offsets; the target is one
// segment at its offsets. A second set that also shows is offered joined to
// the first (32-bit ARM firmware often mixes A32 and Thumb-2) for the
// encoder's trial. An address is a file offset, and no absolute kinds are
// looked for, until the encoder has guessed the load address from the
// matched copies (load_address.hpp).
Layout raw_layout(ByteSpan source, ByteSpan target) {
  Layout layout;
  std::vector<InstructionSetGuess> guesses = guess_instruction_sets(source);
  if (guesses.empty() || target.empty()) return layout;
  layout.kinds = code_kinds_of(guesses[0].set);
  layout.raw_pointer_size = guesses[0].set == InstructionSet::a64 || guesses[0].set == InstructionSet::x86_64 ? 8 : 4;
  std::vector<std::uint64_t> sites = std::move(guesses[0].sites);
  if (guesses.size() > 1) {
    layout.alternative_kinds = layout.kinds | code_kinds_of(guesses[1].set);
    sites.insert(sites.end(), guesses[1].sites.begin(), guesses[1].sites.end());
    std::sort(sites.begin(), sites.end());
  }
  layout.source = AddressSpace(code_segments(source.size(), sites));
  layout.target = AddressSpace({Segment{0, 0, target.size(), true}});
  layout.code_by_segment = true;
  return layout;
}

} // namespace

Layout detect_layout(ByteSpan source, ByteSpan target) {
  Layout layout;
  auto old_elf = read_elf(source);
  auto new_elf = read_elf(target);
  if (!old_elf && !new_elf) return raw_layout(source, target);
  // An ELF file that makes less than half of its image (an executable with
  // other parts laid after it, as in a firmware image) does not describe the
  // image: both are read as raw images, region by region.
  if (old_elf && new_elf && (2 * old_elf->extent < source.size() || 2 * new_elf->extent < target.size()))
    return raw_layout(source, target);
  if (!old_elf || !new_elf || old_elf->machine != new_elf->machine || old_elf->is64 != new_elf->is64) return layout;
  layout.kinds = kinds_for(*old_elf);
  if (old_elf->machine == 40 && !old_elf->is64) {
    layout.alternative_kinds = kThumbBranch | kThumbLiteral | kAbsolute32;
    // PLT entries are A32 code in Thumb images too; the kind is named only
    // where the source has one.
    if (has_arm_plt_entry(source)) {
      layout.kinds |= kArmPltEntry;
      layout.alternative_kinds |= kArmPltEntry;
    }
  }
  layout.source = AddressSpace(old_elf->segments);
  layout.target = AddressSpace(new_elf->segments);
  layout.code_by_segment = true;
  layout.regions = unwind_regions(source, *old_elf, *new_elf, layout.source);
  if (!layout.regions.empty()) {
    layout.kinds |= kRelativeWords;
    if (layout.alternative_kinds != 0) layout.alternative_kinds |= kRelativeWords;
  }
  if (layout.source.empty() || layout.target.empty()) {
    layout.kinds &= ~KindSet{kAbsolute32 | kAbsolute64};
    layout.alternative_kinds &= ~KindSet{kAbsolute32 | kAbsolute64};
  }
  return layout;
}

OffsetMap::OffsetMap(std::vector<MapEntry> entries) : entries_(std::move(entries)) {
  if (entries_.empty() || entries_.size() > UINT32_MAX) return;
  for (std::size_t i = 1; i < entries_.size(); ++i) {
    if (entries_[i].source_start < entries_[i - 1].source_start) return;
  }
  // About two pages per entry (a handful of entries in each, in a table
  // small enough to stay in cache), at most 2^16 of them.
  const std::uint64_t span = entries_.back().source_start + 1;
  const std::uint64_t most_pages =
      std::min<std::uint64_t>(1u << 16, std::max<std::uint64_t>(1024, 2 * entries_.size()));
  page_shift_ = 0;
  while (page_shift_ < 63 && (span >> page_shift_) >= most_pages)
    ++page_shift_;
  const std::uint64_t pages = (span >> page_shift_) + 1;
  page_first_.resize(pages + 1);
  std::size_t index = 0;
  for (std::uint64_t page = 0; page <= pages; ++page) {
    const std::uint64_t start = page << page_shift_;
    while (index < entries_.size() && entries_[index].source_start <= start)
      ++index;
    page_first_[page] = static_cast<std::uint32_t>(index);
  }
}

bool OffsetMap::is_valid() const {
  std::uint64_t end = 0;
  for (const MapEntry& e : entries_) {
    if (e.length == 0 || e.source_start < end) return false;
    if (e.source_start + e.length < e.source_start || e.target_start + e.length < e.target_start) return false;
    end = e.source_start + e.length;
  }
  return true;
}

namespace {

// Appends the range [from, from + length) -> to to the sorted `ranges`,
// joining it to the last range when it continues it; false, with nothing
// appended, when that would make more than `most` ranges.
bool append_range(std::vector<MapEntry>& ranges, std::uint64_t from, std::uint64_t length, std::uint64_t to,
                  std::size_t most = SIZE_MAX) {
  if (!ranges.empty() && ranges.back().source_start + ranges.back().length == from &&
      ranges.back().target_start + ranges.back().length == to) {
    ranges.back().length += length;
    return true;
  }
  if (ranges.size() == most) return false;
  ranges.push_back({from, length, to});
  return true;
}

// One image's load map resolved as AddressSpace resolves it, keyed by
// address (to file offsets) or by file offset (to addresses): sorted,
// disjoint pieces (source_start: the key, target_start: what it resolves
// to), the first segment holding a key deciding. A key range ends where its
// segment ends, or at UINT64_MAX (exclusive) when that overflows, as
// AddressSpace's own range check does. Without segments, the identity.
std::vector<MapEntry> resolved_pieces(const std::vector<Segment>& segments, bool by_address) {
  if (segments.empty()) return {MapEntry{0, UINT64_MAX, 0}};
  auto key = [&](const Segment& s) { return by_address ? s.vaddr : s.offset; };
  auto key_end = [&](const Segment& s) { return key(s) + s.size < key(s) ? UINT64_MAX : key(s) + s.size; };
  std::vector<std::uint64_t> cuts;
  for (const Segment& s : segments) {
    cuts.push_back(key(s));
    cuts.push_back(key_end(s));
  }
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  std::vector<MapEntry> pieces;
  for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
    const std::uint64_t from = cuts[i], length = cuts[i + 1] - cuts[i];
    const auto holder = std::find_if(segments.begin(), segments.end(),
                                     [&](const Segment& s) { return from >= key(s) && from - key(s) < s.size; });
    if (holder == segments.end()) continue;
    append_range(pieces, from, length, (by_address ? holder->offset : holder->vaddr) + (from - key(*holder)));
  }
  return pieces;
}

// The last piece starting at or before `key` (pieces.begin() when none
// does): the one that may hold it.
std::vector<MapEntry>::const_iterator piece_before(const std::vector<MapEntry>& pieces, std::uint64_t key) {
  auto it = std::upper_bound(pieces.begin(), pieces.end(), key,
                             [](std::uint64_t value, const MapEntry& e) { return value < e.source_start; });
  return it == pieces.begin() ? it : it - 1;
}

} // namespace

MovedAddresses::MovedAddresses(const AddressSpace& source, OffsetMap map, const AddressSpace& target) {
  const std::vector<MapEntry> source_pieces = resolved_pieces(source.segments(), true);  // address -> offset
  const std::vector<MapEntry> target_pieces = resolved_pieces(target.segments(), false); // offset -> address
  const std::vector<MapEntry>& moves = map.entries();                                    // offset -> offset
  // Source pieces whose offsets do not overlap meet each entry once: the
  // table then has at most this many ranges.
  const std::size_t most = moves.size() + source_pieces.size() + target_pieces.size();
  std::vector<MapEntry> table;
  table.reserve(most);
  // Source pieces in address order; within one, offsets grow with addresses
  // and the offset map's entries are met in order, so the table comes out
  // sorted by source address and disjoint.
  bool fits = true;
  for (const MapEntry& piece : source_pieces) {
    const std::uint64_t low = piece.target_start;
    const std::uint64_t high = low + piece.length < low ? UINT64_MAX : low + piece.length;
    for (auto move = piece_before(moves, low); fits && move != moves.end() && move->source_start < high; ++move) {
      const std::uint64_t begin = std::max(low, move->source_start);
      const std::uint64_t end = std::min(high, move->source_start + move->length);
      if (begin >= end) continue;
      std::uint64_t address = piece.source_start + (begin - low);
      std::uint64_t offset = move->target_start + (begin - move->source_start);
      std::uint64_t left = end - begin;
      // Where those target offsets are loaded, piece by piece.
      for (auto at = piece_before(target_pieces, offset); fits && left > 0 && at != target_pieces.end(); ++at) {
        if (offset < at->source_start) {
          const std::uint64_t unloaded = std::min(left, at->source_start - offset);
          address += unloaded;
          offset += unloaded;
          left -= unloaded;
          if (left == 0) break;
        }
        if (offset - at->source_start >= at->length) continue;
        const std::uint64_t n = std::min(left, at->length - (offset - at->source_start));
        fits = append_range(table, address, n, at->target_start + (offset - at->source_start), most);
        address += n;
        offset += n;
        left -= n;
      }
    }
    if (!fits) break;
  }
  if (fits) {
    table_ = OffsetMap(std::move(table));
    return;
  }
  composed_ = false;
  table_ = std::move(map);
  source_ = source;
  target_ = target;
}

BlockPrediction::BlockPrediction(const Layout& layout, const MovedAddresses& moved, ByteSpan source,
                                 std::uint64_t source_start, std::uint64_t target_start, std::uint64_t length)
    : layout_(layout), moved_(moved), block_(source.data() + source_start), source_start_(source_start),
      target_start_(target_start), length_(length) {
  // Only a block that lies whole in one segment of each image maps by bias.
  auto whole = [length](const AddressSpace& space, std::uint64_t start) -> const Segment* {
    const Segment* s = space.sole_segment_at(start);
    if (s == nullptr || start - s->offset + length > s->size) return nullptr;
    return s;
  };
  if (length > 0) {
    source_segment_ = whole(layout.source, source_start);
    target_segment_ = whole(layout.target, target_start);
  }
  code_kinds_ = data_kinds_ = kinds_ = layout.kinds;
  run_end_ = length;
  if (layout.code_by_segment) {
    // x86 code holds no address words (its jump tables are in read-only
    // data); ARM code keeps literal pools among its instructions.
    const KindSet words = kAbsolute32 | kAbsolute64;
    if (layout.kinds & (kX86Relative | kX64RipRelative)) code_kinds_ &= ~words;
    data_kinds_ &= ~kCodeKinds;
    run_end_ = 0; // the first call enters the first run
  }
  if (layout.kinds & kRelativeWords) {
    for (unsigned i = 0; i < layout.regions.size() && i < kMaxRelativeRegions; ++i) {
      const RelativeRegion& r = layout.regions[i];
      const std::uint64_t begin = std::max(r.offset, source_start),
                          end = std::min(r.offset + r.size, source_start + length);
      if (begin >= end) continue;
      if (regions_begin_ == regions_end_) {
        regions_begin_ = begin - source_start;
        first_region_ = region_ = i;
      }
      regions_end_ = end - source_start;
      end_region_ = i + 1;
      region_starts_[i] = layout.source.to_vaddr(r.offset);
    }
  }
}

bool BlockPrediction::relative_word(std::uint64_t at) {
  const std::uint64_t offset = source_start_ + at;
  if (offset % 4 != 0 || length_ - at < 4 || first_region_ == end_region_) return false;
  // The regions are sorted and disjoint: the walk's region is the first that
  // does not end at or before the word.
  const std::vector<RelativeRegion>& regions = layout_.regions;
  if (region_ > first_region_ && offset < regions[region_].offset) region_ = first_region_;
  while (region_ + 1 < end_region_ && offset >= regions[region_].offset + regions[region_].size)
    ++region_;
  const RelativeRegion* region = &regions[region_];
  if (offset < region->offset || offset - region->offset + 4 > region->size) return false;
  const std::uint32_t word = load_le32(block_ + at);
  const auto value = static_cast<std::int64_t>(static_cast<std::int32_t>(word));
  std::uint64_t address = region->source_base + static_cast<std::uint64_t>(value);
  std::uint64_t to = region->target_base;
  if (region->mode == RelativeRegion::kToSelf) {
    auto site = source_site(at);
    auto new_site = target_site(at);
    const std::optional<std::uint64_t>& region_start = region_starts_[region_];
    if (!site || !new_site || !region_start) return false;
    to = *new_site;
    // A distance back to an earlier record of the region (an FDE's CIE
    // pointer); small ones are lengths and sizes.
    if (word >= kMinBackDistance && word <= *site - *region_start) {
      auto moved = map_vaddr(*site - word);
      if (!moved || to < *moved || to - *moved > UINT32_MAX) return false;
      store_le32(pending_, static_cast<std::uint32_t>(to - *moved));
      pending_size_ = 4;
      return true;
    }
    // Otherwise an address outside the region; one inside it is a length or a
    // back-pointer, not an address.
    address = *site + static_cast<std::uint64_t>(value);
    if (address - *region_start < region->size) return false;
  }
  auto moved = map_vaddr(address);
  if (!moved) return false;
  const auto predicted = static_cast<std::int64_t>(*moved - to);
  if (predicted < INT32_MIN || predicted > INT32_MAX) return false;
  store_le32(pending_, static_cast<std::uint32_t>(predicted));
  pending_size_ = 4;
  return true;
}

bool BlockPrediction::predict_x86(std::uint64_t at) {
  const KindSet kinds = kinds_;
  const std::uint64_t left = length_ - at;
  const std::uint8_t* p = block_ + at;
  // A relative reference: a signed 32-bit displacement at `field` counted from
  // the end of an instruction `size` bytes long.
  auto relative = [&](unsigned field, unsigned size) -> bool {
    if (left < size) return false;
    auto site_end = source_site(at + size);
    auto new_site_end = target_site(at + size);
    if (!site_end || !new_site_end) return false;
    const auto displacement = static_cast<std::int32_t>(load_le32(p + field));
    auto moved = map_vaddr(*site_end + static_cast<std::uint64_t>(static_cast<std::int64_t>(displacement)));
    if (!moved) return false;
    const auto predicted = static_cast<std::int64_t>(*moved - *new_site_end);
    if (predicted < INT32_MIN || predicted > INT32_MAX) return false;
    std::memcpy(pending_, p, size);
    store_le32(pending_ + field, static_cast<std::uint32_t>(predicted));
    pending_size_ = size;
    return true;
  };
  const std::uint8_t b = p[0];
  if ((kinds & kX86Relative) && (b == 0xE8 || b == 0xE9)) return relative(1, 5);
  if ((kinds & kX86Relative) && b == 0x0F && left >= 2 && (p[1] & 0xF0) == 0x80) return relative(2, 6);
  if ((kinds & kX64RipRelative) && (b == 0x48 || b == 0x4C) && left >= 3 && (p[1] == 0x8B || p[1] == 0x8D) &&
      (p[2] & 0xC7) == 0x05)
    return relative(3, 7);
  return false;
}

bool BlockPrediction::predict_word(std::uint64_t at, std::uint32_t word) {
  const KindSet kinds = kinds_;
  const std::uint64_t left = length_ - at;
  const std::uint8_t* p = block_ + at;
  if ((kinds & kArmPltEntry) && (word & kArmPltFirstMask) == kArmPltFirst && arm_plt_entry(at, word)) return true;
  auto word_branch = [&](unsigned bits, std::uint64_t pc_bias) -> bool {
    auto site = source_site(at);
    auto new_site = target_site(at);
    if (!site || !new_site) return false;
    const std::uint32_t mask = (std::uint32_t{1} << bits) - 1;
    std::int64_t words = word & mask;
    if (words & (std::int64_t{1} << (bits - 1))) words -= std::int64_t{1} << bits;
    auto moved = map_vaddr(*site + pc_bias + static_cast<std::uint64_t>(words * 4));
    if (!moved) return false;
    const auto delta = static_cast<std::int64_t>(*moved - (*new_site + pc_bias));
    if (delta % 4 != 0) return false;
    const std::int64_t new_words = delta / 4;
    if (new_words < -(std::int64_t{1} << (bits - 1)) || new_words >= (std::int64_t{1} << (bits - 1))) return false;
    store_le32(pending_, (word & ~mask) | (static_cast<std::uint32_t>(new_words) & mask));
    pending_size_ = 4;
    return true;
  };
  if ((kinds & kArm32Branch) && (word >> 28) != 0xF && ((word >> 25) & 7) == 5 && word_branch(24, 8)) return true;
  if ((kinds & kArm32Literal) && (word >> 28) != 0xF && (word & 0x0E5F0000) == 0x041F0000) {
    auto site = source_site(at);
    auto new_site = target_site(at);
    if (site && new_site) {
      const std::int64_t offset = (word & (1u << 23)) ? (word & 0xFFF) : -static_cast<std::int64_t>(word & 0xFFF);
      auto moved = map_vaddr(*site + 8 + static_cast<std::uint64_t>(offset));
      if (moved) {
        const auto delta = static_cast<std::int64_t>(*moved - (*new_site + 8));
        if (delta > -4096 && delta < 4096) {
          const std::uint32_t up = delta >= 0 ? 1u << 23 : 0;
          const auto magnitude = static_cast<std::uint32_t>(delta >= 0 ? delta : -delta);
          store_le32(pending_, (word & ~((1u << 23) | 0xFFFu)) | up | magnitude);
          pending_size_ = 4;
          return true;
        }
      }
    }
  }
  if ((kinds & kArm64Branch) && (word & 0x7C000000) == 0x14000000 && word_branch(26, 0)) return true;
  if ((kinds & kAbsolute32) && word >= kMinAbsolute && layout_.source.may_hold(word)) {
    auto moved = map_vaddr(word);
    if (moved && *moved <= UINT32_MAX) {
      store_le32(pending_, static_cast<std::uint32_t>(*moved));
      pending_size_ = 4;
      return true;
    }
  }
  if ((kinds & kAbsolute64) && (source_start_ + at) % 8 == 0 && left >= 8 && load64(p) >= kMinAbsolute) {
    auto moved = map_vaddr(load64(p));
    if (moved) {
      store_le32(pending_, static_cast<std::uint32_t>(*moved));
      store_le32(pending_ + 4, static_cast<std::uint32_t>(*moved >> 32));
      pending_size_ = 8;
      return true;
    }
  }
  return false;
}

bool BlockPrediction::arm_plt_entry(std::uint64_t at, std::uint32_t word) {
  // ADD ip, pc, #a << 20; ADD ip, ip, #b << 12; LDR pc, [ip, #c]!: the GOT
  // slot is at the first instruction's address + 8 + (a << 20 | b << 12) + c.
  if (length_ - at < 12) return false;
  const std::uint32_t second = load_le32(block_ + at + 4), third = load_le32(block_ + at + 8);
  if (!is_arm_plt_entry(word, second, third)) return false;
  auto site = source_site(at);
  auto new_site = target_site(at);
  if (!site || !new_site) return false;
  const std::uint32_t offset = (word & 0xFF) << 20 | (second & 0xFF) << 12 | (third & 0xFFF);
  auto moved = map_vaddr(*site + 8 + offset);
  if (!moved || *moved < *new_site + 8) return false;
  const std::uint64_t new_offset = *moved - (*new_site + 8);
  if (new_offset >= (std::uint64_t{1} << 28)) return false;
  const auto fits = static_cast<std::uint32_t>(new_offset);
  store_le32(pending_, kArmPltFirst | fits >> 20);
  store_le32(pending_ + 4, kArmPltSecond | ((fits >> 12) & 0xFF));
  store_le32(pending_ + 8, kArmPltThird | (fits & 0xFFF));
  pending_size_ = 12;
  return true;
}

bool BlockPrediction::thumb_branch(std::uint64_t at, std::uint32_t word) {
  auto site = source_site(at);
  auto new_site = target_site(at);
  if (!site || !new_site) return false;
  // Offset S:I1:I2:imm10:imm11:0 with I = NOT(J XOR S), counted from the
  // instruction's address + 4; BLX counts from that rounded down to a word.
  const std::uint32_t first = word & 0xFFFF, second = word >> 16;
  const std::uint32_t s = (first >> 10) & 1, j1 = (second >> 13) & 1, j2 = (second >> 11) & 1;
  const std::uint32_t i1 = (j1 ^ s) ^ 1, i2 = (j2 ^ s) ^ 1;
  std::int64_t offset =
      static_cast<std::int64_t>(s << 24 | i1 << 23 | i2 << 22 | (first & 0x3FF) << 12 | (second & 0x7FF) << 1);
  if (s) offset -= std::int64_t{1} << 25;
  const bool to_arm = (second & 0x1000) == 0 && (second & 0x4000) != 0; // BLX
  const std::uint64_t pc = to_arm ? (*site + 4) & ~std::uint64_t{3} : *site + 4;
  const std::uint64_t new_pc = to_arm ? (*new_site + 4) & ~std::uint64_t{3} : *new_site + 4;
  auto moved = map_vaddr(pc + static_cast<std::uint64_t>(offset));
  if (!moved) return false;
  const auto delta = static_cast<std::int64_t>(*moved - new_pc);
  if (delta % (to_arm ? 4 : 2) != 0 || delta < -(std::int64_t{1} << 24) || delta >= (std::int64_t{1} << 24))
    return false;
  const auto d = static_cast<std::uint32_t>(delta);
  const std::uint32_t ns = (d >> 24) & 1, ni1 = (d >> 23) & 1, ni2 = (d >> 22) & 1;
  const std::uint32_t nj1 = (ni1 ^ ns) ^ 1, nj2 = (ni2 ^ ns) ^ 1;
  const std::uint32_t new_first = (first & 0xF800) | ns << 10 | ((d >> 12) & 0x3FF);
  const std::uint32_t new_second = (second & 0xD000) | nj1 << 13 | nj2 << 11 | ((d >> 1) & 0x7FF);
  store_le32(pending_, new_first | new_second << 16);
  pending_size_ = 4;
  return true;
}

bool BlockPrediction::take_literal(std::uint64_t at) {
  std::size_t passed = 0;
  while (passed < literals_.size() && literals_[passed].at < at)
    ++passed;
  literals_.erase(literals_.begin(), literals_.begin() + static_cast<std::ptrdiff_t>(passed));
  if (literals_.empty() || literals_.front().at != at) return false;
  store_le32(pending_, literals_.front().word);
  pending_size_ = 4;
  literals_.erase(literals_.begin());
  return true;
}

void BlockPrediction::note_literal_load(std::uint64_t at, std::uint32_t word) {
  const std::uint32_t first = word & 0xFFFF, second = word >> 16;
  unsigned rt = 0, size = 0;
  std::int64_t offset = 0;
  if ((first & 0xF800) == 0x4800) { // LDR Rt, [PC, #imm8 * 4]
    rt = (first >> 8) & 7;
    offset = static_cast<std::int64_t>(first & 0xFF) * 4;
    size = 2;
  } else if ((first & 0xFF7F) == 0xF85F) { // LDR.W Rt, [PC, #+/-imm12]
    rt = second >> 12;
    offset = (first & 0x80) ? static_cast<std::int64_t>(second & 0xFFF) : -static_cast<std::int64_t>(second & 0xFFF);
    size = 4;
  } else {
    return;
  }
  if (offset % 4 != 0) return; // literal words are word-aligned
  auto site = source_site(at);
  if (!site) return;
  const std::int64_t literal_at =
      static_cast<std::int64_t>(at) + static_cast<std::int64_t>(((*site + 4) & ~std::uint64_t{3}) - *site) + offset;
  if (literal_at < static_cast<std::int64_t>(at + size) || static_cast<std::uint64_t>(literal_at) + 4 > length_) return;
  // ADD Rt, PC (T2: 01000100 D 1111 Rdn, Rt = D:Rdn) within the next 8 halfwords.
  std::uint64_t anchor = at + size;
  for (;; anchor += 2) {
    if (anchor >= at + size + 16 || anchor + 2 > length_) return;
    const unsigned h = block_[anchor] | static_cast<unsigned>(block_[anchor + 1]) << 8;
    if ((h & 0xFF78) == 0x4478 && (((h >> 4) & 8) | (h & 7)) == rt) break;
  }
  auto anchor_site = source_site(anchor);
  auto new_anchor_site = target_site(anchor);
  if (!anchor_site || !new_anchor_site) return;
  const auto literal = static_cast<std::uint64_t>(literal_at);
  const std::uint32_t address = static_cast<std::uint32_t>(*anchor_site + 4) + load_le32(block_ + literal);
  auto moved = map_vaddr(address);
  if (!moved) return;
  const Literal entry{literal, static_cast<std::uint32_t>(*moved - (*new_anchor_site + 4))};
  auto it = std::lower_bound(literals_.begin(), literals_.end(), literal,
                             [](const Literal& l, std::uint64_t position) { return l.at < position; });
  if (it != literals_.end() && it->at == literal) return; // the first load of a word decides
  literals_.insert(it, entry);
}

void BlockPrediction::enter_run(std::uint64_t at) {
  // The run ends where the next executable segment begins or ends.
  const std::uint64_t offset = source_start_ + at;
  bool code = false;
  std::uint64_t end = source_start_ + length_;
  for (const Segment& s : layout_.source.segments()) {
    if (!s.executable) continue;
    if (offset >= s.offset && offset - s.offset < s.size) code = true;
    if (s.offset > offset) end = std::min(end, s.offset);
    if (s.offset + s.size > offset) end = std::min(end, s.offset + s.size);
  }
  kinds_ = code ? code_kinds_ : data_kinds_;
  run_end_ = end - source_start_;
}

std::uint64_t BlockPrediction::next_reference(std::uint64_t at, std::uint64_t stop) {
  while (at < stop) {
    if (at >= run_end_) enter_run(at);
    const std::uint64_t end = std::min(stop, run_end_);
    if (kinds_ != 0) {
      const std::uint64_t found = next_reference_in_run(at, end);
      if (found < end) return found;
    }
    at = end;
  }
  return stop;
}

std::uint64_t BlockPrediction::next_reference_in_run(std::uint64_t at, std::uint64_t stop) {
  // Everything the filter reads, in locals: the predictions change members.
  const KindSet kinds = kinds_;
  const std::uint8_t* const block = block_;
  const std::uint64_t length = length_, source_start = source_start_;
  const std::uint64_t regions_begin = regions_begin_, regions_end = regions_end_;
  // Words below kMinAbsolute are numbers, whatever the address space.
  const std::uint64_t low = std::max(layout_.source.vaddr_low(), kMinAbsolute), high = layout_.source.vaddr_high();
  const bool absolute32 = kinds & kAbsolute32, absolute64 = kinds & kAbsolute64;
  auto in_regions = [&](std::uint64_t i) { return i >= regions_begin && i < regions_end; };
  // At a 4-aligned source offset with 4 bytes left.
  auto may_be_absolute = [&](std::uint64_t i, std::uint32_t word) {
    if (absolute32 && word >= low && word < high) return true;
    if (!absolute64 || (source_start + i) % 8 != 0 || length - i < 8) return false;
    const std::uint64_t value = load64(block + i);
    return value >= low && value < high;
  };

  if (kinds & (kX86Relative | kX64RipRelative)) {
    // Instructions start at a handful of lead bytes, found by a tight scan;
    // the word kinds and regions are checked at the aligned positions before
    // each and at it (after the region, before the word kinds).
    const bool words = absolute32 || absolute64;
    const bool aligned_checks = words || regions_end > regions_begin;
    // At a 4-aligned source offset with 4 bytes left.
    auto region_at = [&](std::uint64_t i) { return in_regions(i) && relative_word(i); };
    auto absolute_at = [&](std::uint64_t i) {
      if (!words) return false;
      const std::uint32_t word = load_le32(block + i);
      return may_be_absolute(i, word) && predict_word(i, word);
    };
    while (at < stop) {
      // The first lead byte at or after `at` (the block's end when none),
      // remembered: the walk only moves forward.
      if (next_lead_ < at || next_lead_ == kUnknownLead) {
        next_lead_ = next_x86_shape(block, at, length, kinds);
      }
      const std::uint64_t lead = std::min(next_lead_, stop);
      if (aligned_checks) {
        for (std::uint64_t i = at + ((4 - ((source_start + at) & 3)) & 3); i < lead && length - i >= 4; i += 4) {
          if (region_at(i) || absolute_at(i)) return i;
        }
      }
      if (lead >= stop) return stop;
      const bool aligned = aligned_checks && ((source_start + lead) & 3) == 0 && length - lead >= 4;
      if ((aligned && region_at(lead)) || predict_x86(lead) || (aligned && absolute_at(lead))) return lead;
      at = lead + 1;
    }
    return stop;
  }

  // Thumb-2 instructions are halfword-aligned; the word kinds are checked at
  // word-aligned positions only.
  const bool thumb_branch = kinds & kThumbBranch, thumb_literal = kinds & kThumbLiteral;
  const bool arm32_branch = kinds & kArm32Branch, arm32_literal = kinds & kArm32Literal;
  const bool arm64_branch = kinds & kArm64Branch, arm_plt = kinds & kArmPltEntry;
  const std::uint64_t step = (thumb_branch || thumb_literal) ? 2 : 4;
  // At a 4-aligned source offset: may `word` be a reference of a word kind?
  auto word_candidate = [&](std::uint64_t i, std::uint32_t word) {
    const bool conditional = (word >> 28) != 0xF;
    return (arm32_branch && conditional && ((word >> 25) & 7) == 5) ||
           (arm32_literal && conditional && (word & 0x0E5F0000) == 0x041F0000) ||
           (arm64_branch && (word & 0x7C000000) == 0x14000000) ||
           (arm_plt && (word & kArmPltFirstMask) == kArmPltFirst) || may_be_absolute(i, word);
  };
  if (step == 4 && regions_end == regions_begin) {
    // The usual case, word kinds alone: the tightest loop.
    at += (4 - ((source_start + at) & 3)) & 3;
    for (; at < stop && length - at >= 4; at += 4) {
      const std::uint32_t word = load_le32(block + at);
      if (word_candidate(at, word) && predict_word(at, word)) return at;
    }
    return stop;
  }
  auto next_literal = [&] { return literals_.empty() ? UINT64_MAX : literals_.front().at; };
  std::uint64_t literal = next_literal();
  // The fast skip serves the Thumb set (word kinds other than absolute 32
  // are checked one by one).
  const bool skip =
      step == 2 && (kinds & ~KindSet{kThumbBranch | kThumbLiteral | kArmPltEntry | kAbsolute32 | kRelativeWords}) == 0;
  at += (step - ((source_start + at) & (step - 1))) & (step - 1); // step is 2 or 4
  for (; at < stop; at += step) {
    if (skip && ((source_start + at) & 3) == 0) {
      // Up to the next remembered literal, and never into a region.
      std::uint64_t end = std::min(stop, literal);
      if (at < regions_begin) end = std::min(end, regions_begin);
      if (in_regions(at)) end = at;
      at = next_thumb_candidate(block, at, end, length, thumb_literal, thumb_branch, arm_plt, absolute32, low, high);
      if (at >= stop) break;
    }
    if (length - at < 4) continue;
    const std::uint32_t word = load_le32(block + at);
    if (in_regions(at) && relative_word(at)) return at;
    if (thumb_literal) {
      if (literal <= at && take_literal(at)) return at;
      if ((word & 0xF800) == 0x4800 || (word & 0xFF7F) == 0xF85F) note_literal_load(at, word);
      literal = next_literal();
    }
    if (thumb_branch && is_thumb_branch(word) && this->thumb_branch(at, word)) return at;
    if ((source_start + at) % 4 == 0 && word_candidate(at, word) && predict_word(at, word)) return at;
  }
  return std::min(at, stop);
}

void BlockPrediction::fill(std::uint8_t* out, std::size_t count) {
  while (count > 0) {
    if (pending_used_ < pending_size_) {
      const std::size_t n = std::min<std::size_t>(count, pending_size_ - pending_used_);
      std::memcpy(out, pending_ + pending_used_, n);
      pending_used_ += static_cast<unsigned>(n);
      out += n;
      count -= n;
      continue;
    }
    pending_size_ = pending_used_ = 0;
    if (layout_.kinds == 0) {
      std::memcpy(out, block_ + position_, count);
      position_ += count;
      return;
    }
    // Copy plain bytes up to the next reference within this call's range.
    const std::uint64_t at = next_reference(position_, position_ + count);
    const std::size_t plain = static_cast<std::size_t>(at - position_);
    std::memcpy(out, block_ + position_, plain);
    out += plain;
    count -= plain;
    position_ = at;
    if (pending_size_ > 0) position_ += pending_size_; // the reference's bytes come from pending_
  }
}

} // namespace dfota::delta::native
