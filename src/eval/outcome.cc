#include "eval/outcome.h"

#include <algorithm>

#include "common/grpc_health.h"
#include "common/strings.h"
#include "eval/json_conditions.h"

namespace healthgap::eval {
namespace {

// Whether `condition` fails the response: `when_matching` for fail_if_header_matches, false for
// fail_if_header_not_matches. Every value of a repeated header counts.
bool HeaderFails(const Response& response, const HeaderCondition& condition, bool when_matching) {
  bool present = false;
  for (const auto& [name, value] : response.headers) {
    if (!EqualsIgnoringCase(name, condition.header)) continue;
    present = true;
    if (condition.regexp.Search(value) == when_matching) return true;
  }
  return !present && !when_matching && !condition.allow_missing;
}

bool HeadersFail(const Response& response, const ResponseConditions& conditions) {
  const auto fails = [&](bool when_matching) {
    return [&, when_matching](const HeaderCondition& c) {
      return HeaderFails(response, c, when_matching);
    };
  };
  return std::any_of(conditions.fail_if_header_matches.begin(),
                     conditions.fail_if_header_matches.end(), fails(true)) ||
         std::any_of(conditions.fail_if_header_not_matches.begin(),
                     conditions.fail_if_header_not_matches.end(), fails(false));
}

bool BodyFails(const Response& response, const ResponseConditions& conditions) {
  const auto matches = [&](const Regex& regex) { return regex.Search(response.body); };
  return std::any_of(conditions.fail_if_body_matches.begin(), conditions.fail_if_body_matches.end(),
                     matches) ||
         !std::all_of(conditions.fail_if_body_not_matches.begin(),
                      conditions.fail_if_body_not_matches.end(), matches) ||
         !JsonConditionsHold(response.body, conditions.json_conditions);
}

}  // namespace

Outcome Classify(const Response& response, const StatusMatcher& expected,
                 std::optional<std::chrono::milliseconds> latency_budget,
                 const ResponseConditions& conditions) {
  if (response.transport_failure) return {false, response.transport_failure};
  if (!expected.Matches(response.status_code)) return {false, FailureReason::kStatus};
  if (!conditions.empty()) {
    if (HeadersFail(response, conditions)) return {false, FailureReason::kHeaderMismatch};
    if (BodyFails(response, conditions)) return {false, FailureReason::kBodyMismatch};
  }
  if (latency_budget && response.total > *latency_budget) return {false, FailureReason::kSlow};
  return {true, std::nullopt};
}

Outcome ClassifyGrpc(const Response& response, const std::optional<StatusMatcher>& expected_codes) {
  if (response.transport_failure) return {false, response.transport_failure};
  if (!response.grpc_code) return {false, FailureReason::kBadResponse};
  const int code = *response.grpc_code;
  if (expected_codes) {
    if (expected_codes->Matches(code)) return {true, std::nullopt};
    return {false, FailureReason::kGrpcStatus};
  }
  switch (code) {
    case grpc_health::kOk:
      if (response.grpc_serving_status && *response.grpc_serving_status != grpc_health::kServing) {
        return {false, FailureReason::kGrpcNotServing};
      }
      return {true, std::nullopt};
    case grpc_health::kNotFound:
      return {false, FailureReason::kGrpcServiceUnknown};
    case grpc_health::kUnimplemented:
      return {false, FailureReason::kGrpcUnimplemented};
    case grpc_health::kUnavailable:
      return {false, FailureReason::kGrpcUnavailable};
    default:
      return {false, FailureReason::kGrpcStatus};
  }
}

}  // namespace healthgap::eval
