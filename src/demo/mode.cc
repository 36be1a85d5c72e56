#include "demo/mode.h"

#include <array>

#include "common/enum_names.h"

namespace healthgap::demo {
namespace {

constexpr std::array<DemoMode, 12> kAllModes = {
    DemoMode::kHonest,       DemoMode::kShallowHealth, DemoMode::kPoolExhaustion,
    DemoMode::kCachedHealth, DemoMode::kDeadlock,      DemoMode::kFalseNegative,
    DemoMode::kDegraded,     DemoMode::kFlaky,         DemoMode::kSlow,
    DemoMode::kDetached,     DemoMode::kTcpChecked,    DemoMode::kGrpcChecked,
};

}  // namespace

constexpr std::array<EnumName<DemoMode>, 12> kDemoModeNames = {{
    {DemoMode::kHonest, "honest"},
    {DemoMode::kShallowHealth, "shallow-health"},
    {DemoMode::kPoolExhaustion, "pool-exhaustion"},
    {DemoMode::kCachedHealth, "cached-health"},
    {DemoMode::kDeadlock, "deadlock"},
    {DemoMode::kFalseNegative, "false-negative"},
    {DemoMode::kDegraded, "degraded"},
    {DemoMode::kFlaky, "flaky"},
    {DemoMode::kSlow, "slow"},
    {DemoMode::kDetached, "detached"},
    {DemoMode::kTcpChecked, "tcp-checked"},
    {DemoMode::kGrpcChecked, "grpc-checked"},
}};
static_assert(ListsValuesInOrder(kDemoModeNames));

std::string_view ToString(DemoMode mode) { return NameOf(kDemoModeNames, mode); }

std::optional<DemoMode> ParseDemoMode(std::string_view name) {
  return ValueNamed(kDemoModeNames, name);
}

std::span<const DemoMode> AllDemoModes() { return kAllModes; }

std::string DemoModeNames() { return JoinedNames(kDemoModeNames); }

DemoExpectation ExpectationFor(DemoMode mode) {
  switch (mode) {
    case DemoMode::kHonest:
      return {true,      true,   false,
              "healthy", "none", "database up: /health and the API both answer 200"};
    case DemoMode::kShallowHealth:
      return {true,
              false,
              false,
              "mismatch",
              "shallow_check",
              "database down, but /health does not check it: 200 while the API answers 500"};
    case DemoMode::kPoolExhaustion:
      return {true,
              false,
              false,
              "mismatch",
              "pool_exhaustion",
              "connection pool leaked: the API waits for a connection then answers 503, while "
              "/health uses a direct connection and answers 200"};
    case DemoMode::kCachedHealth:
      return {true,
              false,
              false,
              "mismatch",
              "cached_health",
              "/health replays a response cached at startup (database up then); the database "
              "has since died and the API answers 500"};
    case DemoMode::kDeadlock:
      return {true,
              false,
              false,
              "mismatch",
              "detached_health",
              "request handlers are deadlocked and API calls time out, while /health is served "
              "apart and answers 200"};
    case DemoMode::kFalseNegative:
      return {false,
              true,
              false,
              "false-negative",
              "health_failing",
              "/health fails on the optional recommendations service (503) while the API, "
              "which does not need it, answers 200"};
    case DemoMode::kDegraded:
      return {true,
              true,
              true,
              "degraded",
              "degraded_body",
              "/health answers 200 while its body reports redis failing; the API still works "
              "without the cache"};
    case DemoMode::kFlaky:
      return {
          true,   true,
          false,  "healthy",
          "none", "1 API request in 100 fails (500): within the error budget, not a lying check"};
    case DemoMode::kSlow:
      return {true,
              true,
              false,
              "healthy",
              "none",
              "the API answers correctly in about 50 ms while /health takes under 1 ms: slow "
              "but within budget"};
    case DemoMode::kDetached:
      return {true,
              false,
              false,
              "mismatch",
              "detached_health",
              "/health runs on its own fast path while overloaded API handlers take 4 s and "
              "time out"};
    case DemoMode::kTcpChecked:
      return {true,
              false,
              false,
              "mismatch",
              "shallow_check",
              "database down; the balancer's TCP check (an NLB's, HAProxy's plain `check`) only "
              "sees the port accept while the API answers 500"};
    case DemoMode::kGrpcChecked:
      return {true,
              false,
              false,
              "mismatch",
              "shallow_check",
              "database down; the gRPC health service was set SERVING at startup and nothing "
              "updates it, while the API answers 500"};
  }
  return {false, false, false, "unknown", "waiting", "unknown demo mode"};
}

std::string_view HealthCheckTypeFor(DemoMode mode) {
  switch (mode) {
    case DemoMode::kTcpChecked:
      return "tcp";
    case DemoMode::kGrpcChecked:
      return "grpc";
    default:
      return "http";
  }
}

}  // namespace healthgap::demo
