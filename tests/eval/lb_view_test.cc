#include "eval/lb_view.h"

#include <gtest/gtest.h>

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

TEST(LbView, StateNames) {
  EXPECT_EQ(ToString(LbState::kUnknown), "unknown");
  EXPECT_EQ(ToString(LbState::kHealthy), "healthy");
  EXPECT_EQ(ToString(LbState::kUnhealthy), "unhealthy");
}

}  // namespace
}  // namespace healthgap::eval
