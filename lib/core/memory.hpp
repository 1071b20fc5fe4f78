// How this process's allocator hands memory back to the system.
#pragma once

namespace dfota {

// Makes every allocation of 1 MiB or more a mapping of its own, returned to
// the system as soon as it is freed. glibc otherwise raises that threshold
// each time a large mapped block is freed and serves the next large blocks
// from its heap, where freed memory stays resident: the native engine's
// build frees and allocates tens of megabytes in turn (the suffix array,
// the programs, the streams, the LZMA2 encoders), and on the 50 MB rspack
// pair its peak held 52 MB of freed memory (372 MiB against 320 MiB). A
// process-wide setting, so the programs call it, first thing in main(),
// before any thread starts; the library does not. False where the
// allocator does not take it (a sanitizer's allocator, another libc).
bool map_large_blocks_apart();

} // namespace dfota
