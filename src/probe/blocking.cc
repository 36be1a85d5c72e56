#include "probe/blocking.h"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <utility>

namespace healthgap::probe {
namespace {

// Results arriving from the client's thread; shared so a late callback never touches a
// finished caller's stack.
struct Gather {
  std::mutex mu;
  std::condition_variable all_done;
  std::vector<HttpResult> results;  // guarded by mu
  std::size_t remaining = 0;        // guarded by mu
};

}  // namespace

HttpResult SendAndWait(HttpClient& client, HttpRequest request) {
  std::vector<HttpRequest> one;
  one.push_back(std::move(request));
  return std::move(SendAllAndWait(client, std::move(one)).front());
}

std::vector<HttpResult> SendAllAndWait(HttpClient& client, std::vector<HttpRequest> requests) {
  return client.SendAllBlocking(std::move(requests));
}

std::vector<HttpResult> HttpClient::SendAllBlocking(std::vector<HttpRequest> requests) {
  HttpClient& client = *this;
  auto gather = std::make_shared<Gather>();
  gather->results.resize(requests.size());
  gather->remaining = requests.size();
  for (std::size_t i = 0; i < requests.size(); ++i) {
    client.Send(std::move(requests[i]), [gather, i](HttpResult result) {
      std::lock_guard lock(gather->mu);
      gather->results[i] = std::move(result);
      if (--gather->remaining == 0) gather->all_done.notify_all();
    });
  }
  std::unique_lock lock(gather->mu);
  gather->all_done.wait(lock, [&] { return gather->remaining == 0; });
  return std::move(gather->results);
}

}  // namespace healthgap::probe
