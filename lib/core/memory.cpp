#include "core/memory.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace dfota {

bool map_large_blocks_apart() {
  if constexpr (kGlibcAllocator) {
    // Setting the threshold also stops glibc from moving it.
    constexpr int kLargeBlock = 1 << 20;
    return mallopt(M_MMAP_THRESHOLD, kLargeBlock) == 1;
  }
  return false;
}

} // namespace dfota
