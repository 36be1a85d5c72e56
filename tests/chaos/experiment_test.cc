// The experiment's phases and verdicts on a fake clock, against a simulated application whose
// health check and API each do or do not depend on the broken dependency, behind a simulated
// balancer with consecutive-result thresholds.

#include "chaos/experiment.h"

#include <gtest/gtest.h>

#include <functional>
#include <random>

namespace healthgap::chaos {
namespace {

using namespace std::chrono_literals;

struct RecordingSwitch : FaultSwitch {
  void Apply(const Fault& fault) override {
    applied.push_back(fault);
    broken = true;
  }
  void Restore() override {
    ++restores;
    broken = false;
  }
  std::vector<Fault> applied;
  int restores = 0;
  bool broken = false;
};

// An application and the balancer in front of it. Each round takes `round_time` on the clock.
struct SimulatedTarget : RoundProber {
  SimulatedTarget(FakeClock& clock, const RecordingSwitch& faults) : clock(clock), faults(faults) {}

  RoundObservation Round() override {
    clock.Advance(round_time);
    RoundObservation round;
    const int checks = rounds++ % health_every == 0 ? checks_per_round : 0;
    for (int c = 0; c < checks; ++c) {
      const bool broken = faults.broken || (stays_broken_after && !faults.applied.empty());
      HealthResult check{.at = clock.Now() - round_time + (c + 1) * round_time / checks_per_round};
      check.passed = !(broken && health_checks_dependency) && !health_always_fails;
      passes = check.passed ? passes + 1 : 0;
      failures = check.passed ? 0 : failures + 1;
      if (failures >= unhealthy_threshold) in_rotation = false;
      if (passes >= healthy_threshold) in_rotation = true;
      check.in_rotation = in_rotation;
      round.health.push_back(check);
    }
    round.in_rotation = in_rotation;
    Sample(round);
    return round;
  }

  void Sample(RoundObservation& round) {
    const bool broken = faults.broken || (stays_broken_after && !faults.applied.empty());
    round.api_requests = samples_per_round;
    for (int i = 0; i < samples_per_round; ++i) {
      const double p =
          broken && api_needs_dependency ? broken_api_failure_rate : healthy_failure_rate;
      if (uniform(random) < p) ++round.api_failures;
    }
    if (on_round) on_round();
  }

  FakeClock& clock;
  const RecordingSwitch& faults;
  Duration round_time = 10ms;
  bool health_checks_dependency = true;
  bool api_needs_dependency = true;
  bool health_always_fails = false;
  bool stays_broken_after = false;
  double broken_api_failure_rate = 1.0;
  double healthy_failure_rate = 0.0;
  int samples_per_round = 2;
  int health_every = 1;      // rounds: 1 checks health in every round
  int checks_per_round = 1;  // the balancer checking more often than users call
  int rounds = 0;
  int healthy_threshold = 2;
  int unhealthy_threshold = 2;
  bool in_rotation = false;
  int passes = 0;
  int failures = 0;
  std::mt19937 random{1};
  std::uniform_real_distribution<double> uniform{0.0, 1.0};
  std::function<void()> on_round;
};

ExperimentSettings Settings() {
  ExperimentSettings settings;
  settings.interval = 1s;
  settings.steady = 3s;
  settings.fault = 10s;
  settings.recovery = 20s;
  settings.max_ejection = 5s;
  return settings;
}

class ExperimentTest : public ::testing::Test {
 protected:
  ExperimentResult Run(const ExperimentSettings& settings = Settings()) {
    return RunExperiment("postgres", {.kind = FaultKind::kRefuse}, faults_, target_, clock_,
                         settings, &stop_);
  }

  FakeClock clock_;
  RecordingSwitch faults_;
  SimulatedTarget target_{clock_, faults_};
  std::atomic<bool> stop_{false};
};

TEST_F(ExperimentTest, ADeepHealthCheckIsCoveredAndTheCostIsTheRoundsBeforeEjection) {
  const ExperimentResult result = Run();
  EXPECT_EQ(result.verdict, ChaosVerdict::kCovered);
  ASSERT_EQ(faults_.applied.size(), 1u);
  EXPECT_EQ(faults_.restores, 1);
  EXPECT_EQ(result.fault_rounds, 10);
  EXPECT_EQ(result.health_rounds, 10);
  EXPECT_EQ(result.health_failures, 10);
  // The first round after the fault fails; the second takes it out (unhealthy threshold 2).
  ASSERT_TRUE(result.detected_after);
  EXPECT_LE(*result.detected_after, 1s);
  ASSERT_TRUE(result.ejected_after);
  EXPECT_GT(*result.ejected_after, 1s);
  EXPECT_LE(*result.ejected_after, 2s);
  EXPECT_EQ(result.api_requests, 20);
  EXPECT_EQ(result.api_failures, 20);
  // Both rounds sent while the backend was still in rotation: 2 x 2 samples.
  EXPECT_EQ(result.api_failures_in_rotation, 4);
  EXPECT_TRUE(result.recovered);
  ASSERT_TRUE(result.recovered_after);
  EXPECT_LE(*result.recovered_after, 3s);  // healthy threshold 2, one round a second
}

TEST_F(ExperimentTest, AShallowHealthCheckIsNotCoveredAndEveryFailureReachedUsers) {
  target_.health_checks_dependency = false;
  const ExperimentResult result = Run();
  EXPECT_EQ(result.verdict, ChaosVerdict::kNotCovered);
  EXPECT_EQ(result.health_failures, 0);
  EXPECT_FALSE(result.detected_after);
  EXPECT_FALSE(result.ejected_after);
  EXPECT_EQ(result.api_failures, 20);
  EXPECT_EQ(result.api_failures_in_rotation, 20);
  EXPECT_GT(result.api_failure_share.low, Settings().max_error_ratio);
  EXPECT_TRUE(IsFailure(result.verdict));
}

TEST_F(ExperimentTest, OnlyRoundsThatSentTheHealthChecksCountAsHealthRounds) {
  target_.health_every = 3;  // the API sampled three times as often as the balancer checks
  ExperimentSettings settings = Settings();
  settings.max_ejection = 10s;  // two checks 3 s apart
  const ExperimentResult result = Run(settings);
  EXPECT_EQ(result.verdict, ChaosVerdict::kCovered);
  EXPECT_EQ(result.fault_rounds, 10);
  EXPECT_LE(result.health_rounds, 4);
  EXPECT_GE(result.health_rounds, 3);
  EXPECT_EQ(result.health_failures, result.health_rounds);
  EXPECT_EQ(result.api_requests, 20);
}

TEST_F(ExperimentTest, ABalancerCheckingFasterThanUsersCallIsTimedByItsOwnChecks) {
  target_.checks_per_round = 4;  // a check every 250 ms, a round of samples every second
  const ExperimentResult result = Run();
  EXPECT_EQ(result.verdict, ChaosVerdict::kCovered);
  EXPECT_EQ(result.health_rounds, 40);
  // Out after two failed checks, 250 ms apart: within the first round of samples.
  ASSERT_TRUE(result.ejected_after);
  EXPECT_LE(*result.ejected_after, 1s);
  EXPECT_EQ(result.api_failures_in_rotation, 2);
}

// A shallow check behind a balancer whose first result after the fault started completed just
// before it: that result is the steady state's, not evidence about the fault.
struct StaleFirstCheckProber : RoundProber {
  StaleFirstCheckProber(FakeClock& clock, const RecordingSwitch& faults)
      : clock(clock), faults(faults) {}
  RoundObservation Round() override {
    const TimePoint before = clock.Now();
    clock.Advance(1s);
    RoundObservation round{.health = {}, .in_rotation = true, .api_requests = 2};
    round.api_failures = faults.broken ? 2 : 0;
    const bool stale = faults.broken && !sent_stale;
    sent_stale = sent_stale || stale;
    round.health.push_back(
        {.at = stale ? before - 1ms : clock.Now(), .passed = true, .in_rotation = true});
    return round;
  }
  FakeClock& clock;
  const RecordingSwitch& faults;
  bool sent_stale = false;
};

TEST(ExperimentEvidenceTest, AChecksResultFromBeforeTheFaultIsNotItsEvidence) {
  FakeClock clock;
  RecordingSwitch faults;
  StaleFirstCheckProber prober(clock, faults);
  const ExperimentResult result =
      RunExperiment("postgres", {.kind = FaultKind::kTimeout}, faults, prober, clock, Settings());
  EXPECT_EQ(result.verdict, ChaosVerdict::kNotCovered);
  EXPECT_EQ(result.fault_rounds, 10);
  EXPECT_EQ(result.health_rounds, 9);
}

TEST_F(ExperimentTest, ABalancerTooSlowToActIsCoveredSlowly) {
  target_.unhealthy_threshold = 8;  // 8 rounds a second apart: later than max_ejection (5 s)
  const ExperimentResult result = Run();
  EXPECT_EQ(result.verdict, ChaosVerdict::kCoveredSlowly);
  ASSERT_TRUE(result.ejected_after);
  EXPECT_GT(*result.ejected_after, 5s);
  EXPECT_EQ(result.api_failures_in_rotation, 16);
}

TEST_F(ExperimentTest, HealthThatNoticesButNeverEjectsWithinTheFaultIsCoveredSlowly) {
  target_.unhealthy_threshold = 50;
  const ExperimentResult result = Run();
  EXPECT_EQ(result.verdict, ChaosVerdict::kCoveredSlowly);
  EXPECT_TRUE(result.detected_after);
  EXPECT_FALSE(result.ejected_after);
}

TEST_F(ExperimentTest, ADependencyUsersDoNotNeedHasNoImpact) {
  target_.health_checks_dependency = false;
  target_.api_needs_dependency = false;
  target_.samples_per_round = 10;
  const ExperimentResult result = Run();
  EXPECT_EQ(result.verdict, ChaosVerdict::kNoImpact);
  EXPECT_EQ(result.api_failures, 0);
  EXPECT_FALSE(IsFailure(result.verdict));
}

TEST_F(ExperimentTest, OneFailedRequestIsNoVerdict) {
  target_.health_checks_dependency = false;
  target_.samples_per_round = 1;
  ExperimentSettings settings = Settings();
  settings.fault = 1s;  // one round: 1 failure of 1 could be bad luck at 99 %
  const ExperimentResult result = Run(settings);
  EXPECT_EQ(result.api_failures, 1);
  EXPECT_EQ(result.api_requests, 1);
  EXPECT_EQ(result.verdict, ChaosVerdict::kInconclusive);
}

TEST_F(ExperimentTest, WithoutASteadyStateTheFaultIsNeverApplied) {
  target_.health_always_fails = true;
  const ExperimentResult result = Run();
  EXPECT_EQ(result.verdict, ChaosVerdict::kNoSteadyState);
  EXPECT_TRUE(result.steady_state_problem.starts_with("the health check failed "))
      << result.steady_state_problem;
  EXPECT_TRUE(faults_.applied.empty());
  // It waited steady + recovery for the target to become healthy, no longer.
  EXPECT_LE(clock_.Now() - (FakeClock().Now()), 24s);
}

TEST_F(ExperimentTest, ABrokenApiBeforeTheFaultIsNoSteadyState) {
  target_.healthy_failure_rate = 1.0;
  const ExperimentResult result = Run();
  EXPECT_EQ(result.verdict, ChaosVerdict::kNoSteadyState);
  EXPECT_TRUE(result.steady_state_problem.starts_with("the API failed "))
      << result.steady_state_problem;
}

TEST_F(ExperimentTest, AnInterruptedExperimentRestoresTheDependency) {
  target_.on_round = [&] {
    if (faults_.broken) stop_ = true;
  };
  const ExperimentResult result = Run();
  EXPECT_EQ(result.verdict, ChaosVerdict::kInterrupted);
  EXPECT_EQ(faults_.restores, 1);
  EXPECT_FALSE(faults_.broken);
  EXPECT_EQ(result.fault_rounds, 1);
}

TEST_F(ExperimentTest, ATargetThatStaysBrokenDidNotRecover) {
  target_.stays_broken_after = true;
  const ExperimentResult result = Run();
  EXPECT_EQ(result.verdict, ChaosVerdict::kCovered);
  EXPECT_FALSE(result.recovered);
  EXPECT_FALSE(result.recovered_after);
}

TEST_F(ExperimentTest, RoundsLongerThanTheIntervalFollowEachOtherWithoutCatchUpBursts) {
  target_.round_time = 2500ms;  // a hanging API: each round takes 2.5 intervals
  const ExperimentResult result = Run();
  // 10 s of fault at 2.5 s a round: 4 rounds (the last starting at 7.5 s), not 10.
  EXPECT_EQ(result.fault_rounds, 4);
}

// Over many seeded runs: a shallow check in front of an API that fails half the time is called
// not_covered (never no_impact), and an API with 2 % background failures whose dependency does
// not matter is never called not_covered.
TEST(ExperimentStatisticsTest, VerdictsHoldOverManySeededRuns) {
  int not_covered = 0;
  int false_alarms = 0;
  constexpr int kRuns = 300;
  for (int seed = 0; seed < kRuns; ++seed) {
    {
      FakeClock clock;
      RecordingSwitch faults;
      SimulatedTarget target(clock, faults);
      target.random.seed(seed);
      target.health_checks_dependency = false;
      target.broken_api_failure_rate = 0.5;
      target.samples_per_round = 3;
      const ExperimentResult result =
          RunExperiment("pg", {.kind = FaultKind::kTimeout}, faults, target, clock, Settings());
      EXPECT_NE(result.verdict, ChaosVerdict::kNoImpact) << "seed " << seed;
      not_covered += result.verdict == ChaosVerdict::kNotCovered;
    }
    {
      FakeClock clock;
      RecordingSwitch faults;
      SimulatedTarget target(clock, faults);
      target.random.seed(seed);
      target.health_checks_dependency = false;
      target.api_needs_dependency = false;
      target.healthy_failure_rate = 0.02;
      target.samples_per_round = 3;
      const ExperimentResult result =
          RunExperiment("cache", {.kind = FaultKind::kTimeout}, faults, target, clock, Settings());
      false_alarms += result.verdict == ChaosVerdict::kNotCovered;
    }
  }
  // 15 failures of 30 on average, the 99 % interval's low end above 0.2 from about 12 on.
  EXPECT_GE(not_covered, kRuns * 9 / 10);
  EXPECT_EQ(false_alarms, 0);
}

}  // namespace
}  // namespace healthgap::chaos
