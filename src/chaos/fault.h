#pragma once

// The faults `healthgap chaos` injects between an application and one of its dependencies,
// after Toxiproxy's toxics, and the --fault / --dependency flag syntax.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/listen_address.h"

namespace healthgap::chaos {

enum class FaultKind {
  kNone,       // bytes pass as they come
  kLatency,    // every chunk, both ways, held for `delay` before it is passed on
  kTimeout,    // a blackhole: nothing passes; connections closed after `delay` (0: never)
  kReset,      // every open and new connection reset (RST), as a crashed peer
  kRefuse,     // the listener closed: new connections refused, open ones reset
  kBandwidth,  // each direction of each connection limited to `bytes_per_second`
  kSlowClose,  // a side's close reaches the other side `delay` late
};

struct Fault {
  FaultKind kind = FaultKind::kNone;
  std::chrono::milliseconds delay{0};  // latency, timeout, slow_close
  std::int64_t bytes_per_second = 0;   // bandwidth
  bool operator==(const Fault&) const = default;
};

// "latency=500ms", "timeout", "timeout=5s", "reset", "refuse", "bandwidth=64KiB" (bytes per
// second, in the config's byte sizes), "slow_close=2s", "none". nullopt with *error set.
std::optional<Fault> ParseFault(std::string_view text, std::string* error);
// The flag text ParseFault reads back.
std::string ToString(const Fault& fault);
// "latency, timeout, reset, refuse, bandwidth, slow_close": the faults to inject, for usage
// messages ("none", which restores, is read too).
std::string FaultNames();

// One dependency's route through the proxy: --dependency NAME=LISTEN->UPSTREAM, as in
// "postgres=127.0.0.1:6432->127.0.0.1:5432". The application is configured to reach NAME at
// LISTEN; UPSTREAM is where NAME really is.
struct DependencyRoute {
  std::string name;
  ListenAddress listen;
  std::string upstream_host;
  int upstream_port = 0;
};
std::optional<DependencyRoute> ParseDependency(std::string_view text, std::string* error);

// 127.0.0.0/8, ::1 and "localhost": where the proxy may listen without being told otherwise.
bool IsLoopbackHost(std::string_view host);

}  // namespace healthgap::chaos
