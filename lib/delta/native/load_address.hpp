// The load address of a raw image, found from what its copies carry
// changed. A raw image (no ELF header) does not say where it is loaded, yet
// its pointers hold load addresses: without one, absolute words cannot be
// predicted. Once the matcher has said where the source's regions went in
// the target (the offset map), a pointer word v that a copy carries as v'
// tells something: for the right base B, the region at offset v - B moved
// by exactly v' - v. Each such word votes for the bases that explain it;
// the base most words agree on wins.
//
// Encoder only: the base goes into the payload as the segments' addresses
// (formats/native-delta.md, "Raw images"), so the decoder never guesses.
#pragma once

#include <cstdint>
#include <optional>

#include "core/bytes.hpp"
#include "delta/native/references.hpp"

namespace dfota::delta::native {

// At least this many changed words, and this share of them (1/n), must
// agree on a base.
inline constexpr std::uint64_t kMinAgreeingWords = 32;
inline constexpr std::uint64_t kAgreeingShare = 32;
// Words whose value changed by more than this are not pointers that moved.
inline constexpr std::uint64_t kMaxPointerShift = std::uint64_t{1} << 24;

// The base B explaining the most changed `word_size`-byte (4 or 8) aligned
// little-endian words of the copies in `map` (source -> target), taken as
// addresses B + offset; among bases explaining as many, the most aligned.
// nullopt when too few words agree.
std::optional<std::uint64_t> guess_load_address(ByteSpan source, ByteSpan target, const OffsetMap& map,
                                                unsigned word_size);

// `layout` (a raw_layout() guess: segments at their file offsets) loaded at
// `base`: its segments moved there, and the absolute kind of `word_size`
// added to its kinds.
void load_at(Layout& layout, std::uint64_t base, unsigned word_size);

} // namespace dfota::delta::native
