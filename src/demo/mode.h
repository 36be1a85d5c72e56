#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace healthgap::demo {

// One failure mode from the "health check passes, app fails" playbook, plus the honest baseline.
enum class DemoMode {
  kHonest,          // database up; health and API agree: 200
  kShallowHealth,   // database down; /health does not check it
  kPoolExhaustion,  // pool leaked; API waits then 503; /health uses a direct connection
  kCachedHealth,    // /health replays a response cached while the database was still up
  kDeadlock,        // API handlers stuck behind a deadlocked lock; /health served apart
  kFalseNegative,   // /health fails on an optional dependency the API does not need
  kDegraded,        // /health answers 200 while its own body reports a failing dependency
  kFlaky,           // honest, but 1 API request in 100 fails: healthy within the error budget
  kSlow,            // honest and correct, API answers in ~50 ms: slow but within budget
  kDetached,        // /health served on its own fast path while overloaded API handlers crawl
  kTcpChecked,      // database down; the balancer checks the port (TCP), which accepts
  kGrpcChecked,     // database down; gRPC health says SERVING, set at startup and never again
};

// The CLI name: "honest", "shallow-health", "pool-exhaustion", "cached-health", "deadlock",
// "false-negative", "degraded", "flaky", "slow", "detached", "tcp-checked", "grpc-checked".
std::string_view ToString(DemoMode mode);

// Inverse of ToString; nullopt for anything else (exact, case-sensitive match).
std::optional<DemoMode> ParseDemoMode(std::string_view name);

// Every mode in the order the demo shows them.
std::span<const DemoMode> AllDemoModes();

// "honest, shallow-health, ...": for usage and error messages.
std::string DemoModeNames();

// What a prober should observe against a backend in this mode: the single source of truth
// shared by `healthgap demo` and the tests.
struct DemoExpectation {
  bool health_passes;                 // the balancer's check passes: GET /health answers 2xx
                                      // in time (tcp-checked: the port accepts; grpc-checked:
                                      // the gRPC health service answers SERVING)
  bool api_passes;                    // GET /api/data and /api/orders answer 2xx in time
                                      // (at least 99 requests in 100)
  bool body_reports_failure;          // the /health body names a failing dependency
  std::string_view expected_verdict;  // as eval::ToString(Verdict)
  std::string_view expected_cause;    // as eval::ToString(Cause)
  std::string_view explanation;       // one line for humans
};

DemoExpectation ExpectationFor(DemoMode mode);

// The health check type the balancer in front of this mode runs: "http" but for tcp-checked
// ("tcp") and grpc-checked ("grpc").
std::string_view HealthCheckTypeFor(DemoMode mode);

}  // namespace healthgap::demo
