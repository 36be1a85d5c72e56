#pragma once

// `healthgap chaos URL --dependency NAME=LISTEN->UPSTREAM ... --fault KIND ...`: the
// reference's "test health check accuracy by intentionally breaking dependencies" as a tool.
// A fault proxy (chaos/fault_proxy.h) per dependency, the application configured to reach the
// dependency through its listen side; then per dependency and fault an experiment
// (chaos/experiment.h): the health checks as the --lb balancer sends them, the API as users
// call it, the emulated balancer on the health results, and a verdict (docs/chaos.md).

#include <atomic>
#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "app/check.h"
#include "common/clock.h"
#include "probe/http_client.h"

namespace healthgap::app {

struct ChaosOptions {
  // The target and how it is probed, as `check` takes them (URL or --config/--target, --health,
  // --sample, --lb, --timeout, headers, auth, TLS); its rounds and durations do not apply.
  CheckOptions target;
  std::vector<std::string> dependencies;  // NAME=LISTEN_HOST:PORT->UPSTREAM_HOST:PORT
  std::vector<std::string> faults{"refuse"};
  // The balancer's check interval (default: the --lb preset's, or the configured target's).
  std::optional<std::chrono::milliseconds> interval;
  std::chrono::milliseconds sample_interval{1000};  // between rounds of API samples
  std::chrono::milliseconds steady{5000};
  std::chrono::milliseconds fault_duration{30'000};
  std::chrono::milliseconds recovery{60'000};
  std::chrono::milliseconds max_ejection{30'000};
  double confidence = 0.99;
  std::string format = "table";  // or "json"
  bool allow_non_loopback = false;
};

// Exit codes: every dependency covered (or not needed by users); one not covered, covered too
// slowly, or not back after its fault; bad flags or a proxy that cannot listen; an experiment
// that could not tell (no steady state, too few requests); interrupted.
inline constexpr int kChaosPassed = 0;
inline constexpr int kChaosFailed = 1;
inline constexpr int kChaosUsageError = 2;
inline constexpr int kChaosInconclusive = 3;
inline constexpr int kChaosInterrupted = 130;

// Runs every experiment with `client` and `clock`, the report to `out`, progress to `err`;
// `stop` ends the run between rounds, every fault restored.
int RunChaos(const ChaosOptions& options, probe::HttpClient& client, Clock& clock,
             std::ostream& out, std::ostream& err, const std::atomic<bool>* stop);

// RunChaos with the real network and clock, until done or SIGINT/SIGTERM.
int RunChaosCommand(const ChaosOptions& options, std::ostream& out, std::ostream& err);

}  // namespace healthgap::app
