#include "eval/detachment.h"

#include <gtest/gtest.h>

#include <string>

namespace healthgap::eval {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

// A stalled API behind a fast health check: 38/40 timeouts at 5 s, health 2 ms.
DetachmentInput Stalled() {
  DetachmentInput in;
  in.health_samples = 10;
  in.health_p50 = milliseconds(2);
  in.health_status = 200;
  in.api_total = 40;
  in.api_timeouts = 38;
  in.api_p50 = seconds(5);
  in.api_p99 = seconds(5);
  in.api_timeout = seconds(5);
  return in;
}

// A slow but answering API: p50 1.2 s, no timeouts, health 3 ms.
DetachmentInput Slow() {
  DetachmentInput in;
  in.health_samples = 10;
  in.health_p50 = milliseconds(3);
  in.health_status = 200;
  in.api_total = 40;
  in.api_timeouts = 0;
  in.api_p50 = milliseconds(1200);
  in.api_p99 = milliseconds(2500);
  in.api_timeout = seconds(5);
  return in;
}

TEST(ComputeDetachmentTest, TimeoutsBehindFastHealthAreDetached) {
  const DetachmentSignal signal = ComputeDetachment(Stalled());
  EXPECT_TRUE(signal.detached);
  EXPECT_DOUBLE_EQ(signal.latency_ratio, 2500);
  EXPECT_EQ(signal.explanation,
            "health 200 in 2 ms while 38/40 API samples timed out after 5 s: health check "
            "likely runs apart from request handlers");
}

TEST(ComputeDetachmentTest, SlowApiBehindFastHealthIsDetached) {
  const DetachmentSignal signal = ComputeDetachment(Slow());
  EXPECT_TRUE(signal.detached);
  EXPECT_DOUBLE_EQ(signal.latency_ratio, 400);
  EXPECT_EQ(signal.explanation,
            "health 200 in 3 ms while API p50 is 1.2 s (400x slower, p99 2.5 s): health check "
            "likely runs apart from request handlers");
}

struct BoundaryCase {
  std::string name;
  DetachmentInput input;
  bool detached;
};

// Names the case in test listings instead of dumping its bytes.
void PrintTo(const BoundaryCase& c, std::ostream* out) { *out << c.name; }

class DetachmentBoundaryTest : public ::testing::TestWithParam<BoundaryCase> {};

TEST_P(DetachmentBoundaryTest, Decides) {
  const DetachmentSignal signal = ComputeDetachment(GetParam().input);
  EXPECT_EQ(signal.detached, GetParam().detached);
  EXPECT_EQ(signal.explanation.empty(), !GetParam().detached);
}

template <typename F>
DetachmentInput With(DetachmentInput in, F change) {
  change(in);
  return in;
}

INSTANTIATE_TEST_SUITE_P(
    Thresholds, DetachmentBoundaryTest,
    ::testing::Values(
        // Timeout rule: >= 50% timeouts, health p50 < 10% of the API timeout.
        BoundaryCase{"half_timed_out", With(Stalled(), [](auto& in) { in.api_timeouts = 20; }),
                     true},
        BoundaryCase{"just_under_half",
                     With(Stalled(),
                          [](auto& in) {
                            in.api_timeouts = 19;
                            in.api_p50 = milliseconds(40);  // the rest answer fast
                          }),
                     false},
        BoundaryCase{"health_just_fast_enough",
                     With(Stalled(), [](auto& in) { in.health_p50 = milliseconds(499); }), true},
        // Health slow too: both stall, the health check shares the app's fate.
        BoundaryCase{"health_at_tenth_of_timeout",
                     With(Stalled(), [](auto& in) { in.health_p50 = milliseconds(500); }), false},
        BoundaryCase{"no_timeout_configured",
                     With(Stalled(),
                          [](auto& in) {
                            in.api_timeout = Duration::zero();
                            in.api_p50 = milliseconds(10);
                          }),
                     false},
        // Latency rule: ratio >= 20 and API p50 >= 200 ms.
        BoundaryCase{"ratio_exactly_20",
                     With(Slow(),
                          [](auto& in) {
                            in.health_p50 = milliseconds(10);
                            in.api_p50 = milliseconds(200);
                          }),
                     true},
        BoundaryCase{"ratio_just_under_20",
                     With(Slow(),
                          [](auto& in) {
                            in.health_p50 = milliseconds(10);
                            in.api_p50 = milliseconds(199);
                          }),
                     false},
        BoundaryCase{"api_p50_under_floor",
                     With(Slow(),
                          [](auto& in) {
                            in.health_p50 = milliseconds(1);
                            in.api_p50 = milliseconds(199);
                          }),
                     false},
        // Health slowed down with the API: flat health is the point.
        BoundaryCase{"health_slow_too",
                     With(Slow(), [](auto& in) { in.health_p50 = milliseconds(900); }), false},
        // Loopback: 40 µs health vs 30 ms API is not a stall.
        BoundaryCase{"loopback_fast_api",
                     With(Slow(),
                          [](auto& in) {
                            in.health_p50 = microseconds(40);
                            in.api_p50 = milliseconds(30);
                          }),
                     false},
        // Not enough samples on either side.
        BoundaryCase{"few_api_samples",
                     With(Stalled(),
                          [](auto& in) {
                            in.api_total = 9;
                            in.api_timeouts = 9;
                          }),
                     false},
        BoundaryCase{"enough_api_samples",
                     With(Stalled(),
                          [](auto& in) {
                            in.api_total = 10;
                            in.api_timeouts = 10;
                          }),
                     true},
        BoundaryCase{"few_health_samples", With(Stalled(), [](auto& in) { in.health_samples = 2; }),
                     false},
        BoundaryCase{"healthy_everything",
                     With(Slow(),
                          [](auto& in) {
                            in.api_p50 = milliseconds(15);
                            in.api_p99 = milliseconds(40);
                          }),
                     false}),
    [](const auto& info) { return info.param.name; });

TEST(ComputeDetachmentTest, RatioIsBoundedAndZeroWithoutData) {
  EXPECT_EQ(ComputeDetachment(DetachmentInput{}).latency_ratio, 0);
  DetachmentInput in = Stalled();
  in.health_samples = 0;
  EXPECT_EQ(ComputeDetachment(in).latency_ratio, 0);

  in = Stalled();
  in.health_p50 = Duration::zero();  // floored at 1 ms
  EXPECT_DOUBLE_EQ(ComputeDetachment(in).latency_ratio, 5000);

  in.api_p50 = std::chrono::hours(24 * 365 * 100);
  EXPECT_DOUBLE_EQ(ComputeDetachment(in).latency_ratio, kMaxLatencyRatio);

  in.api_p50 = -seconds(1);  // nonsense in, still bounded
  EXPECT_EQ(ComputeDetachment(in).latency_ratio, 0);
}

TEST(ComputeDetachmentTest, RatioIsReportedEvenWhenNotDetached) {
  DetachmentInput in = Slow();
  in.api_total = 3;  // too few to decide
  const DetachmentSignal signal = ComputeDetachment(in);
  EXPECT_FALSE(signal.detached);
  EXPECT_DOUBLE_EQ(signal.latency_ratio, 400);
}

TEST(ComputeDetachmentTest, ExplanationWithoutStatus) {
  DetachmentInput in = Stalled();
  in.health_status = 0;
  EXPECT_TRUE(ComputeDetachment(in).explanation.starts_with("health in 2 ms while 38/40"));
}

TEST(ComputeDetachmentTest, TimeoutCountIsClampedToTotal) {
  DetachmentInput in = Stalled();
  in.api_timeouts = 1000;
  EXPECT_TRUE(ComputeDetachment(in).detached);
  in.api_timeouts = -5;
  in.api_p50 = milliseconds(10);
  EXPECT_FALSE(ComputeDetachment(in).detached);
}

TEST(HealthLatenciesTest, KeepsTheLastNAndTakesTheMedian) {
  HealthLatencies latencies(3);
  EXPECT_EQ(latencies.size(), 0);
  EXPECT_EQ(latencies.P50(), Duration::zero());
  latencies.Add(milliseconds(100));
  latencies.Add(milliseconds(1));
  latencies.Add(milliseconds(2));
  EXPECT_EQ(latencies.size(), 3);
  EXPECT_EQ(latencies.P50(), milliseconds(2));
  latencies.Add(milliseconds(3));  // the 100 ms falls out
  latencies.Add(milliseconds(4));
  EXPECT_EQ(latencies.size(), 3);
  EXPECT_EQ(latencies.P50(), milliseconds(3));
}

TEST(HealthLatenciesTest, ZeroCapacityKeepsOne) {
  HealthLatencies latencies(0);
  latencies.Add(milliseconds(5));
  latencies.Add(milliseconds(7));
  EXPECT_EQ(latencies.size(), 1);
  EXPECT_EQ(latencies.P50(), milliseconds(7));
}

}  // namespace
}  // namespace healthgap::eval
