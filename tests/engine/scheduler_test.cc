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

TEST(SchedulerTest, EmptyHasNoNextDue) {
  Scheduler scheduler;
  EXPECT_FALSE(scheduler.NextDue().has_value());
  EXPECT_TRUE(scheduler.PopDue(TimePoint{} + seconds(100)).empty());
}

}  // namespace
}  // namespace healthgap::engine
