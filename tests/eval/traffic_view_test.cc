// The user view from real traffic on a fake clock: an outage and a recovery called within a
// poll or two of busy traffic, a partial failure called from the segment, idle traffic and an
// empty window saying nothing; and over many seeded runs, a flaky but working backend never
// called failing. Polls every 2 s (a source's default interval), binomial traffic per poll.

#include "eval/traffic_view.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>

namespace healthgap::eval {
namespace {

using std::chrono::seconds;

constexpr Duration kPoll = seconds(2);
constexpr Duration kWindow = seconds(300);

TrafficSettings Settings() {
  return TrafficSettings{.max_error_ratio = 0.2, .min_request_rate = 0.2};
}

// One poll's worth of `rate` requests per second, each failing with probability `failing`.
struct Traffic {
  std::uint64_t requests;
  std::uint64_t failures;
};
Traffic Draw(std::mt19937& random, double rate, double failing) {
  std::poisson_distribution<std::uint64_t> requests(rate * ToSeconds(kPoll));
  const std::uint64_t n = requests(random);
  std::binomial_distribution<std::uint64_t> failures(n, failing);
  return {n, failures(random)};
}

// Polls (from `start`, for at most `polls`) until the view is in `state`; how many it took, or
// -1.
int PollsUntil(TrafficView& view, std::mt19937& random, TimePoint& at, double rate, double failing,
               ApiState state, int polls) {
  for (int i = 1; i <= polls; ++i) {
    at += kPoll;
    const Traffic traffic = Draw(random, rate, failing);
    view.Add(at, traffic.requests, traffic.failures);
    if (view.Summarize(at).state == state) return i;
  }
  return -1;
}

TEST(TrafficView, BusyTrafficCallsAnOutageAndARecoveryWithinAFewPolls) {
  int worst_outage = 0, worst_recovery = 0;
  for (unsigned seed = 1; seed <= 200; ++seed) {
    std::mt19937 random(seed);
    TrafficView view(kWindow, Settings());
    TimePoint at{};
    ASSERT_GT(PollsUntil(view, random, at, 10, 0.01, ApiState::kWorking, 10), 0);
    // A few minutes of working traffic first, so the window is full of it.
    for (int i = 0; i < 100; ++i) {
      at += kPoll;
      const Traffic traffic = Draw(random, 10, 0.01);
      view.Add(at, traffic.requests, traffic.failures);
    }
    const int outage = PollsUntil(view, random, at, 10, 1.0, ApiState::kFailing, 150);
    const int recovery = PollsUntil(view, random, at, 10, 0.0, ApiState::kWorking, 150);
    ASSERT_GT(outage, 0) << "seed " << seed;
    ASSERT_GT(recovery, 0) << "seed " << seed;
    worst_outage = std::max(worst_outage, outage);
    worst_recovery = std::max(worst_recovery, recovery);
  }
  std::printf(
      "10 requests/s, 200 seeded runs: outage called within %d polls, recovery within %d "
      "(a 5 m window's share passes 20%% only after 30 polls of outage)\n",
      worst_outage, worst_recovery);
  EXPECT_LE(worst_outage, 2);
  EXPECT_LE(worst_recovery, 3);
}

TEST(TrafficView, APartialFailureIsCalledFromTheSegment) {
  int called = 0, worst = 0;
  for (unsigned seed = 1; seed <= 200; ++seed) {
    std::mt19937 random(seed);
    TrafficView view(kWindow, Settings());
    TimePoint at{};
    ASSERT_GT(PollsUntil(view, random, at, 5, 0.0, ApiState::kWorking, 10), 0);
    const int polls = PollsUntil(view, random, at, 5, 0.4, ApiState::kFailing, 150);
    if (polls > 0) {
      ++called;
      worst = std::max(worst, polls);
    }
  }
  std::printf("40%% failing at 5 requests/s: called in %d of 200 runs, within %d polls\n", called,
              worst);
  EXPECT_EQ(called, 200);
}

TEST(TrafficView, AFlakyButWorkingBackendIsNeverCalledFailing) {
  int false_failing = 0;
  for (unsigned seed = 1; seed <= 200; ++seed) {
    std::mt19937 random(seed);
    TrafficView view(kWindow, Settings());
    TimePoint at{};
    // 5% failures: a quarter of the threshold; 15 minutes of polls.
    if (PollsUntil(view, random, at, 10, 0.05, ApiState::kFailing, 450) > 0) ++false_failing;
  }
  std::printf("5%% failing at 10 requests/s: %d of 200 runs called failing in 15 m\n",
              false_failing);
  EXPECT_EQ(false_failing, 0);
}

TEST(TrafficView, IdleTrafficSaysNothing) {
  TrafficView view(kWindow, Settings());
  TimePoint at{};
  for (int i = 0; i < 150; ++i) {
    at += kPoll;
    view.Add(at, i % 10 == 0 ? 1 : 0, 0);  // one request every 20 s
  }
  const TrafficSummary summary = view.Summarize(at);
  EXPECT_TRUE(summary.idle);
  EXPECT_NEAR(summary.request_rate, 0.05, 0.01);
}

TEST(TrafficView, AnEmptyWindowIsWaitingAgain) {
  TrafficView view(kWindow, Settings());
  TimePoint at{};
  view.Add(at, 100, 100);
  EXPECT_EQ(view.Summarize(at).state, ApiState::kFailing);
  EXPECT_EQ(view.Summarize(at + kWindow + seconds(1)).state, ApiState::kWaiting);
  EXPECT_TRUE(view.Summarize(at + kWindow + seconds(1)).idle);
}

TEST(TrafficView, TheEvidenceIsTheSegmentSinceTheLastChange) {
  TrafficView view(kWindow, Settings());
  TimePoint at{};
  for (int i = 0; i < 10; ++i) view.Add(at += kPoll, 20, 0);
  for (int i = 0; i < 3; ++i) view.Add(at += kPoll, 20, 20);
  const TrafficSummary summary = view.Summarize(at);
  EXPECT_EQ(summary.state, ApiState::kFailing);
  EXPECT_EQ(summary.requests, 260u);
  EXPECT_EQ(summary.failures, 60u);
  // The change came from the last polls: the segment starts there, not at the window's start.
  EXPECT_LE(summary.evidence.trials, 60);
  EXPECT_EQ(summary.evidence.events, summary.evidence.trials);
}

}  // namespace
}  // namespace healthgap::eval
