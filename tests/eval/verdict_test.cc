#include "eval/verdict.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <set>
#include <utility>

namespace healthgap::eval {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

HealthSummary Health(LbState state, int status = 200, Duration latency = milliseconds(2),
                     std::optional<FailureReason> error = std::nullopt) {
  return {state, status, latency, error};
}

HealthSummary HealthError(LbState state, std::optional<FailureReason> error) {
  return {state, 0, milliseconds(1), error};
}

WindowSummary Api(int total, std::initializer_list<std::pair<FailureReason, int>> failures = {}) {
  WindowSummary summary;
  summary.total = total;
  for (const auto& [reason, count] : failures) {
    summary.failures_by_reason[static_cast<std::size_t>(reason)] += count;
    summary.failures += count;
  }
  summary.error_ratio = total == 0 ? 0 : static_cast<double>(summary.failures) / total;
  return summary;
}

ApiThresholds Thresholds(double max_error_ratio = 0.2, int min_samples = 5) {
  return ApiThresholds{max_error_ratio, min_samples};
}

TEST(VerdictNames, AreStable) {
  EXPECT_EQ(ToString(Verdict::kUnknown), "unknown");
  EXPECT_EQ(ToString(Verdict::kHealthy), "healthy");
  EXPECT_EQ(ToString(Verdict::kMismatch), "mismatch");
  EXPECT_EQ(ToString(Verdict::kDown), "down");
  EXPECT_EQ(ToString(Verdict::kFalseNegative), "false-negative");
  EXPECT_EQ(ToString(Verdict::kDegraded), "degraded");
  std::set<std::string_view> names;
  for (Verdict v : kAllVerdicts) names.insert(ToString(v));
  EXPECT_EQ(names.size(), kAllVerdicts.size());
}

TEST(Decide, HealthyHasNoReason) {
  const Decision d = Decide(Health(LbState::kHealthy), Api(40), Thresholds());
  EXPECT_EQ(d.verdict, Verdict::kHealthy);
  EXPECT_EQ(d.reason, "");
}

TEST(Decide, MismatchWhenHealthyLbAndFailingApi) {
  const Decision d = Decide(Health(LbState::kHealthy, 200, milliseconds(2)),
                            Api(40, {{FailureReason::kTimeout, 38}}), Thresholds());
  EXPECT_EQ(d.verdict, Verdict::kMismatch);
  EXPECT_EQ(d.cause, Cause::kDetachedHealth);
  EXPECT_EQ(d.reason,
            "health check 200 in 2 ms while 38/40 API samples failed (timeout: 38): API requests "
            "stall while health answers in 2 ms: health check likely runs apart from request "
            "handlers (separate thread, deadlock)");
}

TEST(Decide, MismatchListsTopThreeReasonsByCount) {
  const Decision d = Decide(Health(LbState::kHealthy, 204, microseconds(400)),
                            Api(40, {{FailureReason::kStatus, 3},
                                     {FailureReason::kTimeout, 20},
                                     {FailureReason::kSlow, 3},
                                     {FailureReason::kDns, 1}}),
                            Thresholds());
  EXPECT_EQ(d.verdict, Verdict::kMismatch);
  EXPECT_EQ(d.reason,
            "health check 204 in 0.4 ms while 27/40 API samples failed "
            "(timeout: 20, status: 3, slow: 3): API requests stall while health answers in 0.4 "
            "ms: health check likely runs apart from request handlers (separate thread, "
            "deadlock)");
}

TEST(Decide, DownWhenUnhealthyLbAndFailingApi) {
  const Decision d = Decide(HealthError(LbState::kUnhealthy, FailureReason::kTimeout),
                            Api(40, {{FailureReason::kTimeout, 40}}), Thresholds());
  EXPECT_EQ(d.verdict, Verdict::kDown);
  EXPECT_EQ(d.reason, "health check failing (timeout) and 40/40 API samples failed (timeout: 40)");
}

TEST(Decide, FalseNegativeWhenUnhealthyLbAndWorkingApi) {
  const Decision d = Decide(HealthError(LbState::kUnhealthy, FailureReason::kConnectionRefused),
                            Api(40), Thresholds());
  EXPECT_EQ(d.verdict, Verdict::kFalseNegative);
  EXPECT_EQ(d.reason,
            "health check failing (connection_refused) while 40/40 API samples succeeded");
}

TEST(Decide, FalseNegativeWithStatusFailure) {
  const Decision d = Decide(Health(LbState::kUnhealthy, 503, milliseconds(1500)),
                            Api(10, {{FailureReason::kStatus, 1}}), Thresholds());
  EXPECT_EQ(d.verdict, Verdict::kFalseNegative);
  EXPECT_EQ(d.reason, "health check failing (503 in 1.5 s) while 9/10 API samples succeeded");
}

TEST(Decide, UnknownWhileLbUndecided) {
  const Decision d = Decide(Health(LbState::kUnknown), Api(40), Thresholds());
  EXPECT_EQ(d.verdict, Verdict::kUnknown);
  EXPECT_EQ(d.reason, "waiting for data: load balancer state not decided yet");
}

TEST(Decide, UnknownEvenIfApiFailsWhileLbUndecided) {
  const Decision d =
      Decide(Health(LbState::kUnknown), Api(40, {{FailureReason::kStatus, 40}}), Thresholds());
  EXPECT_EQ(d.verdict, Verdict::kUnknown);
}

TEST(Decide, UnknownBelowMinSamples) {
  const Decision d =
      Decide(Health(LbState::kHealthy), Api(4, {{FailureReason::kTimeout, 4}}), Thresholds(0.2, 5));
  EXPECT_EQ(d.verdict, Verdict::kUnknown);
  EXPECT_EQ(d.reason, "waiting for data: 4/5 API samples in window");
}

TEST(Decide, UnknownNamesBothMissingSides) {
  const Decision d = Decide(Health(LbState::kUnknown), Api(3), Thresholds(0.2, 5));
  EXPECT_EQ(d.reason,
            "waiting for data: load balancer state not decided yet, 3/5 API samples in "
            "window");
}

TEST(Decide, ExactlyMinSamplesDecides) {
  const Decision d =
      Decide(Health(LbState::kHealthy), Api(5, {{FailureReason::kTimeout, 5}}), Thresholds(0.2, 5));
  EXPECT_EQ(d.verdict, Verdict::kMismatch);
}

TEST(Decide, RatioExactlyAtThresholdIsNotFailing) {
  // 8/40 == 0.2 exactly in double arithmetic.
  const WindowSummary at_threshold = Api(40, {{FailureReason::kStatus, 8}});
  ASSERT_EQ(at_threshold.error_ratio, 0.2);
  EXPECT_EQ(Decide(Health(LbState::kHealthy), at_threshold, Thresholds(0.2)).verdict,
            Verdict::kHealthy);
  EXPECT_EQ(Decide(Health(LbState::kUnhealthy, 503), at_threshold, Thresholds(0.2)).verdict,
            Verdict::kFalseNegative);
}

TEST(Decide, RatioJustAboveThresholdIsFailing) {
  const WindowSummary above = Api(40, {{FailureReason::kStatus, 9}});
  EXPECT_EQ(Decide(Health(LbState::kHealthy), above, Thresholds(0.2)).verdict, Verdict::kMismatch);
  EXPECT_EQ(Decide(Health(LbState::kUnhealthy, 503), above, Thresholds(0.2)).verdict,
            Verdict::kDown);
}

TEST(Decide, ZeroToleranceFailsOnAnyError) {
  EXPECT_EQ(
      Decide(Health(LbState::kHealthy), Api(100, {{FailureReason::kSlow, 1}}), Thresholds(0.0))
          .verdict,
      Verdict::kMismatch);
  EXPECT_EQ(Decide(Health(LbState::kHealthy), Api(100), Thresholds(0.0)).verdict,
            Verdict::kHealthy);
}

TEST(TopFailureReasons, EmptyWithoutFailures) { EXPECT_EQ(TopFailureReasons({}), ""); }

TEST(TopFailureReasons, TiesKeepEnumOrderAndLimitApplies) {
  std::array<int, kFailureReasonCount> counts{};
  counts[static_cast<std::size_t>(FailureReason::kOther)] = 2;
  counts[static_cast<std::size_t>(FailureReason::kStatus)] = 2;
  counts[static_cast<std::size_t>(FailureReason::kTls)] = 5;
  EXPECT_EQ(TopFailureReasons(counts), "tls: 5, status: 2, other: 2");
  EXPECT_EQ(TopFailureReasons(counts, 1), "tls: 5");
}

TEST(DescribeLastHealthCheck, StatusErrorOrNothing) {
  EXPECT_EQ(DescribeLastHealthCheck(Health(LbState::kHealthy, 200, milliseconds(3))),
            "200 in 3 ms");
  EXPECT_EQ(DescribeLastHealthCheck(HealthError(LbState::kUnhealthy, FailureReason::kDns)), "dns");
  EXPECT_EQ(DescribeLastHealthCheck(HealthSummary{}), "no result yet");
}

// Causes: the bounded word behind each non-healthy verdict, strongest evidence first.

TEST(CauseNames, AreStableAndDistinct) {
  std::set<std::string_view> names;
  for (Cause c : kAllCauses) names.insert(ToString(c));
  EXPECT_EQ(names, (std::set<std::string_view>{
                       "none", "waiting", "shallow_check", "detached_health", "pool_exhaustion",
                       "cached_health", "degraded_body", "health_failing", "both_failing"}));
}

TEST(Decide, PlainVerdictsHaveTheirCauses) {
  EXPECT_EQ(Decide(Health(LbState::kHealthy), Api(40), Thresholds()).cause, Cause::kNone);
  EXPECT_EQ(Decide(Health(LbState::kUnknown), Api(40), Thresholds()).cause, Cause::kWaiting);
  EXPECT_EQ(Decide(Health(LbState::kUnhealthy, 503), Api(40), Thresholds()).cause,
            Cause::kHealthFailing);
  EXPECT_EQ(Decide(Health(LbState::kUnhealthy, 503), Api(40, {{FailureReason::kStatus, 40}}),
                   Thresholds())
                .cause,
            Cause::kBothFailing);
}

TEST(Decide, StatusFailuresWithFastApiAreAShallowCheck) {
  const Decision d = Decide(Health(LbState::kHealthy, 200, microseconds(400)),
                            Api(8, {{FailureReason::kStatus, 8}}), Thresholds());
  EXPECT_EQ(d.verdict, Verdict::kMismatch);
  EXPECT_EQ(d.cause, Cause::kShallowCheck);
  EXPECT_EQ(d.reason,
            "health check 200 in 0.4 ms while 8/8 API samples failed (status: 8): the health "
            "check does not exercise what the API needs (shallow check)");
}

TEST(Decide, StatusFailuresAfterALongWaitArePoolExhaustion) {
  Evidence evidence;
  evidence.detachment.detached = true;
  evidence.detachment.latency_ratio = 5000;
  WindowSummary api = Api(12, {{FailureReason::kStatus, 12}});
  api.latency_p50 = seconds(2);
  const Decision d =
      Decide(Health(LbState::kHealthy, 200, microseconds(400)), api, Thresholds(), evidence);
  EXPECT_EQ(d.cause, Cause::kPoolExhaustion);
  EXPECT_EQ(d.reason,
            "health check 200 in 0.4 ms while 12/12 API samples failed (status: 12): API "
            "requests wait 2 s then fail while health answers in 0.4 ms: likely an exhausted "
            "connection pool the health check does not use");
}

TEST(Decide, DetachedSignalQuotesTheLatencyRatio) {
  Evidence evidence;
  evidence.detachment.detached = true;
  evidence.detachment.latency_ratio = 6000;
  const Decision d = Decide(Health(LbState::kHealthy, 200, microseconds(500)),
                            Api(10, {{FailureReason::kTimeout, 10}}), Thresholds(), evidence);
  EXPECT_EQ(d.cause, Cause::kDetachedHealth);
  EXPECT_NE(d.reason.find("API requests stall (latency 6000x the health check's)"),
            std::string::npos)
      << d.reason;
}

TEST(Decide, CacheEvidenceBeatsEverythingElse) {
  Evidence evidence;
  evidence.cached = true;
  evidence.cache_evidence = {"Age: 35 s", "Cache-Control max-age=3600", "Date header stuck"};
  evidence.failing_components = {"redis"};
  const Decision d = Decide(Health(LbState::kHealthy), Api(8, {{FailureReason::kStatus, 8}}),
                            Thresholds(), evidence);
  EXPECT_EQ(d.cause, Cause::kCachedHealth);
  EXPECT_NE(d.reason.find("health answers come from a cache (Age: 35 s, Cache-Control "
                          "max-age=3600 and 1 more)"),
            std::string::npos)
      << d.reason;
}

TEST(Decide, FailingComponentWithWorkingApiIsDegraded) {
  Evidence evidence;
  evidence.failing_components = {"redis (error: connection refused)"};
  const Decision d =
      Decide(Health(LbState::kHealthy, 200, milliseconds(1)), Api(12), Thresholds(), evidence);
  EXPECT_EQ(d.verdict, Verdict::kDegraded);
  EXPECT_EQ(d.cause, Cause::kDegradedBody);
  EXPECT_EQ(d.reason,
            "health check 200 in 1 ms but its body reports failing: redis (error: connection "
            "refused); 12/12 API samples succeeded");
}

TEST(Decide, FailingComponentWithFailingApiIsAMismatchNamingIt) {
  Evidence evidence;
  evidence.failing_components = {"database (error: timeout)"};
  const Decision d = Decide(Health(LbState::kHealthy), Api(8, {{FailureReason::kStatus, 8}}),
                            Thresholds(), evidence);
  EXPECT_EQ(d.verdict, Verdict::kMismatch);
  EXPECT_EQ(d.cause, Cause::kDegradedBody);
  EXPECT_NE(d.reason.find("its own body reports failing: database (error: timeout)"),
            std::string::npos)
      << d.reason;
}

TEST(Decide, DegradedNeedsTheLbViewAndEnoughSamples) {
  Evidence evidence;
  evidence.failing_components = {"redis"};
  EXPECT_EQ(Decide(Health(LbState::kHealthy), Api(3), Thresholds(), evidence).verdict,
            Verdict::kUnknown);
  EXPECT_EQ(Decide(Health(LbState::kUnhealthy, 503), Api(12), Thresholds(), evidence).verdict,
            Verdict::kFalseNegative);
}

TEST(Decide, ReadinessNextToLivenessIsNamedAsTheEndpointThatShouldHaveCaughtIt) {
  Evidence evidence;
  evidence.role = HealthRole::kReadiness;
  evidence.path = "/ready";
  evidence.has_other_roles = true;
  const Decision d = Decide(Health(LbState::kHealthy), Api(8, {{FailureReason::kStatus, 8}}),
                            Thresholds(), evidence);
  EXPECT_TRUE(d.reason.starts_with("readiness check /ready 200 in 2 ms while")) << d.reason;
}

TEST(Decide, LivenessOnlySaysSo) {
  Evidence evidence;
  evidence.role = HealthRole::kLiveness;
  evidence.path = "/healthz";
  const Decision d = Decide(Health(LbState::kHealthy), Api(8, {{FailureReason::kStatus, 8}}),
                            Thresholds(), evidence);
  EXPECT_TRUE(d.reason.starts_with("liveness check /healthz 200 in 2 ms while")) << d.reason;
  EXPECT_TRUE(d.reason.ends_with(
      "; only a liveness check is configured, which says the process is up, not that it can "
      "serve: add a readiness check"))
      << d.reason;
}

}  // namespace
}  // namespace healthgap::eval
