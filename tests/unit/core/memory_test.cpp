#include <gtest/gtest.h>

#include <cstdlib>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "core/memory.hpp"

namespace dfota {
namespace {

#if defined(__GLIBC__) && !defined(DFOTA_SANITIZER_ALLOCATOR)
// Bytes the allocator holds in mappings of their own.
std::size_t mapped_bytes() { return mallinfo2().hblkhd; }
#endif

TEST(MapLargeBlocksApart, AMegabyteBlockIsAMappingOfItsOwnEvenAfterLargerOnesWereFreed) {
#if !defined(__GLIBC__) || defined(DFOTA_SANITIZER_ALLOCATOR)
  static_assert(!kGlibcAllocator);
  EXPECT_FALSE(map_large_blocks_apart());
  GTEST_SKIP() << "the allocator is not glibc's";
#else
  static_assert(kGlibcAllocator);
  // Freeing a 16 MiB mapped block makes glibc serve blocks up to that size
  // from its heap afterwards, unless the threshold is set.
  void* large = std::malloc(16u << 20);
  ASSERT_NE(large, nullptr);
  std::free(large);
  ASSERT_TRUE(map_large_blocks_apart());
  const std::size_t before = mapped_bytes();
  void* block = std::malloc(2u << 20);
  ASSERT_NE(block, nullptr);
  EXPECT_GE(mapped_bytes(), before + (2u << 20));
  std::free(block);
  EXPECT_EQ(mapped_bytes(), before);
#endif
}

} // namespace
} // namespace dfota
