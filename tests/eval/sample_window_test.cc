#include "eval/sample_window.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <random>
#include <vector>

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

// The kept order must stay exactly what sorting the window's records gives, whatever comes and
// goes: out-of-order completions, evictions by age and by the bound, repeated latencies.
TEST(SampleWindow, PercentilesMatchSortingTheRecordsAfterEveryChange) {
  FakeClock clock;
  SampleWindow window(seconds(10), /*max_records=*/50);
  std::deque<SampleRecord> expected;  // the window's records, kept here the simple way
  std::mt19937 random(6);             // fixed seed: the same sequence on every run
  for (int step = 0; step < 2'000; ++step) {
    // Now and then a pause that empties much of the window, so its size ranges over 0..50.
    clock.Advance(milliseconds(random() % 16 == 0 ? random() % 8'000 : random() % 200));
    // Up to 3 s late, as a timed-out request completes after later ones.
    const TimePoint at = clock.Now() - milliseconds(random() % 3'000);
    const SampleRecord record =
        random() % 4 == 0 ? Failed(at, FailureReason::kTimeout, milliseconds(random() % 50))
                          : Ok(at, milliseconds(random() % 50));
    window.Add(record);
    expected.insert(
        std::upper_bound(expected.begin(), expected.end(), record,
                         [](const SampleRecord& a, const SampleRecord& b) { return a.at < b.at; }),
        record);
    while (expected.size() > 50) expected.pop_front();
    while (!expected.empty() && expected.front().at < clock.Now() - seconds(10)) {
      expected.pop_front();
    }
    std::vector<Duration> sorted;
    for (const SampleRecord& kept : expected) sorted.push_back(kept.latency);
    std::sort(sorted.begin(), sorted.end());

    const WindowSummary summary = window.Summarize(clock.Now());
    ASSERT_EQ(summary.total, static_cast<int>(expected.size())) << "step " << step;
    ASSERT_EQ(summary.latency_p50, NearestRankPercentile(sorted, 50)) << "step " << step;
    ASSERT_EQ(summary.latency_p99, NearestRankPercentile(sorted, 99)) << "step " << step;
    ASSERT_EQ(summary.latency_max, sorted.empty() ? Duration{0} : sorted.back()) << "step " << step;
  }
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
