#include "common/allocator.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#ifdef HEALTHGAP_WITH_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

namespace healthgap::allocator {
namespace {

#ifdef HEALTHGAP_WITH_JEMALLOC

uint64_t AllocatedByThisThread() {
  uint64_t bytes = 0;
  size_t size = sizeof(bytes);
  EXPECT_EQ(mallctl("thread.allocated", &bytes, &size, nullptr, 0), 0);
  return bytes;
}

size_t DirtyPagesOfAllArenas() {
  uint64_t epoch = 1;
  size_t epoch_size = sizeof(epoch);
  mallctl("epoch", &epoch, &epoch_size, &epoch, epoch_size);  // refreshes the statistics
  size_t pages = 0;
  size_t size = sizeof(pages);
  const std::string all_arenas = "stats.arenas." + std::to_string(MALLCTL_ARENAS_ALL) + ".pdirty";
  EXPECT_EQ(mallctl(all_arenas.c_str(), &pages, &size, nullptr, 0), 0);
  return pages;
}

TEST(AllocatorTest, NamesJemalloc) { EXPECT_EQ(Name().rfind("jemalloc 5.", 0), 0u) << Name(); }

// Linking jemalloc is not enough: it must come before libc so that plain new/malloc (and
// libcurl's) are its own. Otherwise it counts nothing for this thread.
TEST(AllocatorTest, OperatorNewIsJemallocs) {
  const uint64_t before = AllocatedByThisThread();
  auto block = std::make_unique<char[]>(1 << 20);
  block[0] = 1;
  EXPECT_GE(AllocatedByThisThread() - before, uint64_t{1} << 20);
}

TEST(AllocatorTest, ReleaseFreedMemoryLeavesNoDirtyPages) {
  {
    // What a /metrics scrape does: many small blocks, then all freed.
    std::vector<std::unique_ptr<char[]>> blocks;
    for (int i = 0; i < 32 * 1024; ++i) {
      blocks.push_back(std::make_unique<char[]>(1024));
      blocks.back()[0] = 1;
    }
  }
  ASSERT_GT(DirtyPagesOfAllArenas(), 0u);
  ReleaseFreedMemory();
  EXPECT_EQ(DirtyPagesOfAllArenas(), 0u);
}

#else

TEST(AllocatorTest, NamesTheAllocatorInUse) {
#if defined(__SANITIZE_ADDRESS__)
  EXPECT_EQ(Name(), "AddressSanitizer's allocator");
#else
  EXPECT_EQ(Name(), "glibc malloc");
#endif
  ReleaseFreedMemory();  // safe to call whatever the allocator
}

#endif

}  // namespace
}  // namespace healthgap::allocator
