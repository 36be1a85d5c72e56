#include "demo/mode.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace healthgap::demo {
namespace {

TEST(DemoModeTest, EveryModeRoundTripsThroughItsCliName) {
  ASSERT_EQ(AllDemoModes().size(), 12u);
  std::set<std::string> names;
  for (DemoMode mode : AllDemoModes()) {
    names.insert(std::string(ToString(mode)));
    EXPECT_EQ(ParseDemoMode(ToString(mode)), mode) << ToString(mode);
  }
  EXPECT_EQ(names,
            (std::set<std::string>{"honest", "shallow-health", "pool-exhaustion", "cached-health",
                                   "deadlock", "false-negative", "degraded", "flaky", "slow",
                                   "detached", "tcp-checked", "grpc-checked"}));
}

TEST(DemoModeTest, TheBalancersCheckTypeFollowsTheMode) {
  EXPECT_EQ(HealthCheckTypeFor(DemoMode::kTcpChecked), "tcp");
  EXPECT_EQ(HealthCheckTypeFor(DemoMode::kGrpcChecked), "grpc");
  EXPECT_EQ(HealthCheckTypeFor(DemoMode::kShallowHealth), "http");
  EXPECT_EQ(ExpectationFor(DemoMode::kTcpChecked).expected_verdict, "mismatch");
  EXPECT_EQ(ExpectationFor(DemoMode::kGrpcChecked).expected_verdict, "mismatch");
}

TEST(DemoModeTest, ParseRejectsUnknownNames) {
  EXPECT_FALSE(ParseDemoMode("").has_value());
  EXPECT_FALSE(ParseDemoMode("bogus").has_value());
  EXPECT_FALSE(ParseDemoMode("Honest").has_value());
  EXPECT_FALSE(ParseDemoMode("deadlock ").has_value());
  EXPECT_FALSE(ParseDemoMode("shallow_health").has_value());
}

TEST(DemoModeTest, NamesListsEveryMode) {
  EXPECT_EQ(DemoModeNames(),
            "honest, shallow-health, pool-exhaustion, cached-health, deadlock, false-negative, "
            "degraded, flaky, slow, detached, tcp-checked, grpc-checked");
}

TEST(DemoModeTest, ExpectedVerdicts) {
  EXPECT_EQ(ExpectationFor(DemoMode::kHonest).expected_verdict, "healthy");
  EXPECT_EQ(ExpectationFor(DemoMode::kShallowHealth).expected_verdict, "mismatch");
  EXPECT_EQ(ExpectationFor(DemoMode::kPoolExhaustion).expected_verdict, "mismatch");
  EXPECT_EQ(ExpectationFor(DemoMode::kCachedHealth).expected_verdict, "mismatch");
  EXPECT_EQ(ExpectationFor(DemoMode::kDeadlock).expected_verdict, "mismatch");
  EXPECT_EQ(ExpectationFor(DemoMode::kFalseNegative).expected_verdict, "false-negative");
  EXPECT_EQ(ExpectationFor(DemoMode::kDegraded).expected_verdict, "degraded");
  EXPECT_EQ(ExpectationFor(DemoMode::kFlaky).expected_verdict, "healthy");
  EXPECT_EQ(ExpectationFor(DemoMode::kSlow).expected_verdict, "healthy");
  EXPECT_EQ(ExpectationFor(DemoMode::kDetached).expected_verdict, "mismatch");
}

TEST(DemoModeTest, ExpectedCauses) {
  EXPECT_EQ(ExpectationFor(DemoMode::kHonest).expected_cause, "none");
  EXPECT_EQ(ExpectationFor(DemoMode::kShallowHealth).expected_cause, "shallow_check");
  EXPECT_EQ(ExpectationFor(DemoMode::kPoolExhaustion).expected_cause, "pool_exhaustion");
  EXPECT_EQ(ExpectationFor(DemoMode::kCachedHealth).expected_cause, "cached_health");
  EXPECT_EQ(ExpectationFor(DemoMode::kDeadlock).expected_cause, "detached_health");
  EXPECT_EQ(ExpectationFor(DemoMode::kFalseNegative).expected_cause, "health_failing");
  EXPECT_EQ(ExpectationFor(DemoMode::kDegraded).expected_cause, "degraded_body");
  EXPECT_EQ(ExpectationFor(DemoMode::kFlaky).expected_cause, "none");
  EXPECT_EQ(ExpectationFor(DemoMode::kSlow).expected_cause, "none");
  EXPECT_EQ(ExpectationFor(DemoMode::kDetached).expected_cause, "detached_health");
}

// The verdict follows from the two observations the same way eval does; a mode whose flags
// disagree with its verdict would make the demo contradict itself.
TEST(DemoModeTest, VerdictAgreesWithObservations) {
  for (DemoMode mode : AllDemoModes()) {
    const DemoExpectation expectation = ExpectationFor(mode);
    std::string_view implied;
    if (expectation.health_passes) {
      implied = !expectation.api_passes            ? "mismatch"
                : expectation.body_reports_failure ? "degraded"
                                                   : "healthy";
    } else {
      implied = expectation.api_passes ? "false-negative" : "down";
    }
    EXPECT_EQ(expectation.expected_verdict, implied) << ToString(mode);
    EXPECT_FALSE(expectation.explanation.empty()) << ToString(mode);
  }
}

}  // namespace
}  // namespace healthgap::demo
