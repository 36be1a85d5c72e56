#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <vector>

#include "common/clock.h"
#include "probe/http_client.h"

namespace healthgap::probe {

// HttpClient for gRPC health checks (HttpRequest::grpc): each request is one unary call on a
// channel of its own, so on a connection of its own, as kubelet and load balancers probe. Calls
// run asynchronously on gRPC's own threads (its callback API): a server that never answers costs
// only its call's deadline (the request's timeout) and delays no other probe.
//
// A transport failure (refused, reset, DNS, TLS, the deadline) is HttpResult::error as with
// HTTP; any other ending is HttpResult::grpc (the status code and, for grpc.health.v1, the
// serving status), judged by eval. gRPC does not report per-phase times: the whole call is the
// processing phase.
//
// `done` runs on a gRPC thread and must not block. The destructor cancels the calls in flight and
// waits for their callbacks. Thread-safe.
class GrpcHealthClient final : public HttpClient {
 public:
  // `clock` stamps HttpResult::started and must outlive the client.
  explicit GrpcHealthClient(const Clock& clock);
  ~GrpcHealthClient() override;
  GrpcHealthClient(const GrpcHealthClient&) = delete;
  GrpcHealthClient& operator=(const GrpcHealthClient&) = delete;

  // HttpClient. A request without `grpc` fails with kOther.
  void Send(HttpRequest request, Callback done) override;
  std::size_t InFlight() const override;

 private:
  struct Call;
  void Finished(Call* call);
  void Reap();

  const Clock& clock_;
  std::atomic<std::size_t> in_flight_{0};
  std::mutex mu_;
  std::condition_variable changed_;
  std::unordered_set<Call*> calls_;  // guarded by mu_: what the destructor cancels
  // Calls whose callback ran, destroyed by reaper_: a channel destroyed on the gRPC thread that
  // completed its call frees gRPC's callback queue under it (a double free in gRPC 1.51).
  std::vector<Call*> finished_;  // guarded by mu_
  bool stopping_ = false;        // guarded by mu_
  std::thread reaper_;           // last: starts after everything above is ready
};

// Holds one reference to gRPC's core for the rest of the process, so that it is never shut down
// and brought up again (which races in gRPC 1.51): every user of gRPC here calls it first.
void KeepGrpcInitialized();

// HttpClient that sends gRPC requests (HttpRequest::grpc) to one client and every other to
// another: what the engine, /probe and `check` probe through. SendAllBlocking keeps `http`'s
// own (CurlCallerThreadClient runs them on the caller's thread) with the gRPC calls beside.
class ProtocolRouter final : public HttpClient {
 public:
  // Both must outlive the router.
  ProtocolRouter(HttpClient& http, HttpClient& grpc) : http_(http), grpc_(grpc) {}

  void Send(HttpRequest request, Callback done) override;
  std::size_t InFlight() const override;
  std::vector<HttpResult> SendAllBlocking(std::vector<HttpRequest> requests) override;

 private:
  HttpClient& http_;
  HttpClient& grpc_;
};

}  // namespace healthgap::probe
