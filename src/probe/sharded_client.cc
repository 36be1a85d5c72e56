#include "probe/sharded_client.h"

#include <algorithm>
#include <thread>
#include <utility>

namespace healthgap::probe {

ShardedClient::ShardedClient(std::vector<std::unique_ptr<HttpClient>> shards)
    : shards_(std::move(shards)) {}

std::size_t ShardedClient::ShardCount(std::size_t requested) {
  if (requested > 0) return requested;
  return std::max(1u, std::thread::hardware_concurrency());
}

void ShardedClient::Send(HttpRequest request, Callback done) {
  HttpClient& shard = *shards_[request.affinity % shards_.size()];
  shard.Send(std::move(request), std::move(done));
}

std::size_t ShardedClient::InFlight() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) total += shard->InFlight();
  return total;
}

}  // namespace healthgap::probe
