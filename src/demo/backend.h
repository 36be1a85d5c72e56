#pragma once

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "demo/mode.h"

namespace healthgap::demo {

// A small application (database, connection pool, request handlers) broken the way `mode` says,
// served over HTTP on its own threads:
//   GET /health      what the load balancer probes (JSON, e.g. {"status":"ok","checks":{...}})
//   GET /healthz     liveness: always 200
//   GET /api/data    real endpoints users hit: JSON on success,
//   GET /api/orders  {"error":"..."} on failure
// and, in grpc-checked mode, a gRPC server with the standard health service (grpc_port()).
// One-shot: Start once, Stop once (the destructor stops).
// Thread-safe: Start/Stop from any one thread; port() and base_url() from any thread.
class DemoBackend {
 public:
  DemoBackend(DemoMode mode, std::string host = "127.0.0.1", int port = 0);
  ~DemoBackend();
  DemoBackend(const DemoBackend&) = delete;
  DemoBackend& operator=(const DemoBackend&) = delete;

  // Binds (port 0: an ephemeral port), serves on background threads and returns once listening.
  // False with *error set (e.g. "cannot listen on 127.0.0.1:8080: Address already in use").
  bool Start(std::string* error);
  // Prompt even while handlers are stuck: it releases them first.
  void Stop();

  DemoMode mode() const;
  // The bound port; 0 before Start.
  int port() const;
  // "http://127.0.0.1:PORT" ("http://[::1]:PORT" for IPv6 hosts).
  std::string base_url() const;
  // The gRPC health service's port in grpc-checked mode; 0 otherwise.
  int grpc_port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// `healthgap demo-backend --mode M --listen ADDR`: serves in the foreground until SIGINT or
// SIGTERM, logging one startup line (mode, URL, expected verdict) and one shutdown line; no
// per-request lines. Blocks SIGINT/SIGTERM in the calling thread while it runs (call it before
// starting other threads). Returns the process exit code: 0 after a signal, 1 if it cannot
// listen, 2 for a malformed address.
int RunDemoBackend(DemoMode mode, const std::string& listen_address, std::ostream& log);

}  // namespace healthgap::demo
