#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

#include "common/clock.h"
#include "config/config.h"
#include "probe/http_client.h"

namespace healthgap::eval {

// What one request means for the side that made it.
struct Outcome {
  bool success = false;
  std::optional<FailureReason> reason;  // set iff !success
};

// Judges a transport result against what the config expects. `latency_budget` applies only to
// API samples (health checks have their timeout instead). Precedence: transport error, then
// status, then latency; a slow 500 counts as "status".
Outcome Classify(const probe::HttpResult& result, const config::StatusMatcher& expected,
                 std::optional<config::Millis> latency_budget = std::nullopt);

}  // namespace healthgap::eval
