#pragma once

#include <vector>

#include "common/clock.h"
#include "probe/http_client.h"

namespace healthgap::testing {

// Answers every request 200 at once, and takes `per_round` of fake time for each batch, as a
// round of real requests would. Not thread-safe: for tests that call it from one thread.
class InstantHttpClient final : public probe::HttpClient {
 public:
  InstantHttpClient(FakeClock& clock, Duration per_round) : clock_(clock), per_round_(per_round) {}

  void Send(probe::HttpRequest request, Callback done) override {
    sent.push_back(request);
    done(Ok());
  }
  std::size_t InFlight() const override { return 0; }
  std::vector<probe::HttpResult> SendAllBlocking(
      std::vector<probe::HttpRequest> requests) override {
    batches.push_back(requests);
    clock_.Advance(per_round_);
    return std::vector<probe::HttpResult>(requests.size(), Ok());
  }

  std::vector<probe::HttpRequest> sent;
  std::vector<std::vector<probe::HttpRequest>> batches;

 private:
  static probe::HttpResult Ok() {
    probe::HttpResult result;
    result.status_code = 200;
    result.total = std::chrono::milliseconds(2);
    return result;
  }

  FakeClock& clock_;
  const Duration per_round_;
};

}  // namespace healthgap::testing
