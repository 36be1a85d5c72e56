#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "probe/http_client.h"

// Synchronous helpers over the asynchronous HttpClient, for one-shot callers such as the CLI.
// Never call them from an HttpClient callback: they would wait for the thread they block.
namespace healthgap::probe {

// Results of requests handed to HttpClient::Send, each into its slot, for a caller that waits
// for them all. A late callback never touches a finished caller's stack (the slots are shared).
class PendingResults {
 public:
  explicit PendingResults(std::size_t count);
  // The callback that fills slot `index`; each slot is either filled once or skipped.
  HttpClient::Callback Slot(std::size_t index);
  void Skip(std::size_t index);
  // Blocks until every slot is filled or skipped; skipped slots hold an empty result.
  std::vector<HttpResult> Wait();

 private:
  struct Shared;
  std::shared_ptr<Shared> shared_;
};

// Sends one request and waits for its result.
HttpResult SendAndWait(HttpClient& client, HttpRequest request);

// Sends all requests at once (they run concurrently) and waits for every result; results are
// in request order.
std::vector<HttpResult> SendAllAndWait(HttpClient& client, std::vector<HttpRequest> requests);

}  // namespace healthgap::probe
