#include "eval/lb_view.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

namespace healthgap::eval {
namespace {

// One scenario: thresholds, then the results fed in, then the state expected after each one.
struct LbCase {
  std::string name;
  int healthy_threshold;
  int unhealthy_threshold;
  std::string results;  // 's' success, 'f' failure
  std::vector<LbState> expected;
};

constexpr LbState U = LbState::kUnknown;
constexpr LbState H = LbState::kHealthy;
constexpr LbState X = LbState::kUnhealthy;

// Names the case in test listings instead of dumping its bytes.
void PrintTo(const LbCase& lb_case, std::ostream* out) { *out << lb_case.name; }

class LbViewTransitions : public ::testing::TestWithParam<LbCase> {};

TEST_P(LbViewTransitions, StateAfterEachResult) {
  const LbCase& c = GetParam();
  ASSERT_EQ(c.results.size(), c.expected.size());
  LbView view(c.healthy_threshold, c.unhealthy_threshold);
  EXPECT_EQ(view.state(), LbState::kUnknown);
  for (std::size_t i = 0; i < c.results.size(); ++i) {
    view.Record(c.results[i] == 's');
    EXPECT_EQ(view.state(), c.expected[i])
        << "after result #" << i << " ('" << c.results[i] << "'): got " << ToString(view.state());
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, LbViewTransitions,
    ::testing::Values(
        LbCase{"HealthyAfterThresholdSuccesses", 2, 3, "ss", {U, H}},
        LbCase{"UnhealthyAfterThresholdFailures", 2, 3, "fff", {U, U, X}},
        LbCase{"StaysHealthyBelowUnhealthyThreshold", 2, 3, "ssff", {U, H, H, H}},
        LbCase{"HealthyThenOut", 2, 3, "ssfff", {U, H, H, H, X}},
        LbCase{"SuccessResetsFailureStreak", 2, 3, "ssffsff", {U, H, H, H, H, H, H}},
        LbCase{"FailureResetsSuccessStreak", 3, 2, "ffssfss", {U, X, X, X, X, X, X}},
        LbCase{"RecoversAfterThresholdSuccesses", 3, 2, "ffsss", {U, X, X, X, H}},
        LbCase{"FlappingNeverLeavesUnknown", 2, 2, "sfsfsfsf", {U, U, U, U, U, U, U, U}},
        LbCase{"FlappingNeverLeavesHealthy", 2, 2, "sssfsfsf", {U, H, H, H, H, H, H, H}},
        LbCase{"FlappingNeverLeavesUnhealthy", 2, 2, "ffsfsfsf", {U, X, X, X, X, X, X, X}},
        LbCase{"ThresholdsOfOneFollowEveryResult", 1, 1, "sffssf", {H, X, X, H, H, X}},
        LbCase{"ZeroThresholdsBehaveAsOne", 0, 0, "sf", {H, X}}),
    [](const ::testing::TestParamInfo<LbCase>& info) { return info.param.name; });

TEST(LbView, CountsStreaks) {
  LbView view(2, 3);
  view.Record(true);
  view.Record(true);
  view.Record(true);
  EXPECT_EQ(view.consecutive_successes(), 3);
  EXPECT_EQ(view.consecutive_failures(), 0);
  view.Record(false);
  EXPECT_EQ(view.consecutive_successes(), 0);
  EXPECT_EQ(view.consecutive_failures(), 1);
}

// How each balancer starts (common/lb_model.h): 's' success, 'f' failure.
struct StartCase {
  std::string name;
  LbStart start;
  int healthy_threshold;
  int unhealthy_threshold;
  LbState before_any_check;
  std::string results;
  std::vector<LbState> expected;
};

// Readable test names in ctest instead of a byte dump.
void PrintTo(const StartCase& start_case, std::ostream* out) { *out << start_case.name; }

class LbStartTest : public ::testing::TestWithParam<StartCase> {};

TEST_P(LbStartTest, StartsAndMovesAsTheBalancerDoes) {
  const StartCase& c = GetParam();
  LbView view(c.healthy_threshold, c.unhealthy_threshold, c.start);
  EXPECT_EQ(view.state(), c.before_any_check);
  ASSERT_EQ(c.results.size(), c.expected.size());
  for (std::size_t i = 0; i < c.results.size(); ++i) {
    view.Record(c.results[i] == 's');
    EXPECT_EQ(view.state(), c.expected[i]) << "after result " << i + 1 << " of " << c.results;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Starts, LbStartTest,
    ::testing::Values(
        // HAProxy rise 2 fall 3: up before any check, one failure at start takes it down...
        StartCase{"HaproxyFirstFailureTakesItOut",
                  LbStart::kInRotationUntilFirstFailure,
                  2,
                  3,
                  H,
                  "fss",
                  {X, X, H}},
        // ...one pass at start makes it fully up: then it takes fall failures.
        StartCase{"HaproxyFirstPassMakesItFullyUp",
                  LbStart::kInRotationUntilFirstFailure,
                  2,
                  3,
                  H,
                  "sfffs",
                  {H, H, H, X, X}},
        StartCase{"NginxPlusStartsInRotation", LbStart::kInRotation, 1, 2, H, "fsff", {H, H, H, X}},
        StartCase{"KubernetesReadinessWaitsForSuccessThreshold",
                  LbStart::kOutOfRotation,
                  2,
                  3,
                  X,
                  "sfss",
                  {X, X, X, H}},
        StartCase{"EnvoyFirstPassAloneAdmits",
                  LbStart::kOutOfRotationUntilFirstPass,
                  2,
                  3,
                  X,
                  "sfff",
                  {H, H, H, X}},
        // Envoy's bypass is for the first check only.
        StartCase{"EnvoyAfterAFailedFirstCheckNeedsTheThreshold",
                  LbStart::kOutOfRotationUntilFirstPass,
                  2,
                  3,
                  X,
                  "fss",
                  {X, X, H}},
        StartCase{"AlbIsInitialUntilAThreshold", LbStart::kUndecided, 2, 2, U, "sfs", {U, U, U}}),
    [](const ::testing::TestParamInfo<StartCase>& info) { return info.param.name; });

// HAProxy's check pace follows these: inter fully up, fastinter in between, downinter down.
TEST(LbView, PhasesFollowHaproxysHealthCounter) {
  LbView view(2, 3, LbStart::kInRotationUntilFirstFailure);
  EXPECT_EQ(view.phase(), LbPhase::kTransitional);  // health = rise: not fully up yet
  view.Record(true);
  EXPECT_EQ(view.phase(), LbPhase::kFullyUp);
  view.Record(false);
  EXPECT_EQ(view.phase(), LbPhase::kTransitional);  // going down
  view.Record(false);
  view.Record(false);
  EXPECT_EQ(view.state(), LbState::kUnhealthy);
  EXPECT_EQ(view.phase(), LbPhase::kFullyDown);
  view.Record(true);
  EXPECT_EQ(view.phase(), LbPhase::kTransitional);  // coming up
  view.Record(true);
  EXPECT_EQ(view.phase(), LbPhase::kFullyUp);
}

TEST(LbView, StateNames) {
  EXPECT_EQ(ToString(LbState::kUnknown), "unknown");
  EXPECT_EQ(ToString(LbState::kHealthy), "healthy");
  EXPECT_EQ(ToString(LbState::kUnhealthy), "unhealthy");
}

}  // namespace
}  // namespace healthgap::eval
