#pragma once

#include <string>

// The process's malloc. The healthgap binary runs on jemalloc (Debian's libjemalloc2) unless it
// is built with sanitizers, which bring their own allocator; then it runs on glibc's malloc.
// jemalloc costs less per /probe (libcurl alone allocates ~160 times per request) and keeps
// per-thread caches instead of glibc's per-thread arenas: docs/benchmarks.md has the figures.
namespace healthgap::allocator {

// Once at start, before threads: glibc's arenas are capped (MALLOC_ARENA_MAX still decides).
void Tune();

// After a large transient allocation (a /metrics scrape builds and frees tens of MB on whichever
// server thread serves it): hands the freed pages back to the kernel now instead of keeping them
// for later, so resident memory tracks what is in use.
void ReleaseFreedMemory();

// "jemalloc 5.3.0-0-g54eaed1d8b56b1aa528be3bdd1877e59c56fa90c" or "glibc malloc": for `version`.
std::string Name();

}  // namespace healthgap::allocator
