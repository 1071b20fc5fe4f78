// Finding code in an image that does not say what it holds: a raw memory
// image (`objcopy -O binary`, most MCU and module firmware) has no ELF
// header, so neither its instruction set nor where its code lies is stated.
// The guess looks for calls: in code, many call sites reach the same
// function (a target inside the image that two or more sites share), while
// the same bit patterns in data or in another instruction set reach
// scattered places, mostly outside the image.
//
// A pure function of the bytes: the encoder guesses, and what it keeps is
// stated in the payload (formats/native-delta.md), so the decoder never
// guesses.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "core/bytes.hpp"
#include "delta/native/references.hpp"

namespace dfota::delta::native {

enum class InstructionSet : std::uint8_t { thumb2, a32, a64, x86_64 };
inline constexpr std::array<InstructionSet, 4> kInstructionSets = {InstructionSet::thumb2, InstructionSet::a32,
                                                                   InstructionSet::a64, InstructionSet::x86_64};

// The offsets, in order, of the call sites of `set` in `image` whose target
// lies inside the image and is shared with at least one other call site.
std::vector<std::uint64_t> shared_call_sites(ByteSpan image, InstructionSet set);

// The reference kinds that find `set`'s branches (and the literal words its
// code loads): the code kinds of the ELF machine it belongs to.
KindSet code_kinds_of(InstructionSet set);

// At least this many shared call sites, and one per kMinSiteDensity bytes,
// make a region code.
inline constexpr std::uint64_t kMinSharedSites = 32;
inline constexpr std::uint64_t kMinSiteDensity = 2048;

struct InstructionSetGuess {
  InstructionSet set = InstructionSet::thumb2;
  std::vector<std::uint64_t> sites; // shared_call_sites()
};
// The sets whose shared call sites make the image code, most sites first.
// Empty for data.
std::vector<InstructionSetGuess> guess_instruction_sets(ByteSpan image);

// The whole image cut into segments loaded at their file offsets (so that
// an address is an offset, as without segments), executable where windows
// of kCodeWindow bytes hold `sites` (shared_call_sites()) at the code
// density; the window doubles until at most kMaxSegments runs remain. The
// segments only mark where code lies (Layout::code_by_segment). Empty for an
// empty image.
inline constexpr std::uint64_t kCodeWindow = 64 * 1024;
std::vector<Segment> code_segments(std::uint64_t image_size, const std::vector<std::uint64_t>& sites);

} // namespace dfota::delta::native
