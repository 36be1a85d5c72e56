#pragma once

#include <vector>

#include "probe/http_client.h"

// Synchronous helpers over the asynchronous HttpClient, for one-shot callers such as the CLI.
// Never call them from an HttpClient callback: they would wait for the thread they block.
namespace healthgap::probe {

// Sends one request and waits for its result.
HttpResult SendAndWait(HttpClient& client, HttpRequest request);

// Sends all requests at once (they run concurrently) and waits for every result; results are
// in request order.
std::vector<HttpResult> SendAllAndWait(HttpClient& client, std::vector<HttpRequest> requests);

}  // namespace healthgap::probe
