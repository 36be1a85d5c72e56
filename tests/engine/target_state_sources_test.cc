// What the sources add to a target's state, on a fake clock: counters diffed per poll (a
// baseline first, a log's first sighting from zero, a restart), busy real traffic deciding the
// user view over the samples, idle or stale traffic leaving it to them, the real balancer's
// word beating the emulation; and in the engine, a failed poll that changes no target.

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "common/clock.h"
#include "config/loader.h"
#include "engine/engine.h"
#include "engine/target_state.h"
#include "fake_http_client.h"

namespace healthgap::engine {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr Duration kStale = seconds(6);  // three polls of 2 s

config::Target Target() {
  config::Target target;
  target.name = "shop";
  target.base_url = "http://127.0.0.1:8080";
  target.health.healthy_threshold = 1;
  target.health.unhealthy_threshold = 1;
  config::ApiSample data;
  data.name = "data";
  data.path = "/api/data";
  target.samples.push_back(data);
  target.evaluation.window = seconds(60);
  target.evaluation.min_samples = 2;
  target.traffic_source = config::TrafficSourceRef{};
  target.traffic_source->source = "edge";
  return target;
}

probe::HttpResult Ok() {
  probe::HttpResult result;
  result.status_code = 200;
  result.total = milliseconds(2);
  return result;
}

class TargetStateSourcesTest : public ::testing::Test {
 protected:
  // Health passes and samples succeed: by the emulation and the samples, healthy.
  void HealthyBySamples() {
    for (int i = 0; i < 3; ++i) {
      state_.Record(Judge(state_.config(), Job::Health(0), Ok(), clock_.Now(), clock_.WallNow()));
      state_.Record(Judge(state_.config(), Job::Sample(0), Ok(), clock_.Now(), clock_.WallNow()));
      clock_.Advance(seconds(1));
    }
  }
  // One poll of the source: the server's counters now.
  void Poll(std::uint64_t requests, std::uint64_t failures, bool from_zero = false) {
    state_.RecordRealTraffic("edge", "haproxy", "app/s1",
                             sources::TrafficCounters{requests, failures}, from_zero, clock_.Now(),
                             kStale);
  }
  const RealTrafficSnapshot& Traffic() {
    snapshot_ = state_.Snapshot(clock_.Now());
    return *snapshot_.real_traffic;
  }

  FakeClock clock_;
  TargetState state_{Target()};
  TargetSnapshot snapshot_;
};

TEST_F(TargetStateSourcesTest, TheFirstReadingIsABaselineAndEachNextOneADifference) {
  Poll(5000, 100);
  EXPECT_EQ(Traffic().requests_total, 0u);
  clock_.Advance(seconds(2));
  Poll(5040, 102);
  EXPECT_EQ(Traffic().requests_total, 40u);
  EXPECT_EQ(Traffic().failures_total, 2u);
  EXPECT_TRUE(Traffic().fresh);
}

TEST_F(TargetStateSourcesTest, ALogsFirstSightingOfAServerCountsFromZero) {
  Poll(12, 3, /*from_zero=*/true);
  EXPECT_EQ(Traffic().requests_total, 12u);
  EXPECT_EQ(Traffic().failures_total, 3u);
}

TEST_F(TargetStateSourcesTest, ACounterThatGoesBackIsARestart) {
  Poll(5000, 100);
  clock_.Advance(seconds(2));
  Poll(30, 1);  // HAProxy restarted and has served 30 since
  EXPECT_EQ(Traffic().requests_total, 30u);
  EXPECT_EQ(Traffic().failures_total, 1u);
}

TEST_F(TargetStateSourcesTest, BusyFailingTrafficDecidesOverWorkingSamples) {
  HealthyBySamples();
  EXPECT_EQ(state_.Snapshot(clock_.Now()).decision.verdict, eval::Verdict::kHealthy);
  Poll(0, 0);
  clock_.Advance(seconds(2));
  Poll(40, 40);  // 20 requests/s, all failing
  const TargetSnapshot snapshot = state_.Snapshot(clock_.Now());
  EXPECT_EQ(snapshot.api_view_source, "haproxy");
  EXPECT_EQ(snapshot.decision.verdict, eval::Verdict::kMismatch);
  EXPECT_NE(snapshot.decision.reason.find("40/40 real requests failed"), std::string::npos)
      << snapshot.decision.reason;
  EXPECT_EQ(snapshot.api_evidence.trials, 40);
}

TEST_F(TargetStateSourcesTest, IdleTrafficLeavesTheUserViewToTheSamples) {
  HealthyBySamples();
  Poll(0, 0);
  clock_.Advance(seconds(30));
  Poll(2, 2);  // 2 requests in 30 s: below 0.2/s
  const TargetSnapshot snapshot = state_.Snapshot(clock_.Now());
  EXPECT_TRUE(snapshot.real_traffic->window.idle);
  EXPECT_FALSE(snapshot.real_traffic->decides);
  EXPECT_EQ(snapshot.api_view_source, "synthetic");
  EXPECT_EQ(snapshot.decision.verdict, eval::Verdict::kHealthy);
}

TEST_F(TargetStateSourcesTest, StaleTrafficLeavesTheUserViewToTheSamples) {
  HealthyBySamples();
  Poll(0, 0);
  clock_.Advance(seconds(2));
  Poll(40, 40);
  EXPECT_EQ(state_.Snapshot(clock_.Now()).api_view_source, "haproxy");
  clock_.Advance(kStale + seconds(1));  // the source stopped answering
  HealthyBySamples();
  const TargetSnapshot snapshot = state_.Snapshot(clock_.Now());
  EXPECT_FALSE(snapshot.real_traffic->fresh);
  EXPECT_EQ(snapshot.api_view_source, "synthetic");
  // What the source counted stays: no zeros in place of good data.
  EXPECT_EQ(snapshot.real_traffic->requests_total, 40u);
}

TEST_F(TargetStateSourcesTest, AServerTheSourceNoLongerHasIsNotFresh) {
  Poll(0, 0);
  clock_.Advance(seconds(2));
  state_.RecordRealTraffic("edge", "haproxy", "", std::nullopt, false, clock_.Now(), kStale);
  EXPECT_FALSE(Traffic().fresh);
  EXPECT_EQ(Traffic().server, "");
}

TEST_F(TargetStateSourcesTest, TheRealBalancersWordBeatsTheEmulation) {
  HealthyBySamples();
  state_.RecordRealLb("edge", "haproxy",
                      {.server = "app/s1", .in_rotation = false, .state = "down"}, clock_.Now(),
                      kStale);
  const TargetSnapshot snapshot = state_.Snapshot(clock_.Now());
  EXPECT_EQ(snapshot.lb_view_source, "haproxy");
  EXPECT_EQ(snapshot.primary().lb_state, eval::LbState::kHealthy);  // the emulation's
  EXPECT_EQ(snapshot.decision.verdict, eval::Verdict::kFalseNegative);
}

TEST(EngineSources, AFailedPollChangesNoTarget) {
  const config::LoadResult loaded = config::LoadString(
      "sources:\n  - {name: edge, type: haproxy, address: 'unix:/nonexistent'}\n"
      "targets:\n  - name: shop\n    url: http://127.0.0.1:8080\n"
      "    traffic_source: {source: edge}\n    samples: [{path: /api/data}]\n",
      "<test>");
  ASSERT_TRUE(loaded.config) << loaded.error->Format();
  FakeClock clock;
  testing::FakeHttpClient client;
  Engine engine(clock, client);
  engine.Apply(*loaded.config);
  sources::SourceReading reading;
  reading.servers.push_back({.backend = "app",
                             .server = "s1",
                             .address = "127.0.0.1:8080",
                             .in_rotation = std::nullopt,
                             .state = "",
                             .traffic = sources::TrafficCounters{100, 0},
                             .counted_from_zero = false});
  engine.RecordSource("edge", reading, clock.Now());
  clock.Advance(seconds(2));
  reading.servers[0].traffic = sources::TrafficCounters{150, 5};
  engine.RecordSource("edge", reading, clock.Now());
  clock.Advance(seconds(2));
  engine.RecordSource("edge", sources::SourceReading{.servers = {}, .error = "connect: refused"},
                      clock.Now());
  const EngineSnapshot snapshot = engine.Snapshot();
  EXPECT_FALSE(snapshot.sources.at(0).up);
  EXPECT_EQ(snapshot.sources.at(0).error, "connect: refused");
  EXPECT_EQ(snapshot.sources.at(0).polls_total, 3u);
  EXPECT_EQ(snapshot.sources.at(0).failures_total, 1u);
  ASSERT_TRUE(snapshot.targets.at(0).real_traffic);
  EXPECT_EQ(snapshot.targets.at(0).real_traffic->server, "app/s1");
  EXPECT_EQ(snapshot.targets.at(0).real_traffic->requests_total, 50u);
  EXPECT_EQ(snapshot.targets.at(0).real_traffic->failures_total, 5u);
  EXPECT_TRUE(snapshot.targets.at(0).real_traffic->fresh);  // the last good word, until stale
}

}  // namespace
}  // namespace healthgap::engine
