// A lazy-binding x86-64 PLT kept aligned by symbol. Entry k of the PLT
// (after PLT0) jumps through GOT slot k and pushes k; when a release imports
// one more function, every later entry sits 16 bytes further on. The
// entries' raw bytes line up better unshifted (each pushes its own index),
// so the matcher copies the PLT unshifted, and the offset map then sends
// every call of a later entry to its neighbour's: every such call in the
// code is mispredicted. Reading the two images' .rela.plt and their dynamic
// symbols tells which entry became which; copies made from that put the
// offset map right. The payload format is untouched: these are ordinary
// copies.
#pragma once

#include <vector>

#include "core/bytes.hpp"
#include "delta/native/matcher.hpp"

namespace dfota::delta::native {

// For two little-endian x86-64 ELF images with a .rela.plt (of
// R_X86_64_JUMP_SLOT entries), a lazy .plt of 16-byte entries after PLT0
// (FF 25 jmp, 68 push of the entry's index, E9 jmp) and the dynamic symbols
// those entries name: a copy of each target PLT entry and of its GOT slot
// from the source's entry and slot of the symbol of the same name, copies
// that continue one another joined. Sorted by target start, disjoint, inside
// both images. Empty for other images, or when a table is missing, out of
// bounds or not of that shape.
std::vector<CopyBlock> plt_copies_by_symbol(ByteSpan source, ByteSpan target);

} // namespace dfota::delta::native
