#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>

#include "delta/engine.hpp"
#include "delta/native/control.hpp"
#include "delta/native/plt.hpp"
#include "support/test_support.hpp"

namespace dfota::delta::native {
namespace {

void put(Bytes& b, std::uint64_t at, std::uint64_t v, unsigned size) {
  for (unsigned i = 0; i < size; ++i)
    b[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

// Where the synthetic image keeps its tables (file offsets, loaded at the
// same addresses): fixed, so that a longer import list moves nothing else.
constexpr std::uint64_t kDynstr = 0x100, kDynsym = 0x400, kRela = 0x800, kPlt = 0x1000, kText = 0x2000, kGot = 0x10000,
                        kShstrtab = 0x10400, kSectionHeaders = 0x10500;

// A little-endian x86-64 ELF with one PT_LOAD over the whole file at 0: a
// lazy PLT for `imports` (in .rela.plt and .dynsym order) and its GOT, and
// a .text of one call every 8 bytes, call i to the PLT entry of
// `callees[i]`. `rela_name` names the relocation section (another name hides
// the PLT's symbols).
Bytes x64_with_plt(const std::vector<std::string>& imports, const std::vector<std::string>& callees,
                   const char* rela_name = ".rela.plt") {
  Bytes image(kSectionHeaders + 9 * 64, 0);
  const std::uint8_t ident[] = {0x7F, 'E', 'L', 'F', 2, 1, 1};
  std::memcpy(image.data(), ident, sizeof ident);
  put(image, 16, 3, 2);  // ET_DYN
  put(image, 18, 62, 2); // EM_X86_64
  put(image, 32, 64, 8); // e_phoff
  put(image, 0x28, kSectionHeaders, 8);
  put(image, 54, 56, 2); // e_phentsize
  put(image, 56, 1, 2);  // e_phnum
  put(image, 0x3A, 64, 2);
  put(image, 0x3C, 9, 2); // e_shnum
  put(image, 0x3E, 1, 2); // e_shstrndx
  put(image, 64, 1, 4);   // PT_LOAD
  put(image, 68, 5, 4);   // p_flags: R, X
  put(image, 64 + 32, image.size(), 8);
  put(image, 64 + 40, image.size(), 8);

  std::uint64_t name_at = 1;
  for (std::size_t k = 0; k < imports.size(); ++k) {
    std::memcpy(image.data() + kDynstr + name_at, imports[k].data(), imports[k].size());
    put(image, kDynsym + 24 * (k + 1), name_at, 4);
    image[kDynsym + 24 * (k + 1) + 4] = 0x12; // GLOBAL FUNC
    name_at += imports[k].size() + 1;
    const std::uint64_t entry = kPlt + 16 * (k + 1), slot = kGot + 8 * (k + 3);
    put(image, kRela + 24 * k, slot, 8);
    put(image, kRela + 24 * k + 8, (std::uint64_t{k + 1} << 32) | 7, 8);
    image[entry] = 0xFF, image[entry + 1] = 0x25;
    put(image, entry + 2, slot - (entry + 6), 4);
    image[entry + 6] = 0x68;
    put(image, entry + 7, k, 4);
    image[entry + 11] = 0xE9;
    put(image, entry + 12, kPlt - (entry + 16), 4);
    put(image, slot, entry + 6, 8);
  }
  for (std::size_t i = 0; i < callees.size(); ++i) {
    const auto k = static_cast<std::uint64_t>(std::find(imports.begin(), imports.end(), callees[i]) - imports.begin());
    const std::uint64_t site = kText + 8 * i;
    image[site] = 0xE8;
    put(image, site + 1, kPlt + 16 * (k + 1) - (site + 5), 4);
    image[site + 5] = static_cast<std::uint8_t>(i * 7);
  }
  // .shstrtab and the section headers: null, .shstrtab, .dynstr, .dynsym,
  // rela_name, .plt, .text, .got, an empty one.
  const std::string names =
      std::string("\0.shstrtab\0.dynstr\0.dynsym\0", 27) + rela_name + '\0' + std::string(".plt\0.text\0.got\0", 16);
  std::memcpy(image.data() + kShstrtab, names.data(), names.size());
  struct Header {
    std::uint64_t name, type, addr, size, link;
  };
  const std::uint64_t rela_at = 27, plt_name = rela_at + std::strlen(rela_name) + 1;
  const Header headers[] = {
      {0, 0, 0, 0, 0},
      {1, 3, kShstrtab, names.size(), 0},
      {11, 3, kDynstr, 0x300, 0},
      {19, 11, kDynsym, 24 * (imports.size() + 1), 2},
      {rela_at, 4, kRela, 24 * imports.size(), 3},
      {plt_name, 1, kPlt, 16 * (imports.size() + 1), 0},
      {plt_name + 5, 1, kText, 8 * callees.size(), 0},
      {plt_name + 11, 1, kGot, 8 * (imports.size() + 3), 0},
      {0, 0, 0, 0, 0},
  };
  for (std::size_t i = 0; i < 9; ++i) {
    const std::uint64_t at = kSectionHeaders + 64 * i;
    put(image, at, headers[i].name, 4);
    put(image, at + 4, headers[i].type, 4);
    put(image, at + 16, headers[i].addr, 8);
    put(image, at + 24, headers[i].addr, 8); // offset = address
    put(image, at + 32, headers[i].size, 8);
    put(image, at + 40, headers[i].link, 4);
  }
  return image;
}

std::vector<std::string> functions(int count) {
  std::vector<std::string> names;
  for (int i = 0; i < count; ++i)
    names.push_back("function_" + std::to_string(i));
  return names;
}

TEST(PltCopies, FollowEachSymbolToItsNewEntryAndSlot) {
  const std::vector<std::string> old_imports = functions(10);
  std::vector<std::string> new_imports = old_imports;
  new_imports.insert(new_imports.begin() + 1, "inserted");
  const Bytes source = x64_with_plt(old_imports, {}), target = x64_with_plt(new_imports, {});
  const std::vector<CopyBlock> copies = plt_copies_by_symbol(source, target);
  // Entry 0 stays; entries 1..9 moved one entry on, as one copy; the same
  // for their GOT slots.
  ASSERT_EQ(copies.size(), 4u);
  auto is = [](const CopyBlock& c, std::uint64_t target_start, std::uint64_t source_start, std::uint64_t length) {
    return c.target_start == target_start && c.source_start == source_start && c.length == length;
  };
  EXPECT_TRUE(is(copies[0], kPlt + 16, kPlt + 16, 16));
  EXPECT_TRUE(is(copies[1], kPlt + 48, kPlt + 32, 9 * 16));
  EXPECT_TRUE(is(copies[2], kGot + 24, kGot + 24, 8));
  EXPECT_TRUE(is(copies[3], kGot + 40, kGot + 32, 9 * 8));
}

TEST(PltCopies, NoneForImagesOfAnotherShape) {
  const std::vector<std::string> imports = functions(4);
  const Bytes good = x64_with_plt(imports, {});
  EXPECT_FALSE(plt_copies_by_symbol(good, good).empty());
  // An entry that does not push its own index (not a lazy PLT of this shape).
  Bytes wrong_index = good;
  put(wrong_index, kPlt + 16 * 3 + 7, 9, 4);
  EXPECT_TRUE(plt_copies_by_symbol(good, wrong_index).empty());
  // No .rela.plt, another machine, a cut image, no ELF at all.
  EXPECT_TRUE(plt_copies_by_symbol(good, x64_with_plt(imports, {}, ".rela.xyz")).empty());
  Bytes arm = good;
  put(arm, 18, 40, 2);
  EXPECT_TRUE(plt_copies_by_symbol(arm, good).empty());
  EXPECT_TRUE(plt_copies_by_symbol(good, Bytes(good.begin(), good.begin() + kText)).empty());
  EXPECT_TRUE(plt_copies_by_symbol(good, test::random_bytes(5000, 1)).empty());
  // Section headers that point outside the image.
  Bytes outside = good;
  put(outside, kSectionHeaders + 64 * 5 + 24, 1u << 30, 8);
  EXPECT_TRUE(plt_copies_by_symbol(good, outside).empty());
}

// Images are the user's: damaged tables give no copies or copies inside
// both images, sorted and disjoint, never a read outside them.
TEST(PltCopies, DamagedImagesGiveCopiesInsideBothImagesOrNone) {
  const std::vector<std::string> imports = functions(12);
  std::vector<std::string> grown = imports;
  grown.insert(grown.begin() + 5, "inserted");
  const Bytes source = x64_with_plt(imports, {"function_1", "function_7"});
  const Bytes target = x64_with_plt(grown, {"function_1", "function_7"});
  // The bytes that steer the parse: ELF header, dynamic strings and
  // symbols, relocations, PLT entries, section names and headers.
  const std::vector<std::pair<std::uint64_t, std::uint64_t>> fields{
      {0, 64},      {kDynstr, 0x100}, {kDynsym, 0x140},         {kRela, 0x140},
      {kPlt, 0xE0}, {kShstrtab, 64},  {kSectionHeaders, 9 * 64}};
  std::mt19937 rng(11);
  for (int round = 0; round < 3000; ++round) {
    Bytes damaged = target;
    for (int n = 1 + static_cast<int>(rng() % 4); n > 0; --n) {
      const auto& [start, size] = fields[rng() % fields.size()];
      const std::uint64_t at = start + rng() % size;
      damaged[at] = (rng() % 4 == 0) ? 0xFF : static_cast<std::uint8_t>(rng());
    }
    if (rng() % 8 == 0) damaged.resize(rng() % damaged.size());
    const std::vector<CopyBlock> copies = plt_copies_by_symbol(source, damaged);
    std::uint64_t end = 0;
    for (const CopyBlock& c : copies) {
      ASSERT_GT(c.length, 0u);
      ASSERT_GE(c.target_start, end) << "round " << round;
      ASSERT_LE(c.target_start + c.length, damaged.size()) << "round " << round;
      ASSERT_LE(c.source_start + c.length, source.size()) << "round " << round;
      end = c.target_start + c.length;
    }
  }
}

TEST(OverlayCopies, ReplacesWhatItCoversAndKeepsTheRest) {
  // target[0, 100) copied from source 1000, literal [100, 120), target
  // [120, 200) copied from source 3000.
  const std::vector<ControlEntry> program{{1000, 100, 20}, {3000 - 1100, 80, 0}};
  // Over it: target [50, 60) from source 500 and [110, 130) from 2000.
  const std::vector<CopyBlock> copies{{50, 500, 10}, {110, 2000, 20}};
  auto result = overlay_copies(program, copies);
  ASSERT_TRUE(result);
  std::vector<std::tuple<std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t>>
      placed; // target, source, copy, literal
  (void)for_each_placed(*result, [&](const PlacedEntry& p) -> Status {
    placed.emplace_back(p.target_start, p.source_start, p.entry.copy, p.entry.literal);
    return {};
  });
  const decltype(placed) expected{
      {0, 1000, 50, 0}, {50, 500, 10, 0}, {60, 1060, 40, 10}, {110, 2000, 20, 0}, {130, 3010, 70, 0}};
  EXPECT_EQ(placed, expected);
  // Nothing to lay over: the same program.
  auto same = overlay_copies(program, {});
  ASSERT_TRUE(same);
  ASSERT_EQ(same->size(), program.size());
  for (std::size_t i = 0; i < program.size(); ++i) {
    EXPECT_EQ((*same)[i].seek, program[i].seek);
    EXPECT_EQ((*same)[i].copy, program[i].copy);
    EXPECT_EQ((*same)[i].literal, program[i].literal);
  }
}

// A release that imports one function more: every later PLT entry moved,
// and the code calls them. With the PLT's symbols readable, the calls are
// predicted and the payload is a fraction of what it is without.
TEST(PltCopies, MakeThePayloadOfAGrownPltSmall) {
  const std::vector<std::string> old_imports = functions(40);
  std::vector<std::string> new_imports = old_imports;
  new_imports.insert(new_imports.begin() + 3, "inserted");
  std::mt19937 rng(5);
  std::vector<std::string> callees;
  for (int i = 0; i < 4000; ++i)
    callees.push_back(old_imports[rng() % old_imports.size()]);
  const Bytes source = x64_with_plt(old_imports, callees);
  const Bytes target = x64_with_plt(new_imports, callees);
  const Bytes hidden = x64_with_plt(new_imports, callees, ".rela.xyz");
  const Engine* native = find_engine("native");
  auto encode = [&](const Bytes& to) {
    VectorWriter payload;
    EXPECT_TRUE(native->diff(source, to, payload));
    SpanReader reader(payload.bytes());
    VectorWriter out;
    EXPECT_TRUE(native->apply(source, reader, out, to.size()));
    EXPECT_EQ(out.bytes(), to);
    return payload.bytes().size();
  };
  const std::size_t aligned = encode(target), unaligned = encode(hidden);
  EXPECT_LT(aligned * 2, unaligned) << aligned << " bytes against " << unaligned;
}

} // namespace
} // namespace dfota::delta::native
