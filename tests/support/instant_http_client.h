#pragma once

#include <functional>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "probe/http_client.h"

namespace healthgap::testing {

// Answers every request at once (by default 200 in 2 ms; `answer` decides otherwise), and
// takes `per_round` of fake time for each batch, as a round of real requests would. Not
// thread-safe: for tests that call it from one thread.
class InstantHttpClient final : public probe::HttpClient {
 public:
  using Answer = std::function<probe::HttpResult(const probe::HttpRequest&)>;

  InstantHttpClient(FakeClock& clock, Duration per_round, Answer answer = Ok)
      : clock_(clock), per_round_(per_round), answer_(std::move(answer)) {}

  void Send(probe::HttpRequest request, Callback done) override {
    sent.push_back(request);
    done(answer_(request));
  }
  std::size_t InFlight() const override { return 0; }
  std::vector<probe::HttpResult> SendAllBlocking(
      std::vector<probe::HttpRequest> requests) override {
    batches.push_back(requests);
    clock_.Advance(per_round_);
    std::vector<probe::HttpResult> results;
    for (const probe::HttpRequest& request : requests) results.push_back(answer_(request));
    return results;
  }

  std::vector<probe::HttpRequest> sent;
  std::vector<std::vector<probe::HttpRequest>> batches;

  static probe::HttpResult Ok(const probe::HttpRequest& = {}) {
    probe::HttpResult result;
    result.status_code = 200;
    result.total = std::chrono::milliseconds(2);
    return result;
  }

 private:
  FakeClock& clock_;
  const Duration per_round_;
  const Answer answer_;
};

}  // namespace healthgap::testing
