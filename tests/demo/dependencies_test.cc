#include "demo/dependencies.h"

#include <gtest/gtest.h>

#include <future>

namespace healthgap::demo {
namespace {

using std::chrono::milliseconds;

// Long enough never to expire during a test: only Close() or a release may end these waits.
constexpr milliseconds kForever{120'000};

TEST(SimulatedDependencyTest, ReportsOkOrTheDriverError) {
  SimulatedDependency database("database", "db.internal:5432", true);
  EXPECT_EQ(database.Check(), "ok");
  database.SetUp(false);
  EXPECT_EQ(database.Check(), "error: connection refused (db.internal:5432)");
  EXPECT_FALSE(database.up());
}

TEST(ConnectionPoolTest, LeaseReturnsItsConnection) {
  ConnectionPool pool(1);
  {
    ConnectionPool::AcquireResult first = pool.Acquire(milliseconds(0));
    ASSERT_EQ(first.outcome, WaitOutcome::kAcquired);
    EXPECT_TRUE(first.lease.valid());
    EXPECT_EQ(pool.in_use(), 1);
    EXPECT_EQ(pool.Acquire(milliseconds(1)).outcome, WaitOutcome::kTimedOut);
  }
  EXPECT_EQ(pool.in_use(), 0);
  EXPECT_EQ(pool.Acquire(milliseconds(0)).outcome, WaitOutcome::kAcquired);
}

TEST(ConnectionPoolTest, LeakedConnectionsNeverComeBack) {
  ConnectionPool pool(2);
  EXPECT_TRUE(pool.Leak());
  EXPECT_TRUE(pool.Leak());
  EXPECT_FALSE(pool.Leak());
  EXPECT_EQ(pool.in_use(), 2);
  EXPECT_EQ(pool.Acquire(milliseconds(1)).outcome, WaitOutcome::kTimedOut);
}

TEST(ConnectionPoolTest, WaiterGetsTheReleasedConnection) {
  ConnectionPool pool(1);
  auto held = std::make_optional(pool.Acquire(milliseconds(0)));
  ASSERT_EQ(held->outcome, WaitOutcome::kAcquired);
  auto waiter = std::async(std::launch::async, [&] { return pool.Acquire(kForever).outcome; });
  held.reset();
  EXPECT_EQ(waiter.get(), WaitOutcome::kAcquired);
}

TEST(ConnectionPoolTest, CloseReleasesWaiters) {
  ConnectionPool pool(1);
  ASSERT_TRUE(pool.Leak());
  auto waiter = std::async(std::launch::async, [&] { return pool.Acquire(kForever).outcome; });
  pool.Close();
  EXPECT_EQ(waiter.get(), WaitOutcome::kClosed);
  EXPECT_EQ(pool.Acquire(kForever).outcome, WaitOutcome::kClosed);
}

TEST(InterruptibleLockTest, ExcludesAndTimesOut) {
  InterruptibleLock lock;
  ASSERT_EQ(lock.Acquire(), WaitOutcome::kAcquired);
  EXPECT_EQ(std::async(std::launch::async, [&] { return lock.AcquireFor(milliseconds(1)); }).get(),
            WaitOutcome::kTimedOut);
  lock.Release();
  EXPECT_EQ(lock.AcquireFor(milliseconds(0)), WaitOutcome::kAcquired);
}

TEST(InterruptibleLockTest, CloseReleasesWaiters) {
  InterruptibleLock lock;
  ASSERT_EQ(lock.Acquire(), WaitOutcome::kAcquired);
  auto unbounded = std::async(std::launch::async, [&] { return lock.Acquire(); });
  auto bounded = std::async(std::launch::async, [&] { return lock.AcquireFor(kForever); });
  lock.Close();
  EXPECT_EQ(unbounded.get(), WaitOutcome::kClosed);
  EXPECT_EQ(bounded.get(), WaitOutcome::kClosed);
}

}  // namespace
}  // namespace healthgap::demo
