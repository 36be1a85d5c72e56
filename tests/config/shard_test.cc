#include "config/shard.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "common/hash.h"

namespace healthgap::config {
namespace {

TEST(ParseShardTest, AcceptsIOfN) {
  EXPECT_EQ(ParseShard("0/1").value, (Shard{0, 1}));
  EXPECT_EQ(ParseShard("2/3").value, (Shard{2, 3}));
}

TEST(ParseShardTest, RejectsWithExactMessages) {
  EXPECT_EQ(ParseShard("3/3").error, "invalid shard \"3/3\": I must be between 0 and N-1");
  EXPECT_EQ(ParseShard("0/0").error, "invalid shard \"0/0\": N must be at least 1");
  EXPECT_EQ(ParseShard("1").error, "invalid shard \"1\": expected I/N, e.g. 0/3");
  EXPECT_EQ(ParseShard("-1/3").error, "invalid shard \"-1/3\": expected I/N, e.g. 0/3");
  EXPECT_EQ(ParseShard("a/b").error, "invalid shard \"a/b\": expected I/N, e.g. 0/3");
}

TEST(InShardTest, StableHashDecides) {
  // Fixed expectations: the split must not change between builds or replicas.
  EXPECT_EQ(StableHash("checkout") % 3, 0u);
  EXPECT_TRUE(InShard("checkout", Shard{0, 3}));
  EXPECT_FALSE(InShard("checkout", Shard{1, 3}));
}

TEST(TargetsOfShardTest, EveryTargetInExactlyOneShardRoughlyEven) {
  constexpr int kTargets = 1000;
  constexpr std::uint64_t kShards = 4;
  std::vector<Target> targets(kTargets);
  for (int i = 0; i < kTargets; ++i) targets[i].name = "target-" + std::to_string(i);

  std::vector<int> owners(kTargets, 0);
  for (std::uint64_t index = 0; index < kShards; ++index) {
    const std::vector<Target> mine = TargetsOfShard(targets, Shard{index, kShards});
    // Roughly even: within 20% of 250.
    EXPECT_GT(mine.size(), 200u) << "shard " << index;
    EXPECT_LT(mine.size(), 300u) << "shard " << index;
    for (const Target& target : mine) ++owners[std::stoi(target.name.substr(7))];
  }
  EXPECT_TRUE(std::all_of(owners.begin(), owners.end(), [](int n) { return n == 1; }));
}

TEST(TargetsOfShardTest, OneShardKeepsEverythingInOrder) {
  std::vector<Target> targets(3);
  targets[0].name = "c";
  targets[1].name = "a";
  targets[2].name = "b";
  EXPECT_EQ(TargetsOfShard(targets, Shard{0, 1}), targets);
}

}  // namespace
}  // namespace healthgap::config
