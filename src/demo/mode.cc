#include "demo/mode.h"

#include <array>

namespace healthgap::demo {
namespace {

constexpr std::array<DemoMode, 6> kAllModes = {
    DemoMode::kHonest,       DemoMode::kShallowHealth, DemoMode::kPoolExhaustion,
    DemoMode::kCachedHealth, DemoMode::kDeadlock,      DemoMode::kFalseNegative,
};

}  // namespace

std::string_view ToString(DemoMode mode) {
  switch (mode) {
    case DemoMode::kHonest:
      return "honest";
    case DemoMode::kShallowHealth:
      return "shallow-health";
    case DemoMode::kPoolExhaustion:
      return "pool-exhaustion";
    case DemoMode::kCachedHealth:
      return "cached-health";
    case DemoMode::kDeadlock:
      return "deadlock";
    case DemoMode::kFalseNegative:
      return "false-negative";
  }
  return "unknown";
}

std::optional<DemoMode> ParseDemoMode(std::string_view name) {
  for (DemoMode mode : kAllModes) {
    if (ToString(mode) == name) return mode;
  }
  return std::nullopt;
}

std::span<const DemoMode> AllDemoModes() { return kAllModes; }

std::string DemoModeNames() {
  std::string names;
  for (DemoMode mode : kAllModes) {
    if (!names.empty()) names += ", ";
    names += ToString(mode);
  }
  return names;
}

DemoExpectation ExpectationFor(DemoMode mode) {
  switch (mode) {
    case DemoMode::kHonest:
      return {true, true, "healthy", "database up: /health and the API both answer 200"};
    case DemoMode::kShallowHealth:
      return {true, false, "mismatch",
              "database down, but /health does not check it: 200 while the API answers 500"};
    case DemoMode::kPoolExhaustion:
      return {true, false, "mismatch",
              "connection pool leaked: the API waits for a connection then answers 503, while "
              "/health uses a direct connection and answers 200"};
    case DemoMode::kCachedHealth:
      return {true, false, "mismatch",
              "/health replays a response cached at startup (database up then); the database "
              "has since died and the API answers 500"};
    case DemoMode::kDeadlock:
      return {true, false, "mismatch",
              "request handlers are deadlocked and API calls time out, while /health is served "
              "apart and answers 200"};
    case DemoMode::kFalseNegative:
      return {false, true, "false-negative",
              "/health fails on the optional recommendations service (503) while the API, "
              "which does not need it, answers 200"};
  }
  return {false, false, "unknown", "unknown demo mode"};
}

}  // namespace healthgap::demo
