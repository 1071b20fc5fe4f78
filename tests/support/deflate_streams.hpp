// Deflate streams made with zlib for tests and fuzz seeds: raw, zlib and
// gzip wrappers at any level and strategy, a zip holding one deflated
// entry, and sample content that compresses like real text.
#pragma once

#include <string>

#include "core/bytes.hpp"

namespace dfota::test {

enum class Strategy { normal, filtered, huffman_only, rle, fixed };

// `lines` lines of made-up log text; `seed` varies the numbers in it.
Bytes sample_text(std::size_t lines, unsigned seed);
// A raw deflate stream (no wrapper) of `content` at zlib `level` (0..9).
Bytes raw_deflate(ByteSpan content, int level, Strategy strategy = Strategy::normal, int mem_level = 8);
Bytes zlib(ByteSpan content, int level);
Bytes raw_deflate_in_zlib(ByteSpan content, int level, Strategy strategy);
// A gzip member (no name, time 0) of `content`.
Bytes gzip(ByteSpan content, int level);
// A zip archive holding `content` deflated as `name`.
Bytes zip_with_entry(const std::string& name, ByteSpan content);
// The expanded form of the first deflate stream found in `image`.
Bytes expanded_form_of(ByteSpan image);

} // namespace dfota::test
