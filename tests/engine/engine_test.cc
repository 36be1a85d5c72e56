#include "engine/engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "config/lb_presets.h"
#include "engine/fake_http_client.h"

namespace healthgap::engine {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::FakeHttpClient;
using testing::Response;
using testing::TransportError;

config::Target MakeTarget(std::string name) {
  config::Target target;
  target.name = std::move(name);
  target.base_url = "http://127.0.0.1:1";
  target.labels = {{"team", "payments"}};
  target.health.interval = seconds(10);
  target.health.timeout = seconds(5);
  target.health.healthy_threshold = 2;
  target.health.unhealthy_threshold = 2;
  config::ApiSample sample;
  sample.name = "data";
  sample.path = "/api/data";
  sample.interval = seconds(5);
  sample.timeout = seconds(5);
  target.samples.push_back(sample);
  target.evaluation.window = seconds(60);
  target.evaluation.min_samples = 4;
  target.evaluation.max_error_ratio = 0.2;
  return target;
}

config::Config MakeConfig(std::vector<config::Target> targets) {
  config::Config config;
  config.source = "<test>";
  config.targets = std::move(targets);
  return config;
}

class EngineTest : public ::testing::Test {
 protected:
  // Moves time by one second at a time for `span`, dispatching what falls due and answering
  // health and API requests with the given results.
  void Run(Duration span, const probe::HttpResult& health, const probe::HttpResult& api) {
    for (Duration elapsed{0}; elapsed < span; elapsed += seconds(1)) {
      clock_.Advance(seconds(1));
      engine_.DispatchDue();
      client_.CompleteMatching("/health", health);
      client_.CompleteMatching("/api/data", api);
    }
  }

  const TargetSnapshot& Only(const EngineSnapshot& snapshot) {
    EXPECT_EQ(snapshot.targets.size(), 1u);
    return snapshot.targets.front();
  }

  FakeClock clock_;
  FakeHttpClient client_;
  Engine engine_{clock_, client_};
};

TEST_F(EngineTest, UnknownBeforeAnyResult) {
  engine_.Apply(MakeConfig({MakeTarget("a")}));
  const EngineSnapshot snapshot = engine_.Snapshot();
  const TargetSnapshot& target = Only(snapshot);
  EXPECT_EQ(target.name, "a");
  EXPECT_EQ(target.labels.at("team"), "payments");
  EXPECT_FALSE(target.primary().last.has_result);
  EXPECT_EQ(target.decision.verdict, eval::Verdict::kUnknown);
}

TEST_F(EngineTest, EachJobRunsOncePerInterval) {
  engine_.Apply(MakeConfig({MakeTarget("a")}));
  int health = 0;
  int api = 0;
  for (int i = 0; i < 60; ++i) {
    clock_.Advance(seconds(1));
    engine_.DispatchDue();
    health += client_.CompleteMatching("/health", Response(200));
    api += client_.CompleteMatching("/api/data", Response(200));
  }
  EXPECT_EQ(health, 6);  // every 10 s
  EXPECT_EQ(api, 12);    // every 5 s
  const EngineSnapshot snapshot = engine_.Snapshot();
  EXPECT_EQ(snapshot.stats.health_probes_sent, 6u);
  EXPECT_EQ(snapshot.stats.api_samples_sent, 12u);
  EXPECT_EQ(snapshot.stats.in_flight, 0u);
}

TEST_F(EngineTest, HealthRequestsUseFreshConnectionsAndNoRedirects) {
  engine_.Apply(MakeConfig({MakeTarget("a")}));
  clock_.Advance(seconds(10));
  engine_.DispatchDue();
  bool saw_health = false;
  bool saw_api = false;
  for (const auto& call : client_.TakeAll()) {
    if (call.request.url == "http://127.0.0.1:1/health") {
      saw_health = true;
      EXPECT_FALSE(call.request.reuse_connection);
      EXPECT_EQ(call.request.max_redirects, 0);
      EXPECT_EQ(call.request.timeout, seconds(5));
    } else {
      EXPECT_EQ(call.request.url, "http://127.0.0.1:1/api/data");
      saw_api = true;
      EXPECT_TRUE(call.request.reuse_connection);
    }
  }
  EXPECT_TRUE(saw_health);
  EXPECT_TRUE(saw_api);
}

TEST_F(EngineTest, TargetAuthGoesWithEveryHealthProbeAndSample) {
  config::Target target = MakeTarget("a");
  target.auth.bearer_token = config::Secret("s3cret");
  target.samples[0].headers = {{"Accept", "application/json"}};
  engine_.Apply(MakeConfig({target}));
  clock_.Advance(seconds(10));
  engine_.DispatchDue();
  const auto calls = client_.TakeAll();
  ASSERT_EQ(calls.size(), 2u);
  for (const auto& call : calls) {
    EXPECT_THAT(call.request.headers, ::testing::Contains(std::pair<std::string, std::string>(
                                          "Authorization", "Bearer s3cret")))
        << call.request.url;
  }
}

// The haproxy preset's pace: the next check starts an interval after the last one ended, the
// interval by the state it left: inter (2 s) fully up, fastinter (1 s) on the way down,
// downinter (5 s) fully down. Every check here takes 2 s.
TEST_F(EngineTest, HaproxyChecksStartAnIntervalAfterTheLastOneEnded) {
  config::Target target = MakeTarget("a");
  target.health = config::ApplyLbPreset(target.health, *config::FindLbPreset("haproxy"));
  target.health.fast_interval = seconds(1);
  target.health.down_interval = seconds(5);
  engine_.Apply(MakeConfig({target}));
  const std::string results = "ssffff";
  std::vector<TimePoint> starts;
  for (int tick = 0; tick < 600 && starts.size() < results.size(); ++tick) {  // 60 s at most
    clock_.Advance(milliseconds(100));
    engine_.DispatchDue();
    for (auto& call : client_.TakeAll()) {
      if (!call.request.url.ends_with("/health")) {
        call.done(Response(200));
        continue;
      }
      const bool pass = results[starts.size()] == 's';
      starts.push_back(clock_.Now());
      clock_.Advance(seconds(2));
      call.done(pass ? Response(200) : Response(503));
    }
  }
  ASSERT_EQ(starts.size(), results.size());
  const std::vector<Duration> expected_gaps = {seconds(4), seconds(4), seconds(3), seconds(3),
                                               seconds(7)};
  for (std::size_t i = 1; i < starts.size(); ++i) {
    EXPECT_EQ(starts[i] - starts[i - 1], expected_gaps[i - 1])
        << "between checks " << i << " and " << i + 1 << " of " << results;
  }
  EXPECT_EQ(engine_.Snapshot().targets.front().primary().lb_state, eval::LbState::kUnhealthy);
}

TEST_F(EngineTest, AJobStillInFlightIsSkippedNotQueued) {
  engine_.Apply(MakeConfig({MakeTarget("a")}));
  clock_.Advance(seconds(10));
  EXPECT_EQ(engine_.DispatchDue(), 2u);  // health and sample, left unanswered
  clock_.Advance(seconds(10));
  // The health check is due again and skipped; the sample is paced from its completion, so an
  // unanswered one is not due at all.
  EXPECT_EQ(engine_.DispatchDue(), 0u);
  EngineSnapshot snapshot = engine_.Snapshot();
  EXPECT_EQ(snapshot.stats.skipped_in_flight, 1u);
  EXPECT_EQ(snapshot.stats.in_flight, 2u);
  EXPECT_EQ(client_.InFlight(), 2u);

  EXPECT_EQ(client_.CompleteMatching("/health", Response(200)), 1);
  EXPECT_EQ(client_.CompleteMatching("/api/data", Response(200)), 1);
  clock_.Advance(seconds(10));
  EXPECT_EQ(engine_.DispatchDue(), 2u);  // answered: they run again
  snapshot = engine_.Snapshot();
  EXPECT_EQ(snapshot.stats.skipped_in_flight, 1u);
}

TEST(EngineCapacityTest, RunsBeyondMaxInFlightAreShedAndCounted) {
  FakeClock clock;
  FakeHttpClient client;
  Engine engine(clock, client, {.max_in_flight = 3});
  engine.Apply(MakeConfig({MakeTarget("a"), MakeTarget("b")}));
  clock.Advance(seconds(10));
  // Four jobs due (two per target), room for three: the fourth is shed, not queued.
  EXPECT_EQ(engine.DispatchDue(), 3u);
  EngineSnapshot snapshot = engine.Snapshot();
  EXPECT_EQ(snapshot.stats.skipped_capacity, 1u);
  EXPECT_EQ(snapshot.stats.skipped_in_flight, 0u);
  EXPECT_EQ(snapshot.stats.in_flight, 3u);
  EXPECT_EQ(client.InFlight(), 3u);

  // Room again once they complete: what was shed runs at its next turn.
  client.CompleteMatching("/health", Response(200));
  client.CompleteMatching("/api/data", Response(200));
  EXPECT_EQ(engine.Snapshot().stats.in_flight, 0u);
  clock.Advance(seconds(10));
  EXPECT_EQ(engine.DispatchDue(), 3u);
  EXPECT_EQ(engine.Snapshot().stats.skipped_capacity, 2u);  // 4 due again, 3 fit
}

TEST(EngineCapacityTest, RequestsOfATargetShareAnAffinityOthersDoNot) {
  FakeClock clock;
  FakeHttpClient client;
  Engine engine(clock, client);
  engine.Apply(MakeConfig({MakeTarget("a"), MakeTarget("b")}));
  clock.Advance(seconds(10));
  ASSERT_EQ(engine.DispatchDue(), 4u);
  std::map<std::string, std::set<std::uint64_t>> affinities;  // by kind of request
  for (const FakeHttpClient::Call& call : client.TakeAll()) {
    affinities[call.request.url.ends_with("/health") ? "health" : "api"].insert(
        call.request.affinity);
  }
  // Two targets: two affinities among the health checks, the same two among the samples.
  EXPECT_EQ(affinities["health"].size(), 2u);
  EXPECT_EQ(affinities["health"], affinities["api"]);
}

TEST_F(EngineTest, HealthyWhenBothSidesWork) {
  engine_.Apply(MakeConfig({MakeTarget("a")}));
  Run(seconds(40), Response(200), Response(200));
  const EngineSnapshot snapshot = engine_.Snapshot();
  const TargetSnapshot& target = Only(snapshot);
  EXPECT_EQ(target.lb.state, eval::LbState::kHealthy);
  EXPECT_EQ(target.decision.verdict, eval::Verdict::kHealthy);
  EXPECT_TRUE(target.primary().last.success);
  EXPECT_EQ(target.primary().last.status_code, 200);
}

TEST_F(EngineTest, MismatchWhenHealthPassesAndApiFails) {
  engine_.Apply(MakeConfig({MakeTarget("a")}));
  Run(seconds(40), Response(200), Response(500));
  const EngineSnapshot snapshot = engine_.Snapshot();
  const TargetSnapshot& target = Only(snapshot);
  EXPECT_EQ(target.decision.verdict, eval::Verdict::kMismatch);
  EXPECT_FALSE(target.decision.reason.empty());
  ASSERT_EQ(target.samples.size(), 1u);
  EXPECT_EQ(target.samples[0].requests_total, 8u);
  EXPECT_EQ(target.samples[0].failures_total[static_cast<int>(FailureReason::kStatus)], 8u);
  EXPECT_DOUBLE_EQ(target.api_window.error_ratio, 1.0);
}

TEST_F(EngineTest, RecentProbesAreBoundedNewestLast) {
  engine_.Apply(MakeConfig({MakeTarget("a")}));
  Run(seconds(120), Response(200), Response(500));
  const EngineSnapshot snapshot = engine_.Snapshot();
  const TargetSnapshot& target = Only(snapshot);
  ASSERT_EQ(target.recent.size(), TargetState::kRecentProbes);
  const RecentProbe& newest = target.recent.back();
  EXPECT_GE(newest.at, target.recent.front().at);
  bool saw_health = false;
  bool saw_sample = false;
  for (const auto& probe : target.recent) {
    if (probe.what == "health") {
      saw_health = true;
      EXPECT_TRUE(probe.success);
    } else {
      saw_sample = true;
      EXPECT_EQ(probe.what, "data");
      EXPECT_FALSE(probe.success);
      EXPECT_EQ(probe.reason, FailureReason::kStatus);
      EXPECT_EQ(probe.status_code, 500);
    }
  }
  EXPECT_TRUE(saw_health);
  EXPECT_TRUE(saw_sample);
}

TEST_F(EngineTest, DownWhenBothSidesFail) {
  engine_.Apply(MakeConfig({MakeTarget("a")}));
  Run(seconds(40), TransportError(FailureReason::kConnectionRefused),
      TransportError(FailureReason::kConnectionRefused));
  const EngineSnapshot snapshot = engine_.Snapshot();
  const TargetSnapshot& target = Only(snapshot);
  EXPECT_EQ(target.lb.state, eval::LbState::kUnhealthy);
  EXPECT_EQ(target.decision.verdict, eval::Verdict::kDown);
  EXPECT_EQ(target.primary().failures_total[static_cast<int>(FailureReason::kConnectionRefused)],
            4u);
}

TEST_F(EngineTest, FalseNegativeWhenHealthFailsAndApiWorks) {
  engine_.Apply(MakeConfig({MakeTarget("a")}));
  Run(seconds(40), Response(503), Response(200));
  EXPECT_EQ(Only(engine_.Snapshot()).decision.verdict, eval::Verdict::kFalseNegative);
}

TEST_F(EngineTest, OldFailuresLeaveTheWindowAndTheVerdictRecovers) {
  engine_.Apply(MakeConfig({MakeTarget("a")}));
  Run(seconds(40), Response(200), Response(500));
  ASSERT_EQ(Only(engine_.Snapshot()).decision.verdict, eval::Verdict::kMismatch);
  Run(seconds(70), Response(200), Response(200));  // longer than the 60 s window
  const EngineSnapshot snapshot = engine_.Snapshot();
  EXPECT_EQ(Only(snapshot).decision.verdict, eval::Verdict::kHealthy);
  EXPECT_EQ(Only(snapshot).api_window.failures, 0);
}

TEST_F(EngineTest, ReloadKeepsStateOfRemainingTargetsAndDropsRemovedOnes) {
  engine_.Apply(MakeConfig({MakeTarget("a"), MakeTarget("b")}));
  Run(seconds(40), Response(200), Response(500));
  engine_.Apply(MakeConfig({MakeTarget("a"), MakeTarget("c")}));
  const EngineSnapshot snapshot = engine_.Snapshot();
  ASSERT_EQ(snapshot.targets.size(), 2u);
  EXPECT_EQ(snapshot.targets[0].name, "a");
  EXPECT_EQ(snapshot.targets[0].decision.verdict, eval::Verdict::kMismatch);
  EXPECT_EQ(snapshot.targets[0].samples[0].requests_total, 8u);
  EXPECT_EQ(snapshot.targets[1].name, "c");
  EXPECT_EQ(snapshot.targets[1].decision.verdict, eval::Verdict::kUnknown);
}

TEST_F(EngineTest, CompletionsForRemovedTargetsAreHarmless) {
  engine_.Apply(MakeConfig({MakeTarget("a")}));
  clock_.Advance(seconds(10));
  engine_.DispatchDue();
  auto calls = client_.TakeAll();
  ASSERT_FALSE(calls.empty());
  engine_.Apply(MakeConfig({MakeTarget("b")}));
  for (auto& call : calls) call.done(Response(500));
  const EngineSnapshot snapshot = engine_.Snapshot();
  EXPECT_EQ(Only(snapshot).name, "b");
  EXPECT_EQ(Only(snapshot).samples[0].requests_total, 0u);
}

TEST_F(EngineTest, LagIsMeasuredAgainstTheSchedule) {
  engine_.Apply(MakeConfig({MakeTarget("a")}));
  clock_.Advance(seconds(10) + milliseconds(400));  // every job is due, some up to 10 s late
  engine_.DispatchDue();
  const EngineSnapshot snapshot = engine_.Snapshot();
  EXPECT_EQ(snapshot.stats.scheduling_lag.count(), 2u);
  EXPECT_GT(snapshot.stats.scheduling_lag.sum(), 0.0);
  EXPECT_EQ(snapshot.stats.in_flight, 2u);
}

}  // namespace
}  // namespace healthgap::engine

namespace healthgap::engine {
namespace {

// Readiness on /ready (primary), liveness on /healthz: each on its own schedule and LB view.
class EngineRolesTest : public ::testing::Test {
 protected:
  void Run(Duration span, const probe::HttpResult& ready, const probe::HttpResult& live,
           const probe::HttpResult& api) {
    for (Duration elapsed{0}; elapsed < span; elapsed += seconds(1)) {
      clock_.Advance(seconds(1));
      engine_.DispatchDue();
      client_.CompleteMatching("/ready", ready);
      client_.CompleteMatching("/healthz", live);
      client_.CompleteMatching("/api/data", api);
    }
  }

  FakeClock clock_;
  FakeHttpClient client_;
  Engine engine_{clock_, client_};
};

config::Target WithRoles() {
  config::Target target = MakeTarget("roles");
  target.health.path = "/ready";
  config::HealthCheck liveness = target.health;
  liveness.role = config::HealthRole::kLiveness;
  liveness.path = "/healthz";
  target.other_health_checks.push_back(liveness);
  return target;
}

TEST_F(EngineRolesTest, ReadinessPassingWhileApiFailsIsNamedAndLivenessKeepsItsOwnView) {
  engine_.Apply(MakeConfig({WithRoles()}));
  Run(seconds(40), Response(200), Response(503), Response(500));
  const EngineSnapshot snapshot = engine_.Snapshot();
  ASSERT_EQ(snapshot.targets.size(), 1u);
  const TargetSnapshot& target = snapshot.targets.front();
  ASSERT_EQ(target.checks.size(), 2u);
  EXPECT_TRUE(target.checks[0].primary);
  EXPECT_EQ(target.checks[0].role, config::HealthRole::kReadiness);
  EXPECT_EQ(target.checks[0].lb_state, eval::LbState::kHealthy);
  EXPECT_EQ(target.checks[1].role, config::HealthRole::kLiveness);
  EXPECT_EQ(target.checks[1].lb_state, eval::LbState::kUnhealthy);
  EXPECT_EQ(target.checks[0].probes_total, target.checks[1].probes_total);
  // The LB view and the verdict follow readiness alone.
  EXPECT_EQ(target.lb.state, eval::LbState::kHealthy);
  EXPECT_EQ(target.decision.verdict, eval::Verdict::kMismatch);
  EXPECT_TRUE(target.decision.reason.starts_with("readiness check /ready 200 in 2 ms while"))
      << target.decision.reason;
}

TEST_F(EngineRolesTest, FailingBodyComponentMakesItDegraded) {
  config::Target target = MakeTarget("body");
  target.health.path = "/ready";
  engine_.Apply(MakeConfig({target}));
  probe::HttpResult health = Response(200);
  health.body = R"({"database": "ok", "redis": "error: connection refused"})";
  health.headers = {{"content-type", "application/json"}};
  Run(seconds(40), health, health, Response(200));
  const TargetSnapshot snapshot = engine_.Snapshot().targets.front();
  EXPECT_EQ(snapshot.decision.verdict, eval::Verdict::kDegraded) << snapshot.decision.reason;
  EXPECT_EQ(snapshot.decision.cause, eval::Cause::kDegradedBody);
  ASSERT_EQ(snapshot.checks.size(), 1u);
  ASSERT_EQ(snapshot.checks[0].components.size(), 2u);
  EXPECT_EQ(snapshot.checks[0].components[1].name, "redis");
  EXPECT_EQ(snapshot.checks[0].components[1].status, eval::ComponentStatus::kFail);
}

TEST_F(EngineRolesTest, ComponentsBeyondTheCapAreDroppedAndCounted) {
  config::Target target = MakeTarget("many");
  target.health.path = "/ready";
  engine_.Apply(MakeConfig({target}));
  std::string body = "{";
  for (int i = 0; i < 40; ++i) body += (i ? "," : "") + ("\"c" + std::to_string(i) + "\": \"ok\"");
  body += "}";
  probe::HttpResult health = Response(200);
  health.body = body;
  health.headers = {{"content-type", "application/json"}};
  Run(seconds(15), health, health, Response(200));
  const TargetSnapshot snapshot = engine_.Snapshot().targets.front();
  EXPECT_EQ(snapshot.checks[0].components.size(), TargetState::kMaxComponents);
  EXPECT_EQ(snapshot.checks[0].components_dropped, 40 - TargetState::kMaxComponents);
}

TEST_F(EngineRolesTest, CachedHealthIsTheCause) {
  config::Target target = MakeTarget("cached");
  target.health.path = "/ready";
  engine_.Apply(MakeConfig({target}));
  probe::HttpResult health = Response(200);
  health.body = R"({"status": "ok"})";
  health.headers = {
      {"content-type", "application/json"}, {"age", "120"}, {"cache-control", "max-age=3600"}};
  Run(seconds(40), health, health, Response(500));
  const TargetSnapshot snapshot = engine_.Snapshot().targets.front();
  EXPECT_EQ(snapshot.decision.verdict, eval::Verdict::kMismatch);
  EXPECT_EQ(snapshot.decision.cause, eval::Cause::kCachedHealth) << snapshot.decision.reason;
  EXPECT_TRUE(snapshot.checks[0].cache.cached);
}

}  // namespace
}  // namespace healthgap::engine
