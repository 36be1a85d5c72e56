#include "engine/scheduler.h"

#include <gtest/gtest.h>

#include <set>

namespace healthgap::engine {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(SchedulerTest, FirstRunFallsWithinOneInterval) {
  Scheduler scheduler;
  const TimePoint start{};
  scheduler.Add(JobKey{0, JobKey::kHealthJob}, seconds(10), "a/health", start);
  ASSERT_TRUE(scheduler.NextDue().has_value());
  EXPECT_GE(*scheduler.NextDue(), start);
  EXPECT_LT(*scheduler.NextDue(), start + seconds(10));
}

TEST(SchedulerTest, PhasesSpreadJobsAcrossTheInterval) {
  Scheduler scheduler;
  const TimePoint start{};
  for (std::uint32_t i = 0; i < 100; ++i) {
    scheduler.Add(JobKey{i, JobKey::kHealthJob}, seconds(10), "target-" + std::to_string(i), start);
  }
  // No single second of the interval may hold most of the jobs.
  std::set<int> seconds_used;
  int in_first_second = 0;
  for (const DueJob& job : scheduler.PopDue(start + milliseconds(9'999))) {
    const auto second = std::chrono::duration_cast<seconds>(job.due - start).count();
    seconds_used.insert(static_cast<int>(second));
    if (second == 0) ++in_first_second;
  }
  EXPECT_GE(seconds_used.size(), 8u);
  EXPECT_LT(in_first_second, 30);
}

TEST(SchedulerTest, SameNameGivesSamePhase) {
  Scheduler a;
  Scheduler b;
  a.Add(JobKey{0, 0}, seconds(5), "checkout/api_data", TimePoint{});
  b.Add(JobKey{7, 3}, seconds(5), "checkout/api_data", TimePoint{});
  EXPECT_EQ(a.NextDue(), b.NextDue());
}

TEST(SchedulerTest, PopDueReturnsEarliestFirstAndReschedules) {
  Scheduler scheduler;
  const TimePoint start{};
  scheduler.Add(JobKey{0, JobKey::kHealthJob}, seconds(1), "x", start);
  const TimePoint first = *scheduler.NextDue();
  EXPECT_TRUE(scheduler.PopDue(first - milliseconds(1)).empty());
  auto due = scheduler.PopDue(first);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].due, first);
  EXPECT_EQ(*scheduler.NextDue(), first + seconds(1));
  due = scheduler.PopDue(first + seconds(1));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].due, first + seconds(1));
}

TEST(SchedulerTest, FallingBehindSkipsMissedRunsInsteadOfBursting) {
  Scheduler scheduler;
  scheduler.Add(JobKey{0, JobKey::kHealthJob}, seconds(1), "x", TimePoint{});
  const TimePoint first = *scheduler.NextDue();
  const auto due = scheduler.PopDue(first + milliseconds(3'500));
  ASSERT_EQ(due.size(), 1u);  // one run, not four
  EXPECT_EQ(due[0].due, first);
  EXPECT_EQ(scheduler.skipped(), 3u);
  EXPECT_EQ(*scheduler.NextDue(), first + seconds(4));
}

// HAProxy's pace: the next check is set when the last one ends, not when it was due.
TEST(SchedulerTest, AnAfterCompletionJobWaitsForResume) {
  Scheduler scheduler;
  const JobKey key{0, JobKey::kHealthJob};
  scheduler.Add(key, seconds(2), "x", TimePoint{}, Scheduler::Pace::kAfterCompletion);
  const TimePoint first = *scheduler.NextDue();
  ASSERT_EQ(scheduler.PopDue(first).size(), 1u);
  EXPECT_FALSE(scheduler.NextDue().has_value());  // in flight: nothing due, however long it takes
  EXPECT_TRUE(scheduler.PopDue(first + seconds(60)).empty());
  EXPECT_EQ(scheduler.skipped(), 0u);
  EXPECT_EQ(scheduler.size(), 1u);

  // The check took 2 s (its timeout): the next starts 2 s after that, 4 s after the first.
  scheduler.Resume(key, first + seconds(4));
  EXPECT_EQ(*scheduler.NextDue(), first + seconds(4));
  // A second Resume for a job that is no longer waiting (a stale completion) changes nothing.
  scheduler.Resume(key, first + seconds(1));
  EXPECT_EQ(*scheduler.NextDue(), first + seconds(4));
  EXPECT_EQ(scheduler.size(), 1u);
}

TEST(SchedulerTest, ResumeOfAnUnknownJobIsIgnored) {
  Scheduler scheduler;
  scheduler.Add(JobKey{0, 0}, seconds(1), "x", TimePoint{});
  scheduler.Resume(JobKey{5, JobKey::kHealthJob}, TimePoint{});
  EXPECT_EQ(scheduler.size(), 1u);
}

TEST(SchedulerTest, EmptyHasNoNextDue) {
  Scheduler scheduler;
  EXPECT_FALSE(scheduler.NextDue().has_value());
  EXPECT_TRUE(scheduler.PopDue(TimePoint{} + seconds(100)).empty());
}

}  // namespace
}  // namespace healthgap::engine
