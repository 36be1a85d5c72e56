#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

#include "common/clock.h"
#include "common/failure_reason.h"
#include "common/response_conditions.h"
#include "common/status_matcher.h"
#include "eval/response.h"

namespace healthgap::eval {

// What one request means for the side that made it.
struct Outcome {
  bool success = false;
  std::optional<FailureReason> reason;  // set iff !success
};

// Judges a transport result against what the config expects. `latency_budget` applies only to
// API samples (health checks have their timeout instead). Precedence: transport error, then
// status, then header conditions, then body conditions, then latency; a slow 500 counts as
// "status", a 200 whose body fails a condition as "body_mismatch".
Outcome Classify(const Response& response, const StatusMatcher& expected,
                 std::optional<std::chrono::milliseconds> latency_budget = std::nullopt,
                 const ResponseConditions& conditions = {});

// Judges a gRPC health check's result. With `expected_codes` (an ALB's success codes) only the
// status code counts, whatever the reply. Without, the call must return OK and, when it was
// grpc.health.v1's Check, answer SERVING. Failures: the transport's, else grpc_not_serving (OK but
// not SERVING), grpc_service_unknown (NOT_FOUND: no such service), grpc_unimplemented (no health
// service), grpc_unavailable, or grpc_status (any other code, or one not expected).
Outcome ClassifyGrpc(const Response& response, const std::optional<StatusMatcher>& expected_codes);

}  // namespace healthgap::eval
