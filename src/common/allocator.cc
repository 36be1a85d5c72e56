#include "common/allocator.h"

#include <malloc.h>

#include <cstdlib>

#ifdef HEALTHGAP_WITH_JEMALLOC
#include <jemalloc/jemalloc.h>

#define HEALTHGAP_STRINGIFY_INNER(x) #x
#define HEALTHGAP_STRINGIFY(x) HEALTHGAP_STRINGIFY_INNER(x)
#endif

namespace healthgap::allocator {

#ifdef HEALTHGAP_WITH_JEMALLOC

void Tune() {}

void ReleaseFreedMemory() {
  // The calling thread's cache first, so that what it freed can be purged too.
  mallctl("thread.tcache.flush", nullptr, nullptr, nullptr, 0);
  mallctl("arena." HEALTHGAP_STRINGIFY(MALLCTL_ARENAS_ALL) ".purge", nullptr, nullptr, nullptr, 0);
}

std::string Name() {
  const char* version = nullptr;
  size_t size = sizeof(version);
  if (mallctl("version", &version, &size, nullptr, 0) != 0 || version == nullptr) {
    return "jemalloc";
  }
  return std::string("jemalloc ") + version;
}

#else

void Tune() {
  // glibc gives each thread that allocates a malloc arena of its own, up to 8 per core, and an
  // arena keeps what was freed in it. Scrapes (an engine snapshot: tens of MB at 10,000
  // targets) land on any of the server's threads, so their memory spread over many arenas;
  // 4 arenas cut resident memory by about a quarter at no cost in /probe throughput, 2 cost
  // throughput (figures: docs/benchmarks.md).
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) mallopt(M_ARENA_MAX, 4);
}

void ReleaseFreedMemory() { malloc_trim(0); }

std::string Name() {
#if defined(__SANITIZE_ADDRESS__)
  return "AddressSanitizer's allocator";
#else
  return "glibc malloc";
#endif
}

#endif

}  // namespace healthgap::allocator
