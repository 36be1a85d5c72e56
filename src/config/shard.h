#pragma once

// `serve --shard I/N`: N replicas split a fleet, each probing the targets whose stable name
// hash falls in its shard. StableHash, not std::hash: the split must be the same across
// restarts, builds and replicas. Pure functions, safe from any thread.

#include <cstdint>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/values.h"

namespace healthgap::config {

struct Shard {
  std::uint64_t index = 0;  // I, 0 <= I < N
  std::uint64_t count = 1;  // N, at least 1
  bool operator==(const Shard&) const = default;
};

// "I/N" with 0 <= I < N, e.g. "0/3".
Parsed<Shard> ParseShard(std::string_view text);

// StableHash(name) % N == I.
bool InShard(std::string_view target_name, const Shard& shard);

// The targets of `shard`, order kept.
std::vector<Target> TargetsOfShard(std::vector<Target> targets, const Shard& shard);

}  // namespace healthgap::config
