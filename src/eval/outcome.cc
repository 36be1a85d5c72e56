#include "eval/outcome.h"

namespace healthgap::eval {

Outcome Classify(const Response& response, const StatusMatcher& expected,
                 std::optional<std::chrono::milliseconds> latency_budget) {
  if (response.transport_failure) return {false, response.transport_failure};
  if (!expected.Matches(response.status_code)) return {false, FailureReason::kStatus};
  if (latency_budget && response.total > *latency_budget) return {false, FailureReason::kSlow};
  return {true, std::nullopt};
}

}  // namespace healthgap::eval
