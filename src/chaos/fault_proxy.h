#pragma once

// A TCP proxy between an application and one dependency that injects a Fault on command
// (chaos/fault.h). One thread per proxy, poll(2) over its sockets; bounded in connections and in
// the bytes it holds per direction (a full buffer stops reading that side: backpressure, not
// memory). Faults apply to open connections at once; clearing one delivers what a latency
// held and the closes a slow_close held, and re-opens a refused listener on the same port.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "chaos/fault.h"

namespace healthgap::chaos {

struct FaultProxyOptions {
  ListenAddress listen;  // port 0: an ephemeral port (see FaultProxy::port)
  std::string upstream_host;
  int upstream_port = 0;
  // Listening elsewhere than loopback exposes the dependency: only when told explicitly.
  bool allow_non_loopback = false;
  int max_connections = 256;  // beyond it new connections are closed at once and counted
  std::size_t max_buffered_bytes = 256 << 10;  // per direction of a connection
};

// What the proxy did, cumulative since it started.
struct FaultProxyStats {
  std::uint64_t accepted = 0;
  std::uint64_t rejected = 0;  // over max_connections, or the upstream unreachable
  std::uint64_t reset = 0;     // connections the reset and refuse faults reset
  std::uint64_t bytes_forwarded = 0;
  std::uint64_t bytes_dropped = 0;  // swallowed by a timeout (blackhole)
  std::uint64_t bytes_held = 0;     // now: waiting on a latency or a bandwidth limit
  int open_connections = 0;
  int closes_held = 0;  // now: closes a slow_close has not passed on yet
  bool listening = false;
};

class FaultProxy {
 public:
  // Binds the listen side and starts the proxy thread; nullptr with *error set when the address
  // is not loopback (and not allowed), does not bind, or the upstream does not resolve.
  static std::unique_ptr<FaultProxy> Start(const FaultProxyOptions& options, std::string* error);
  // Stops the thread and closes every socket.
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  int port() const { return port_; }
  // Applies `fault` to open and new connections, in effect when this returns; Fault{} (none)
  // restores the dependency.
  void SetFault(const Fault& fault);
  Fault fault() const;
  // An error re-opening the listener after refuse (the port taken meanwhile), else "".
  std::string last_error() const;
  FaultProxyStats stats() const;

 private:
  struct Loop;
  FaultProxy() = default;

  std::unique_ptr<Loop> loop_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace healthgap::chaos
