#include "core/memory.hpp"

#include <malloc.h>

namespace dfota {

bool map_large_blocks_apart() {
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
  // Setting the threshold also stops glibc from moving it.
  constexpr int kLargeBlock = 1 << 20;
  return mallopt(M_MMAP_THRESHOLD, kLargeBlock) == 1;
#else
  return false;
#endif
}

} // namespace dfota
