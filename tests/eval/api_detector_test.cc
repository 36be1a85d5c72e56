// The user view's detector on a fake clock: how fast it calls an outage and a recovery, and
// that a flaky backend never turns it, over many seeded runs. Each run samples as the engine
// does: every interval, or every interval/8 while the detector is unsettled. The table printed
// beside the assertions puts the window rule it replaced (error ratio over a 2 m window above
// 20%) next to it.

#include "eval/api_detector.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <random>
#include <vector>

#include "eval/sample_window.h"

namespace healthgap::eval {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr Duration kInterval = seconds(5);
constexpr Duration kWindow = seconds(120);
constexpr int kSpeedup = 8;  // the engine's confirmation pace (engine/target_state.cc)

DetectorSettings Settings() { return DetectorSettings{}; }

// Either rule, behind one face: the detector, or the window rule it replaced.
class Rule {
 public:
  explicit Rule(bool detector)
      : detector_(detector), detector_rule_(kWindow, Settings()), window_(kWindow) {}
  void Record(TimePoint at, bool success) {
    if (detector_) return detector_rule_.Record(at, success);
    Outcome outcome;
    outcome.success = success;
    if (!success) outcome.reason = FailureReason::kStatus;
    window_.Add(SampleRecord{at, outcome, milliseconds(1)});
    state_ = JudgeWindow(window_.Summarize(at), ApiThresholds{0.2, 5});
  }
  ApiState state() const { return detector_ ? detector_rule_.state() : state_; }
  Duration NextDelay() const {
    return detector_ && detector_rule_.unsettled() ? kInterval / kSpeedup : kInterval;
  }

 private:
  bool detector_;
  ApiDetector detector_rule_;
  SampleWindow window_;
  ApiState state_ = ApiState::kWaiting;
};

// Samples `rule` from t=phase on, each request failing with fails(t)'s probability, until
// `until`; calls `seen` after each sample.
void Sample(Rule& rule, std::mt19937_64& random, Duration phase, Duration until,
            const std::function<double(Duration)>& fails,
            const std::function<void(Duration, ApiState)>& seen) {
  for (Duration t = phase; t < until; t += rule.NextDelay()) {
    std::bernoulli_distribution failed(fails(t));
    rule.Record(TimePoint{} + t, !failed(random));
    seen(t, rule.state());
  }
}

struct Figures {
  double worst_intervals = 0;
  double median_intervals = 0;
};

Figures Summarize(std::vector<double> times) {
  std::sort(times.begin(), times.end());
  return {times.back(), times[times.size() / 2]};
}

constexpr int kRuns = 200;

// A backend failing 1% of requests goes fully down at `change` and comes back at `back`;
// when does each rule notice each?
struct OutageTimes {
  Figures onset;
  Figures recovery;
};

OutageTimes MeasureOutage(bool detector, double background) {
  std::vector<double> onsets;
  std::vector<double> recoveries;
  const Duration change = seconds(600);
  const Duration back = seconds(1200);
  for (int run = 0; run < kRuns; ++run) {
    std::mt19937_64 random(static_cast<std::uint64_t>(run));
    Rule rule(detector);
    // Each run's sampling phase differs, as targets' do.
    const Duration phase{
        std::uniform_int_distribution<Duration::rep>(0, kInterval.count())(random)};
    std::optional<Duration> failing_at;
    std::optional<Duration> working_at;
    Sample(
        rule, random, phase, seconds(2400),
        [&](Duration t) { return t >= change && t < back ? 1.0 : background; },
        [&](Duration t, ApiState state) {
          if (t >= change && !failing_at && state == ApiState::kFailing) failing_at = t;
          if (t >= back && !working_at && state == ApiState::kWorking) working_at = t;
        });
    EXPECT_TRUE(failing_at && working_at) << "run " << run;
    if (!failing_at || !working_at) continue;
    onsets.push_back(std::chrono::duration<double>(*failing_at - change) / kInterval);
    recoveries.push_back(std::chrono::duration<double>(*working_at - back) / kInterval);
  }
  return {Summarize(onsets), Summarize(recoveries)};
}

// Times the rule turned failing while the backend failed `share` of requests at random, over
// kRuns runs of `samples` each.
int FalseAlarms(bool detector, double share, int samples) {
  int alarms = 0;
  for (int run = 0; run < kRuns / 10; ++run) {
    std::mt19937_64 random(1000 + static_cast<std::uint64_t>(run));
    Rule rule(detector);
    ApiState last = ApiState::kWaiting;
    int taken = 0;
    Sample(
        rule, random, Duration{0}, kInterval * samples * 2, [&](Duration) { return share; },
        [&](Duration, ApiState state) {
          if (++taken > samples) return;
          if (state == ApiState::kFailing && last != ApiState::kFailing) ++alarms;
          last = state;
        });
  }
  return alarms;
}

TEST(ApiDetectorTest, AnOutageIsCalledWithinTwoIntervalsAndItsEndWithinTwo) {
  const OutageTimes before = MeasureOutage(false, 0.0);
  const OutageTimes after = MeasureOutage(true, 0.0);
  // A backend that also fails 1% of requests when well: a failure amid the recovery run
  // restarts it.
  const OutageTimes noisy = MeasureOutage(true, 0.01);
  std::printf("%-34s %-22s %-22s\n", "full outage, 5 s interval", "window rule (before)",
              "detector (after)");
  std::printf("%-34s median %4.2f worst %5.2f  median %4.2f worst %4.2f\n", "onset, in intervals",
              before.onset.median_intervals, before.onset.worst_intervals,
              after.onset.median_intervals, after.onset.worst_intervals);
  std::printf("%-34s median %4.2f worst %5.2f  median %4.2f worst %4.2f\n",
              "recovery, in intervals", before.recovery.median_intervals,
              before.recovery.worst_intervals, after.recovery.median_intervals,
              after.recovery.worst_intervals);
  std::printf("%-34s median %4.2f worst %5.2f  median %4.2f worst %4.2f\n",
              "same, 1% failures when well", 0.0, 0.0, noisy.recovery.median_intervals,
              noisy.recovery.worst_intervals);
  EXPECT_LE(after.onset.worst_intervals, 2.0);
  EXPECT_LE(after.recovery.worst_intervals, 2.0);
  EXPECT_LE(noisy.onset.worst_intervals, 2.0);
}

TEST(ApiDetectorTest, AFivePercentFlakyBackendNeverTurnsItFailing) {
  constexpr int kSamples = 10'000;
  const int before = FalseAlarms(false, 0.05, kSamples);
  const int after = FalseAlarms(true, 0.05, kSamples);
  std::printf(
      "5%% flaky, %d runs of %d samples: false failing %d (window rule) vs %d "
      "(detector)\n",
      kRuns / 10, kSamples, before, after);
  EXPECT_EQ(after, 0);
}

// A partial failure well above the threshold is still called, by the window's interval.
TEST(ApiDetectorTest, FortyPercentFailuresAreCalledAndStayCalled) {
  std::vector<double> onsets;
  int flips = 0;
  for (int run = 0; run < kRuns; ++run) {
    std::mt19937_64 random(5000 + static_cast<std::uint64_t>(run));
    Rule rule(true);
    std::optional<Duration> failing_at;
    ApiState last = ApiState::kWaiting;
    Sample(
        rule, random, Duration{0}, seconds(1800),
        [](Duration t) { return t >= seconds(300) ? 0.4 : 0.0; },
        [&](Duration t, ApiState state) {
          if (failing_at && state != last) ++flips;  // changes after the first call
          if (t >= seconds(300) && !failing_at && state == ApiState::kFailing) failing_at = t;
          last = state;
        });
    ASSERT_TRUE(failing_at) << "run " << run;
    onsets.push_back(std::chrono::duration<double>(*failing_at - seconds(300)) / kInterval);
  }
  const Figures onset = Summarize(onsets);
  std::printf(
      "40%% failures: called after median %.1f, worst %.1f intervals; %d state changes "
      "in %d runs of 25 m after that\n",
      onset.median_intervals, onset.worst_intervals, flips, kRuns);
  // Slower than an outage: the window must shed the successes from before the failure began
  // (a median of 17 intervals, a worst of 70 in these runs).
  EXPECT_LE(onset.worst_intervals, 90.0);
  // Called by a run of 6 failures (0.4^6 of the time) the evidence is that run, and a recovery
  // run of 9 can follow by chance before the share is known: rare, not never (23 in 200 runs).
  EXPECT_LE(flips, kRuns / 4);
}

TEST(ApiDetectorTest, WaitsForMinSamplesAndThenJudges) {
  ApiDetector detector(kWindow, Settings());
  TimePoint t{};
  for (int i = 0; i < 4; ++i) detector.Record(t += seconds(5), true);
  EXPECT_EQ(detector.state(), ApiState::kWaiting);
  detector.Record(t += seconds(5), true);
  EXPECT_EQ(detector.state(), ApiState::kWorking);
  EXPECT_FALSE(detector.unsettled());
  detector.Record(t += seconds(5), false);
  EXPECT_TRUE(detector.unsettled());  // a failure while working: confirm it
  detector.Record(t += seconds(1), true);
  EXPECT_FALSE(detector.unsettled());
  EXPECT_EQ(detector.state(), ApiState::kWorking);
}

TEST(ApiDetectorTest, EvidenceIsBounded) {
  DetectorSettings settings = Settings();
  settings.max_samples = 50;
  ApiDetector detector(kWindow, settings);
  TimePoint t{};
  for (int i = 0; i < 100; ++i) detector.Record(t += milliseconds(10), i % 2 == 0);
  const ProportionEstimate evidence = detector.Evidence(t);
  EXPECT_EQ(evidence.trials, 50);
  EXPECT_EQ(evidence.events, 25);  // the newest 50, half of them failed
}

TEST(ApiDetectorTest, EvidenceRestartsAtEachChange) {
  ApiDetector detector(kWindow, Settings());
  TimePoint t{};
  for (int i = 0; i < 20; ++i) detector.Record(t += seconds(1), true);
  for (int i = 0; i < 6; ++i) detector.Record(t += seconds(1), false);
  EXPECT_EQ(detector.state(), ApiState::kFailing);
  // The evidence is the outage's 6 failures, not the 20 successes before it.
  const ProportionEstimate failing = detector.Evidence(t);
  EXPECT_EQ(failing.trials, 6);
  EXPECT_EQ(failing.events, 6);
  for (int i = 0; i < 9; ++i) detector.Record(t += seconds(1), true);
  EXPECT_EQ(detector.state(), ApiState::kWorking);
  EXPECT_EQ(detector.Evidence(t).trials, 9);
  EXPECT_EQ(detector.Evidence(t).events, 0);
  // And it ages out with the window.
  EXPECT_EQ(detector.Evidence(t + kWindow + seconds(1)).trials, 0);
}

}  // namespace
}  // namespace healthgap::eval
