#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "probe/curl_handles.h"
#include "probe/http_client.h"

namespace healthgap::probe {

namespace detail {
struct CurlTransfer;  // one request on one easy handle (curl_transfer.h)
class TcpExchanges;   // TCP health checks' exchanges after their connection (curl_transfer.h)
}  // namespace detail

// HttpClient on one libcurl multi handle driven by one I/O thread: thousands of concurrent
// requests share a single event loop, and a hung target costs only its own timeout. The loop is
// libcurl's multi-socket API over epoll, so a pass costs what is ready, not what is in flight
// (curl_multi_perform walked every transfer and curl_multi_poll polled every socket, so a loop
// that fell behind got slower with every pass).
//
// Callbacks run on the I/O thread and must not block (they may call Send). Send itself runs a
// callback only for a request it cannot accept (client shutting down, curl unavailable).
// The destructor stops promptly even with hung requests in flight: every request not yet
// completed gets its callback, on the I/O thread, with FailureReason::kOther and error_message
// "client shut down", so nobody waits forever. Never destroy the client from one of its own
// callbacks (it joins that thread).
//
// Thread-safe: Send and InFlight may be called from any thread.
class CurlMultiClient final : public HttpClient {
 public:
  struct Options {
    // Limits on open connections; 0 means unlimited. Requests over the limit queue inside
    // curl and their timeout keeps running while they wait.
    std::size_t max_total_connections = 0;
    std::size_t max_host_connections = 0;
    // Idle connections kept for reuse by requests with reuse_connection = true.
    std::size_t connection_cache_size = 64;
    std::string user_agent = "healthgap/0.1";
  };

  static constexpr std::string_view kShutDownMessage = "client shut down";

  // `clock` stamps HttpResult::started and must outlive the client.
  explicit CurlMultiClient(const Clock& clock);
  CurlMultiClient(const Clock& clock, Options options);
  ~CurlMultiClient() override;

  CurlMultiClient(const CurlMultiClient&) = delete;
  CurlMultiClient& operator=(const CurlMultiClient&) = delete;

  // HttpClient
  void Send(HttpRequest request, Callback done) override;
  // Counts a request from Send until its callback has returned.
  std::size_t InFlight() const override;

 private:
  using Transfer = detail::CurlTransfer;

  static int OnSocket(CURL* easy, curl_socket_t socket, int what, void* self, void* assigned);
  static int OnTimer(CURLM* multi, long timeout_ms, void* self);

  void Run();
  // Waits (at most `max_ms`) for sockets, the wakeup or a TCP exchange, and tells curl what is
  // ready.
  void WaitAndAct(int max_ms);
  void ActOnTimeout();
  void Wake();
  void StartQueued();
  void Start(std::unique_ptr<Transfer> transfer);
  void CompleteFinished();
  void Complete(Transfer* transfer, CURLcode code);
  void AdvanceExchanges();
  void Retire(Transfer* transfer);
  void AbandonAll();
  void Deliver(Transfer& transfer, HttpResult result);

  const Clock& clock_;
  const Options options_;
  CurlMulti multi_;
  std::atomic<std::size_t> in_flight_{0};
  int epoll_fd_ = -1;
  int wake_fd_ = -1;  // an eventfd: Send and the destructor wake the I/O thread through it
  // When curl asked to be called with CURL_SOCKET_TIMEOUT (its timer); I/O thread only.
  std::optional<std::chrono::steady_clock::time_point> curl_timer_;

  std::mutex mu_;
  std::vector<std::unique_ptr<Transfer>> queued_;  // guarded by mu_
  bool stopping_ = false;                          // guarded by mu_

  // Requests added to the multi handle; touched only by the I/O thread. Keyed by the
  // Transfer's address (also stored as CURLOPT_PRIVATE) so completion is O(1).
  std::unordered_map<Transfer*, std::unique_ptr<Transfer>> active_;
  // Those of active_ whose connection is made and whose TCP exchange runs; I/O thread only.
  std::unique_ptr<detail::TcpExchanges> exchanges_;

  std::thread io_thread_;  // last: starts after everything above is ready
};

// HttpClient that runs requests on the calling thread: SendAllBlocking drives a libcurl multi
// handle of its own until every request completed, so nothing is handed to another thread and
// back (no wakeup either way). For /probe, whose HTTP server thread waits for the result anyway.
// Each concurrent caller takes a multi handle from a pool (created on demand, so there are at
// most as many as concurrent callers) and returns it after the run, with its connection cache
// (keep-alive API samples reuse connections as with CurlMultiClient) and idle easy handles.
// Send runs synchronously too: `done` runs on the caller's thread before Send returns.
// Requests, options, results and errors are those of CurlMultiClient (same request setup).
//
// Thread-safe: every method may be called from any thread.
class CurlCallerThreadClient final : public HttpClient {
 public:
  using Options = CurlMultiClient::Options;

  // `clock` stamps HttpResult::started and must outlive the client.
  explicit CurlCallerThreadClient(const Clock& clock);
  CurlCallerThreadClient(const Clock& clock, Options options);
  ~CurlCallerThreadClient() override;

  CurlCallerThreadClient(const CurlCallerThreadClient&) = delete;
  CurlCallerThreadClient& operator=(const CurlCallerThreadClient&) = delete;

  // HttpClient
  void Send(HttpRequest request, Callback done) override;
  std::size_t InFlight() const override;
  std::vector<HttpResult> SendAllBlocking(std::vector<HttpRequest> requests) override;

 private:
  struct Loop;
  std::unique_ptr<Loop> Acquire();
  void Release(std::unique_ptr<Loop> loop);

  const Clock& clock_;
  const Options options_;
  std::atomic<std::size_t> in_flight_{0};
  std::mutex mu_;
  std::vector<std::unique_ptr<Loop>> idle_;  // guarded by mu_
};

}  // namespace healthgap::probe
