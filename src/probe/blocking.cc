#include "probe/blocking.h"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <utility>

namespace healthgap::probe {
struct PendingResults::Shared {
  std::mutex mu;
  std::condition_variable all_done;
  std::vector<HttpResult> results;  // guarded by mu
  std::size_t remaining = 0;        // guarded by mu

  void Done() {
    if (--remaining == 0) all_done.notify_all();
  }
};

PendingResults::PendingResults(std::size_t count) : shared_(std::make_shared<Shared>()) {
  shared_->results.resize(count);
  shared_->remaining = count;
}

HttpClient::Callback PendingResults::Slot(std::size_t index) {
  return [shared = shared_, index](HttpResult result) {
    std::lock_guard lock(shared->mu);
    shared->results[index] = std::move(result);
    shared->Done();
  };
}

void PendingResults::Skip(std::size_t) {
  std::lock_guard lock(shared_->mu);
  shared_->Done();
}

std::vector<HttpResult> PendingResults::Wait() {
  std::unique_lock lock(shared_->mu);
  shared_->all_done.wait(lock, [&] { return shared_->remaining == 0; });
  return std::move(shared_->results);
}

HttpResult SendAndWait(HttpClient& client, HttpRequest request) {
  std::vector<HttpRequest> one;
  one.push_back(std::move(request));
  return std::move(SendAllAndWait(client, std::move(one)).front());
}

std::vector<HttpResult> SendAllAndWait(HttpClient& client, std::vector<HttpRequest> requests) {
  return client.SendAllBlocking(std::move(requests));
}

std::vector<HttpResult> HttpClient::SendAllBlocking(std::vector<HttpRequest> requests) {
  PendingResults pending(requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) Send(std::move(requests[i]), pending.Slot(i));
  return pending.Wait();
}

}  // namespace healthgap::probe
