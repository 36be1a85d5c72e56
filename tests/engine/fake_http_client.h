#pragma once

#include <deque>
#include <mutex>
#include <utility>

#include "probe/http_client.h"

namespace healthgap::testing {

// Records requests and completes them only when the test says so, so the engine's logic runs
// with no network and no threads. Thread-safe.
class FakeHttpClient final : public probe::HttpClient {
 public:
  struct Call {
    probe::HttpRequest request;
    Callback done;
  };

  // HttpClient
  void Send(probe::HttpRequest request, Callback done) override {
    std::lock_guard lock(mu_);
    calls_.push_back({std::move(request), std::move(done)});
  }
  std::size_t InFlight() const override {
    std::lock_guard lock(mu_);
    return calls_.size();
  }

  // Completes every pending request whose URL ends with `suffix` with `result`; returns how many.
  int CompleteMatching(std::string_view suffix, const probe::HttpResult& result) {
    std::deque<Call> matched;
    {
      std::lock_guard lock(mu_);
      for (auto it = calls_.begin(); it != calls_.end();) {
        if (it->request.url.ends_with(suffix)) {
          matched.push_back(std::move(*it));
          it = calls_.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (auto& call : matched) call.done(result);
    return static_cast<int>(matched.size());
  }

  std::deque<Call> TakeAll() {
    std::lock_guard lock(mu_);
    return std::exchange(calls_, {});
  }

 private:
  mutable std::mutex mu_;
  std::deque<Call> calls_;
};

inline probe::HttpResult Response(int status, Duration total = std::chrono::milliseconds(2)) {
  probe::HttpResult result;
  result.status_code = status;
  result.total = total;
  return result;
}

inline probe::HttpResult TransportError(std::optional<FailureReason> kind,
                                        Duration total = std::chrono::seconds(1)) {
  probe::HttpResult result;
  result.error = kind;
  result.total = total;
  return result;
}

}  // namespace healthgap::testing
