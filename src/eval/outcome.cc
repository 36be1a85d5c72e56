#include "eval/outcome.h"

namespace healthgap::eval {

Outcome Classify(const probe::HttpResult& result, const config::StatusMatcher& expected,
                 std::optional<config::Millis> latency_budget) {
  if (result.error) return {false, result.error};
  if (!expected.Matches(result.status_code)) return {false, FailureReason::kStatus};
  if (latency_budget && result.total > *latency_budget) return {false, FailureReason::kSlow};
  return {true, std::nullopt};
}

}  // namespace healthgap::eval
