// How this process's allocator hands memory back to the system.
#pragma once

#include <cstdlib> // defines __GLIBC__ on glibc

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DFOTA_SANITIZER_ALLOCATOR 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define DFOTA_SANITIZER_ALLOCATOR 1
#endif

namespace dfota {

// Whether malloc is glibc's own in this build (not AddressSanitizer's, not
// another libc's): map_large_blocks_apart() acts only then.
#if defined(__GLIBC__) && !defined(DFOTA_SANITIZER_ALLOCATOR)
inline constexpr bool kGlibcAllocator = true;
#else
inline constexpr bool kGlibcAllocator = false;
#endif

// Makes every allocation of 1 MiB or more a mapping of its own, returned to
// the system as soon as it is freed. glibc otherwise raises that threshold
// each time a large mapped block is freed and serves the next large blocks
// from its heap, where freed memory stays resident: the native engine's
// build frees and allocates tens of megabytes in turn (the suffix array,
// the programs, the streams, the LZMA2 encoders), and on the 50 MB rspack
// pair its peak held 52 MB of freed memory (372 MiB against 320 MiB). A
// process-wide setting, so the programs call it, first thing in main(),
// before any thread starts; the library does not. False where the
// allocator does not take it (kGlibcAllocator false, or glibc refused).
bool map_large_blocks_apart();

} // namespace dfota
