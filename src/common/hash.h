#pragma once

#include <cstdint>
#include <string_view>

namespace healthgap {

// FNV-1a, 64 bit: stable across builds and platforms, unlike std::hash. Used where a hash
// decides something visible (schedule offsets), so restarts behave the same.
constexpr std::uint64_t StableHash(std::string_view text) {
  std::uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

}  // namespace healthgap
