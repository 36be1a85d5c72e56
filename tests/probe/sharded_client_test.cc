#include "probe/sharded_client.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <thread>
#include <utility>

namespace healthgap::probe {
namespace {

// Answers every request at once and remembers the affinities it was given.
class RecordingClient final : public HttpClient {
 public:
  explicit RecordingClient(std::multiset<std::uint64_t>& seen) : seen_(seen) {}
  void Send(HttpRequest request, Callback done) override {
    seen_.insert(request.affinity);
    done(HttpResult{});
  }
  std::size_t InFlight() const override { return 0; }

 private:
  std::multiset<std::uint64_t>& seen_;
};

TEST(ShardedClientTest, OneAffinityAlwaysReachesTheSameShardAndEveryShardGetsWork) {
  std::multiset<std::uint64_t> first, second, third;
  std::vector<std::unique_ptr<HttpClient>> shards;
  for (auto* seen : {&first, &second, &third}) {
    shards.push_back(std::make_unique<RecordingClient>(*seen));
  }
  ShardedClient client(std::move(shards));
  ASSERT_EQ(client.shard_count(), 3u);
  int answered = 0;
  for (int round = 0; round < 4; ++round) {
    for (std::uint64_t affinity = 0; affinity < 30; ++affinity) {
      HttpRequest request;
      request.affinity = affinity * 7919;
      client.Send(std::move(request), [&answered](HttpResult) { ++answered; });
    }
  }
  EXPECT_EQ(answered, 120);
  for (const auto* seen : {&first, &second, &third}) {
    EXPECT_FALSE(seen->empty());
    // Every request of an affinity went to this shard, none to another.
    for (std::uint64_t affinity : *seen) EXPECT_EQ(seen->count(affinity), 4u);
  }
  EXPECT_EQ(first.size() + second.size() + third.size(), 120u);
}

TEST(ShardedClientTest, ZeroMeansOneShardPerCore) {
  EXPECT_GE(ShardedClient::ShardCount(0), 1u);
  EXPECT_EQ(ShardedClient::ShardCount(0), std::max(1u, std::thread::hardware_concurrency()));
  EXPECT_EQ(ShardedClient::ShardCount(3), 3u);
}

}  // namespace
}  // namespace healthgap::probe
