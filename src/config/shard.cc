#include "config/shard.h"

#include <algorithm>
#include <charconv>

#include "common/hash.h"

namespace healthgap::config {

Parsed<Shard> ParseShard(std::string_view text) {
  auto fail = [&](std::string_view why) {
    return Parsed<Shard>::Fail("invalid shard \"" + std::string(text) + "\": " + std::string(why));
  };
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return fail("expected I/N, e.g. 0/3");
  auto number = [](std::string_view digits) -> std::optional<std::uint64_t> {
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
      return std::nullopt;
    }
    return value;
  };
  const auto index = number(text.substr(0, slash));
  const auto count = number(text.substr(slash + 1));
  if (!index || !count) return fail("expected I/N, e.g. 0/3");
  if (*count < 1) return fail("N must be at least 1");
  if (*index >= *count) return fail("I must be between 0 and N-1");
  return Parsed<Shard>::Ok(Shard{*index, *count});
}

bool InShard(std::string_view target_name, const Shard& shard) {
  return StableHash(target_name) % shard.count == shard.index;
}

std::vector<Target> TargetsOfShard(std::vector<Target> targets, const Shard& shard) {
  std::erase_if(targets, [&](const Target& target) { return !InShard(target.name, shard); });
  return targets;
}

}  // namespace healthgap::config
