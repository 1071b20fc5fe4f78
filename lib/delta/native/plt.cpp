#include "delta/native/plt.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string_view>
#include <unordered_map>

namespace dfota::delta::native {

namespace {

constexpr std::uint32_t kShtNobits = 8;
constexpr std::uint32_t kRelaJumpSlot = 7; // R_X86_64_JUMP_SLOT
constexpr std::uint64_t kPltEntrySize = 16;
constexpr std::uint64_t kGotSlotSize = 8;
constexpr std::uint64_t kRelaSize = 24, kSymSize = 24, kSectionHeaderSize = 64;

struct Section {
  std::string_view name;
  std::uint32_t type = 0;
  std::uint64_t addr = 0, offset = 0, size = 0;
  std::uint32_t link = 0;
};

// One PLT entry: the symbol it calls, where it lies and where its GOT slot
// lies (file offsets).
struct PltEntry {
  std::string_view symbol;
  std::uint64_t entry = 0;
  std::uint64_t slot = 0;
};

bool inside(ByteSpan image, std::uint64_t offset, std::uint64_t size) {
  return offset <= image.size() && size <= image.size() - offset;
}

std::optional<std::vector<Section>> read_sections(ByteSpan image) {
  if (image.size() < 64 || std::memcmp(image.data(),
                                       "\x7F"
                                       "ELF",
                                       4) != 0)
    return std::nullopt;
  if (image[4] != 2 || image[5] != 1 || load_le(image, 18, 2) != 62) return std::nullopt; // ELF64, LE, x86-64
  const std::uint64_t shoff = load_le(image, 0x28, 8);
  const std::uint64_t shentsize = load_le(image, 0x3A, 2), shnum = load_le(image, 0x3C, 2);
  const std::uint64_t shstrndx = load_le(image, 0x3E, 2);
  if (shentsize < kSectionHeaderSize || shnum == 0 || shstrndx >= shnum || shoff > image.size() ||
      shnum > (image.size() - shoff) / shentsize)
    return std::nullopt;
  std::vector<Section> sections(shnum);
  std::vector<std::uint64_t> name_offsets(shnum);
  for (std::uint64_t i = 0; i < shnum; ++i) {
    const std::uint64_t at = shoff + i * shentsize;
    name_offsets[i] = load_le(image, at, 4);
    Section& s = sections[i];
    s.type = static_cast<std::uint32_t>(load_le(image, at + 4, 4));
    s.addr = load_le(image, at + 16, 8);
    s.offset = load_le(image, at + 24, 8);
    s.size = load_le(image, at + 32, 8);
    s.link = static_cast<std::uint32_t>(load_le(image, at + 40, 4));
  }
  const Section& names = sections[shstrndx];
  if (!inside(image, names.offset, names.size)) return std::nullopt;
  for (std::uint64_t i = 0; i < shnum; ++i) {
    if (name_offsets[i] >= names.size) continue;
    const char* start = reinterpret_cast<const char*>(image.data() + names.offset + name_offsets[i]);
    sections[i].name = std::string_view(start, strnlen(start, names.size - name_offsets[i]));
  }
  return sections;
}

const Section* find(const std::vector<Section>& sections, std::string_view name) {
  for (const Section& s : sections)
    if (s.name == name) return &s;
  return nullptr;
}

// The file offset of load address `addr`, through the section holding it.
std::optional<std::uint64_t> offset_of(const std::vector<Section>& sections, std::uint64_t addr) {
  for (const Section& s : sections) {
    if (s.type != kShtNobits && s.addr != 0 && addr >= s.addr && addr - s.addr < s.size)
      return s.offset + (addr - s.addr);
  }
  return std::nullopt;
}

// The PLT entries of `image` in .rela.plt order, or nullopt when the image
// is not of the shape plt_copies_by_symbol() names.
std::optional<std::vector<PltEntry>> plt_entries(ByteSpan image) {
  auto sections = read_sections(image);
  if (!sections) return std::nullopt;
  const Section* rela = find(*sections, ".rela.plt");
  const Section* plt = find(*sections, ".plt");
  if (rela == nullptr || plt == nullptr || rela->link >= sections->size()) return std::nullopt;
  const Section& symbols = (*sections)[rela->link];
  if (symbols.link >= sections->size()) return std::nullopt;
  const Section& strings = (*sections)[symbols.link];
  for (const Section* s : {rela, plt, &symbols, &strings}) {
    if (s->type == kShtNobits || !inside(image, s->offset, s->size)) return std::nullopt;
  }
  const std::uint64_t count = rela->size / kRelaSize;
  if (count == 0 || plt->size / kPltEntrySize < count + 1) return std::nullopt;
  std::vector<PltEntry> entries;
  entries.reserve(count);
  for (std::uint64_t k = 0; k < count; ++k) {
    const std::uint64_t at = rela->offset + k * kRelaSize;
    const std::uint64_t slot_addr = load_le(image, at, 8), info = load_le(image, at + 8, 8);
    const std::uint64_t entry = plt->offset + (k + 1) * kPltEntrySize;
    const std::uint8_t* p = image.data() + entry;
    if ((info & 0xFFFFFFFF) != kRelaJumpSlot || p[0] != 0xFF || p[1] != 0x25 || p[6] != 0x68 ||
        load_le(image, entry + 7, 4) != k || p[11] != 0xE9)
      return std::nullopt;
    const std::uint64_t symbol = info >> 32;
    if (symbol >= symbols.size / kSymSize) return std::nullopt;
    const std::uint64_t name = load_le(image, symbols.offset + symbol * kSymSize, 4);
    auto slot = offset_of(*sections, slot_addr);
    if (name >= strings.size || !slot || !inside(image, *slot, kGotSlotSize)) return std::nullopt;
    const char* start = reinterpret_cast<const char*>(image.data() + strings.offset + name);
    entries.push_back({std::string_view(start, strnlen(start, strings.size - name)), entry, *slot});
  }
  return entries;
}

// Appends a copy, joined to the last one when it continues it.
void append(std::vector<CopyBlock>& blocks, std::uint64_t target_start, std::uint64_t source_start,
            std::uint64_t length) {
  if (!blocks.empty()) {
    CopyBlock& last = blocks.back();
    if (last.target_start + last.length == target_start && last.source_start + last.length == source_start) {
      last.length += length;
      return;
    }
  }
  blocks.push_back({target_start, source_start, length});
}

} // namespace

std::vector<CopyBlock> plt_copies_by_symbol(ByteSpan source, ByteSpan target) {
  auto from = plt_entries(source);
  auto to = plt_entries(target);
  if (!from || !to) return {};
  std::unordered_map<std::string_view, const PltEntry*> by_name;
  for (const PltEntry& e : *from)
    by_name.emplace(e.symbol, &e); // the first entry of a name decides
  std::vector<CopyBlock> entries, slots;
  for (const PltEntry& e : *to) {
    auto found = by_name.find(e.symbol);
    if (e.symbol.empty() || found == by_name.end()) continue;
    append(entries, e.entry, found->second->entry, kPltEntrySize);
    append(slots, e.slot, found->second->slot, kGotSlotSize);
  }
  std::vector<CopyBlock> blocks = std::move(entries);
  blocks.insert(blocks.end(), slots.begin(), slots.end());
  std::sort(blocks.begin(), blocks.end(),
            [](const CopyBlock& a, const CopyBlock& b) { return a.target_start < b.target_start; });
  // Keep them disjoint: a copy that overlaps the one before is dropped.
  std::vector<CopyBlock> disjoint;
  for (const CopyBlock& b : blocks) {
    if (!disjoint.empty() && b.target_start < disjoint.back().target_start + disjoint.back().length) continue;
    disjoint.push_back(b);
  }
  return disjoint;
}

} // namespace dfota::delta::native
