#include "eval/sample_window.h"

#include <gtest/gtest.h>

#include "common/clock.h"

namespace healthgap::eval {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

SampleRecord Ok(TimePoint at, Duration latency = milliseconds(10)) {
  return {at, {true, std::nullopt}, latency};
}

SampleRecord Failed(TimePoint at, FailureReason reason, Duration latency = milliseconds(10)) {
  return {at, {false, reason}, latency};
}

std::size_t Index(FailureReason reason) { return static_cast<std::size_t>(reason); }

TEST(SampleWindow, EmptySummaryIsZero) {
  FakeClock clock;
  SampleWindow window(seconds(60));
  const WindowSummary summary = window.Summarize(clock.Now());
  EXPECT_EQ(summary.total, 0);
  EXPECT_EQ(summary.failures, 0);
  EXPECT_EQ(summary.error_ratio, 0);
  EXPECT_EQ(summary.latency_p50, Duration{0});
  EXPECT_EQ(summary.latency_max, Duration{0});
}

TEST(SampleWindow, CountsFailuresByReason) {
  FakeClock clock;
  SampleWindow window(seconds(60));
  window.Add(Ok(clock.Now()));
  window.Add(Failed(clock.Now(), FailureReason::kTimeout));
  window.Add(Failed(clock.Now(), FailureReason::kTimeout));
  window.Add(Failed(clock.Now(), FailureReason::kStatus));
  const WindowSummary summary = window.Summarize(clock.Now());
  EXPECT_EQ(summary.total, 4);
  EXPECT_EQ(summary.failures, 3);
  EXPECT_DOUBLE_EQ(summary.error_ratio, 0.75);
  EXPECT_EQ(summary.failures_by_reason[Index(FailureReason::kTimeout)], 2);
  EXPECT_EQ(summary.failures_by_reason[Index(FailureReason::kStatus)], 1);
  EXPECT_EQ(summary.failures_by_reason[Index(FailureReason::kSlow)], 0);
}

TEST(SampleWindow, FailureWithoutReasonCountsAsOther) {
  FakeClock clock;
  SampleWindow window(seconds(60));
  window.Add({clock.Now(), {false, std::nullopt}, milliseconds(1)});
  EXPECT_EQ(window.Summarize(clock.Now()).failures_by_reason[Index(FailureReason::kOther)], 1);
}

TEST(SampleWindow, EvictsRecordsOlderThanSpan) {
  FakeClock clock;
  SampleWindow window(seconds(60));
  window.Add(Failed(clock.Now(), FailureReason::kTimeout));  // t=0
  clock.Advance(seconds(30));
  window.Add(Ok(clock.Now()));  // t=30
  clock.Advance(seconds(30));   // t=60: the first record is exactly one span old, still in
  EXPECT_EQ(window.Summarize(clock.Now()).total, 2);
  clock.Advance(milliseconds(1));  // now it is older than the span
  WindowSummary summary = window.Summarize(clock.Now());
  EXPECT_EQ(summary.total, 1);
  EXPECT_EQ(summary.failures, 0);
  EXPECT_EQ(summary.failures_by_reason[Index(FailureReason::kTimeout)], 0);
  clock.Advance(seconds(31));
  summary = window.Summarize(clock.Now());
  EXPECT_EQ(summary.total, 0);
  EXPECT_EQ(window.size(), 0u);
}

TEST(SampleWindow, EvictsOutOfOrderRecords) {
  FakeClock clock;
  const TimePoint start = clock.Now();
  SampleWindow window(seconds(10));
  window.Add(Ok(start + seconds(8)));                  // a fast request completed first...
  window.Add(Failed(start, FailureReason::kTimeout));  // ...then an older slow one was recorded
  clock.Advance(seconds(15));
  const WindowSummary summary = window.Summarize(clock.Now());
  EXPECT_EQ(summary.total, 1);
  EXPECT_EQ(summary.failures, 0);
}

TEST(SampleWindow, BoundedDropsOldestFirst) {
  FakeClock clock;
  SampleWindow window(seconds(60), 3);
  window.Add(Failed(clock.Now(), FailureReason::kDns));
  window.Add(Ok(clock.Now()));
  window.Add(Ok(clock.Now()));
  window.Add(Ok(clock.Now()));
  EXPECT_EQ(window.size(), 3u);
  const WindowSummary summary = window.Summarize(clock.Now());
  EXPECT_EQ(summary.total, 3);
  EXPECT_EQ(summary.failures, 0);  // the failure was the oldest and got dropped
}

TEST(SampleWindow, LatencyPercentilesNearestRank) {
  FakeClock clock;
  SampleWindow window(seconds(60));
  // 1..100 ms, added in reverse to show the window sorts.
  for (int ms = 100; ms >= 1; --ms) window.Add(Ok(clock.Now(), milliseconds(ms)));
  const WindowSummary summary = window.Summarize(clock.Now());
  EXPECT_EQ(summary.latency_p50, milliseconds(50));
  EXPECT_EQ(summary.latency_p99, milliseconds(99));
  EXPECT_EQ(summary.latency_max, milliseconds(100));
}

TEST(SampleWindow, FailedSamplesCountInLatency) {
  FakeClock clock;
  SampleWindow window(seconds(60));
  window.Add(Ok(clock.Now(), milliseconds(5)));
  window.Add(Failed(clock.Now(), FailureReason::kTimeout, seconds(5)));
  EXPECT_EQ(window.Summarize(clock.Now()).latency_max, seconds(5));
}

TEST(NearestRankPercentile, SmallInputs) {
  EXPECT_EQ(NearestRankPercentile({}, 50), Duration{0});
  const std::vector<Duration> one = {milliseconds(7)};
  EXPECT_EQ(NearestRankPercentile(one, 1), milliseconds(7));
  EXPECT_EQ(NearestRankPercentile(one, 100), milliseconds(7));
  const std::vector<Duration> four = {milliseconds(1), milliseconds(2), milliseconds(3),
                                      milliseconds(4)};
  EXPECT_EQ(NearestRankPercentile(four, 50), milliseconds(2));  // rank ceil(2.0) = 2
  EXPECT_EQ(NearestRankPercentile(four, 51), milliseconds(3));  // rank ceil(2.04) = 3
  EXPECT_EQ(NearestRankPercentile(four, 99), milliseconds(4));
  EXPECT_EQ(NearestRankPercentile(four, 100), milliseconds(4));
}

}  // namespace
}  // namespace healthgap::eval
