#include <gtest/gtest.h>

#include <cstdlib>
#include <malloc.h>

#include "core/memory.hpp"

namespace dfota {
namespace {

// Bytes the allocator holds in mappings of their own.
std::size_t mapped_bytes() { return mallinfo2().hblkhd; }

TEST(MapLargeBlocksApart, AMegabyteBlockIsAMappingOfItsOwnEvenAfterLargerOnesWereFreed) {
#if defined(__SANITIZE_ADDRESS__) || !defined(__GLIBC__)
  GTEST_SKIP() << "the allocator is not glibc's";
#else
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
