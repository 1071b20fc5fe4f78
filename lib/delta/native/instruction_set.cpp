#include "delta/native/instruction_set.hpp"

#include <algorithm>
#include <utility>

namespace dfota::delta::native {
namespace {

// A call site and the image offset it reaches.
struct Call {
  std::uint64_t site;
  std::uint64_t target;
};

// Appends the call at `site` when `target` (site-relative arithmetic done by
// the caller, possibly wrapped) lies inside an image of `size` bytes.
void add_call(std::vector<Call>& calls, std::uint64_t site, std::int64_t target, std::uint64_t size) {
  if (target >= 0 && static_cast<std::uint64_t>(target) < size)
    calls.push_back({site, static_cast<std::uint64_t>(target)});
}

std::int64_t sign_extend(std::uint64_t value, unsigned bits) {
  const std::uint64_t sign = std::uint64_t{1} << (bits - 1);
  return static_cast<std::int64_t>((value ^ sign) - sign);
}

std::vector<Call> calls_of(ByteSpan image, InstructionSet set) {
  std::vector<Call> calls;
  const std::uint8_t* p = image.data();
  const std::uint64_t size = image.size();
  if (size < 8) return calls;
  const auto at = [&](std::uint64_t i) { return static_cast<std::int64_t>(i); };
  switch (set) {
  case InstructionSet::thumb2:
    // BL: 11110 S imm10, 11 J1 1 J2 imm11; offset from the site + 4.
    for (std::uint64_t i = 0; i + 4 <= size; i += 2) {
      const std::uint32_t word = load_le32(p + i);
      if ((word & 0xD000F800) != 0xD000F000) continue;
      const std::uint32_t first = word & 0xFFFF, second = word >> 16;
      const std::uint32_t s = (first >> 10) & 1, j1 = (second >> 13) & 1, j2 = (second >> 11) & 1;
      const std::uint32_t i1 = (j1 ^ s) ^ 1, i2 = (j2 ^ s) ^ 1;
      const std::uint64_t offset = s << 24 | i1 << 23 | i2 << 22 | (first & 0x3FF) << 12 | (second & 0x7FF) << 1;
      add_call(calls, i, at(i) + 4 + sign_extend(offset, 25), size);
      i += 2; // the second halfword is not a site
    }
    break;
  case InstructionSet::a32:
    // BL (condition always): 1110 1011 imm24; words from the site + 8.
    for (std::uint64_t i = 0; i + 4 <= size; i += 4) {
      const std::uint32_t word = load_le32(p + i);
      if ((word & 0xFF000000) == 0xEB000000) add_call(calls, i, at(i) + 8 + 4 * sign_extend(word & 0xFFFFFF, 24), size);
    }
    break;
  case InstructionSet::a64:
    // BL: 100101 imm26; words from the site.
    for (std::uint64_t i = 0; i + 4 <= size; i += 4) {
      const std::uint32_t word = load_le32(p + i);
      if ((word & 0xFC000000) == 0x94000000) add_call(calls, i, at(i) + 4 * sign_extend(word & 0x3FFFFFF, 26), size);
    }
    break;
  case InstructionSet::x86_64:
    // CALL rel32: E8 and a displacement from the next instruction.
    for (std::uint64_t i = 0; i + 5 <= size; ++i) {
      if (p[i] == 0xE8) add_call(calls, i, at(i) + 5 + sign_extend(load_le32(p + i + 1), 32), size);
    }
    break;
  }
  return calls;
}

} // namespace

std::vector<std::uint64_t> shared_call_sites(ByteSpan image, InstructionSet set) {
  const std::vector<Call> calls = calls_of(image, set);
  std::vector<std::uint64_t> targets(calls.size());
  std::transform(calls.begin(), calls.end(), targets.begin(), [](const Call& c) { return c.target; });
  std::sort(targets.begin(), targets.end());
  const auto shared = [&](std::uint64_t target) {
    const auto [first, last] = std::equal_range(targets.begin(), targets.end(), target);
    return last - first >= 2;
  };
  std::vector<std::uint64_t> sites;
  for (const Call& c : calls) // calls_of() walks in order
    if (shared(c.target)) sites.push_back(c.site);
  return sites;
}

KindSet code_kinds_of(InstructionSet set) {
  switch (set) {
  case InstructionSet::thumb2: return kThumbBranch | kThumbLiteral;
  case InstructionSet::a32: return kArm32Branch | kArm32Literal;
  case InstructionSet::a64: return kArm64Branch;
  case InstructionSet::x86_64: return kX86Relative | kX64RipRelative;
  }
  return 0;
}

std::vector<InstructionSetGuess> guess_instruction_sets(ByteSpan image) {
  std::vector<InstructionSetGuess> guesses;
  for (const InstructionSet set : kInstructionSets) {
    std::vector<std::uint64_t> sites = shared_call_sites(image, set);
    if (sites.size() >= kMinSharedSites && sites.size() * kMinSiteDensity >= image.size())
      guesses.push_back({set, std::move(sites)});
  }
  std::stable_sort(guesses.begin(), guesses.end(), [](const InstructionSetGuess& a, const InstructionSetGuess& b) {
    return a.sites.size() > b.sites.size();
  });
  return guesses;
}

std::vector<Segment> code_segments(std::uint64_t image_size, const std::vector<std::uint64_t>& sites) {
  if (image_size == 0) return {};
  for (std::uint64_t window = kCodeWindow;; window *= 2) {
    std::vector<Segment> runs;
    auto site = sites.begin();
    for (std::uint64_t start = 0; start < image_size; start += window) {
      const std::uint64_t end = std::min(image_size, start + window);
      std::uint64_t count = 0;
      for (; site != sites.end() && *site < end; ++site)
        ++count;
      const bool code = count * kMinSiteDensity >= end - start;
      if (!runs.empty() && runs.back().executable == code) {
        runs.back().size = end - runs.back().offset;
      } else {
        runs.push_back({start, start, end - start, code});
      }
    }
    if (runs.size() <= kMaxSegments) return runs;
  }
}

} // namespace dfota::delta::native
