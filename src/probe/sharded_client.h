#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "probe/http_client.h"

namespace healthgap::probe {

// HttpClient over several others (CurlMultiClient: one I/O loop each), so probing uses every
// core: a request goes to the shard its HttpRequest::affinity picks, so all of one target's
// requests share a loop and its connection and DNS caches. Thread-safe as its shards are.
class ShardedClient final : public HttpClient {
 public:
  // At least one shard.
  explicit ShardedClient(std::vector<std::unique_ptr<HttpClient>> shards);

  // `requested`, or one per core when 0.
  static std::size_t ShardCount(std::size_t requested);

  void Send(HttpRequest request, Callback done) override;
  std::size_t InFlight() const override;
  std::size_t shard_count() const { return shards_.size(); }

 private:
  std::vector<std::unique_ptr<HttpClient>> shards_;
};

}  // namespace healthgap::probe
