#include "engine/target_state.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "common/clock.h"

namespace healthgap::engine {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

config::Target TwoCheckTarget() {
  config::Target target;
  target.name = "t";
  target.base_url = "http://127.0.0.1:1";
  target.health.healthy_threshold = 2;
  target.health.unhealthy_threshold = 2;
  config::HealthCheck liveness;
  liveness.role = config::HealthRole::kLiveness;
  liveness.path = "/live";
  liveness.healthy_threshold = 1;
  liveness.unhealthy_threshold = 1;
  target.other_health_checks.push_back(liveness);
  config::ApiSample data;
  data.name = "data";
  data.path = "/api/data";
  data.latency_budget = milliseconds(100);
  target.samples.push_back(data);
  target.evaluation.window = seconds(60);
  target.evaluation.min_samples = 2;
  return target;
}

probe::HttpResult Response(int status, milliseconds latency, std::string body = "") {
  probe::HttpResult result;
  result.status_code = status;
  result.total = latency;
  result.body = std::move(body);
  return result;
}

probe::HttpResult TransportFailure(FailureReason reason) {
  probe::HttpResult result;
  result.error = reason;
  return result;
}

bool CanFailWith(const FailureReasonSet& set, FailureReason reason) {
  return Contains(set, reason);
}

Regex Re(std::string_view pattern) {
  std::string error;
  std::optional<Regex> regex = Regex::Compile(pattern, &error);
  EXPECT_TRUE(regex) << error;
  return regex ? *regex : *Regex::Compile("", &error);
}

TEST(PossibleFailuresTest, AnHttpCheckCanFailOnlyWaysItsConfigAllows) {
  config::HealthCheck check;  // GET /health, no redirects, no conditions
  const FailureReasonSet plain = PossibleFailures(check);
  for (FailureReason reason :
       {FailureReason::kStatus, FailureReason::kTimeout, FailureReason::kConnectionRefused,
        FailureReason::kConnectionReset, FailureReason::kDns, FailureReason::kTls,
        FailureReason::kTooLarge, FailureReason::kBadResponse, FailureReason::kOther}) {
    EXPECT_TRUE(CanFailWith(plain, reason)) << ToString(reason);
  }
  for (FailureReason reason :
       {FailureReason::kSlow, FailureReason::kRedirectLoop, FailureReason::kBodyMismatch,
        FailureReason::kHeaderMismatch, FailureReason::kGrpcNotServing,
        FailureReason::kGrpcServiceUnknown, FailureReason::kGrpcUnimplemented,
        FailureReason::kGrpcUnavailable, FailureReason::kGrpcStatus}) {
    EXPECT_FALSE(CanFailWith(plain, reason)) << ToString(reason);
  }

  check.http.follow_redirects = true;
  check.conditions.fail_if_body_matches.push_back(Re("down"));
  check.conditions.fail_if_header_not_matches.push_back(
      {.header = "content-type", .regexp = Re("json"), .allow_missing = false});
  const FailureReasonSet strict = PossibleFailures(check);
  EXPECT_TRUE(CanFailWith(strict, FailureReason::kRedirectLoop));
  EXPECT_TRUE(CanFailWith(strict, FailureReason::kBodyMismatch));
  EXPECT_TRUE(CanFailWith(strict, FailureReason::kHeaderMismatch));
  EXPECT_FALSE(CanFailWith(strict, FailureReason::kSlow));  // health checks have no budget
}

TEST(PossibleFailuresTest, SamplesFollowRedirectsAndAreSlowOnlyWithABudget) {
  config::ApiSample sample;
  EXPECT_TRUE(CanFailWith(PossibleFailures(sample), FailureReason::kRedirectLoop));
  EXPECT_FALSE(CanFailWith(PossibleFailures(sample), FailureReason::kSlow));
  sample.latency_budget = milliseconds(100);
  EXPECT_TRUE(CanFailWith(PossibleFailures(sample), FailureReason::kSlow));
  EXPECT_FALSE(CanFailWith(PossibleFailures(sample), FailureReason::kGrpcStatus));
}

TEST(PossibleFailuresTest, TcpAndGrpcChecksHaveTheirOwnReasons) {
  config::HealthCheck tcp;
  tcp.type = config::HealthCheckType::kTcp;
  EXPECT_FALSE(CanFailWith(PossibleFailures(tcp), FailureReason::kStatus));
  EXPECT_FALSE(CanFailWith(PossibleFailures(tcp), FailureReason::kBodyMismatch));
  tcp.tcp.expect = Re("^\\+OK");
  EXPECT_TRUE(CanFailWith(PossibleFailures(tcp), FailureReason::kBodyMismatch));

  config::HealthCheck grpc;
  grpc.type = config::HealthCheckType::kGrpc;
  EXPECT_FALSE(CanFailWith(PossibleFailures(grpc), FailureReason::kStatus));
  for (FailureReason reason :
       {FailureReason::kGrpcNotServing, FailureReason::kGrpcServiceUnknown,
        FailureReason::kGrpcUnimplemented, FailureReason::kGrpcUnavailable,
        FailureReason::kGrpcStatus, FailureReason::kBadResponse, FailureReason::kTimeout}) {
    EXPECT_TRUE(CanFailWith(PossibleFailures(grpc), reason)) << ToString(reason);
  }
}

// The set is a promise about Judge: whatever a job's result, the reason Judge gives it is in
// its job's set, so no series of a configured job appears only at its first failure.
TEST(PossibleFailuresTest, EveryReasonJudgeGivesIsInItsJobsSet) {
  config::Target target = TwoCheckTarget();
  target.health.conditions.fail_if_body_matches.push_back(Re("down"));
  config::HealthCheck grpc;
  grpc.type = config::HealthCheckType::kGrpc;
  grpc.role = config::HealthRole::kLiveness;
  target.other_health_checks.push_back(grpc);
  const TargetState state(target);

  // What each job's client can answer: HTTP responses and curl's transport failures (no
  // redirect_loop without follow_redirects), and for the gRPC check its calls' codes and the
  // transport failures grpc_health_client maps.
  std::vector<probe::HttpResult> http_results;
  for (int status : {200, 301, 404, 500, 503}) {
    for (milliseconds latency : {milliseconds(1), milliseconds(500)}) {
      http_results.push_back(Response(status, latency, "down"));
      http_results.push_back(Response(status, latency, "ok"));
    }
  }
  std::vector<probe::HttpResult> grpc_results;
  for (int code : {0, 5, 12, 14, 16}) {  // OK, NOT_FOUND, UNIMPLEMENTED, UNAVAILABLE, UNAUTH.
    for (int serving : {1, 2, 3}) {
      probe::HttpResult result;
      result.grpc = probe::GrpcReply{.code = code, .serving_status = serving};
      grpc_results.push_back(result);
    }
  }
  for (FailureReason reason :
       {FailureReason::kTimeout, FailureReason::kConnectionRefused, FailureReason::kConnectionReset,
        FailureReason::kDns, FailureReason::kTls, FailureReason::kBadResponse,
        FailureReason::kOther}) {
    http_results.push_back(TransportFailure(reason));
    grpc_results.push_back(TransportFailure(reason));
  }
  http_results.push_back(TransportFailure(FailureReason::kTooLarge));
  http_results.push_back(TransportFailure(FailureReason::kRedirectLoop));  // the sample follows

  const auto wall = std::chrono::system_clock::now();
  const auto expect_in_set = [&](Job job, const probe::HttpResult& result,
                                 const FailureReasonSet& set) {
    const JudgedResult judged = Judge(state.config(), job, result, {}, wall);
    if (!judged.outcome.reason) return;
    EXPECT_TRUE(CanFailWith(set, *judged.outcome.reason))
        << (job.kind == Job::Kind::kHealth ? "check " : "sample ") << job.index << ": "
        << ToString(*judged.outcome.reason);
  };
  for (const probe::HttpResult& result : http_results) {
    if (result.error != FailureReason::kRedirectLoop) {
      for (std::size_t check : {0, 1}) {
        expect_in_set(Job::Health(check), result, state.checks()[check].possible_failures);
      }
    }
    expect_in_set(Job::Sample(0), result, state.samples()[0].possible_failures);
  }
  for (const probe::HttpResult& result : grpc_results) {
    expect_in_set(Job::Health(2), result, state.checks()[2].possible_failures);
  }
}

class TargetStateTest : public ::testing::Test {
 protected:
  void Health(std::size_t check, probe::HttpResult result) {
    state_.Record(Judge(state_.config(), Job::Health(check), std::move(result), clock_.Now(),
                        clock_.WallNow()));
  }
  void Sample(probe::HttpResult result) {
    state_.Record(
        Judge(state_.config(), Job::Sample(0), std::move(result), clock_.Now(), clock_.WallNow()));
  }

  FakeClock clock_;
  TargetState state_{TwoCheckTarget()};
};

TEST_F(TargetStateTest, JudgeClassifiesAgainstTheJobsOwnConfig) {
  const config::Target target = TwoCheckTarget();
  // 200 passes a health check (200-399) and a sample (2xx) alike, unless the sample is slow.
  EXPECT_TRUE(
      Judge(target, Job::Health(1), Response(200, milliseconds(500)), {}, {}).outcome.success);
  const JudgedResult slow = Judge(target, Job::Sample(0), Response(200, milliseconds(500)), {}, {});
  EXPECT_FALSE(slow.outcome.success);
  EXPECT_EQ(slow.outcome.reason, FailureReason::kSlow);
  // A 302 passes the health check and fails the sample.
  EXPECT_TRUE(
      Judge(target, Job::Health(0), Response(302, milliseconds(1)), {}, {}).outcome.success);
  EXPECT_EQ(Judge(target, Job::Sample(0), Response(302, milliseconds(1)), {}, {}).outcome.reason,
            FailureReason::kStatus);
}

TEST_F(TargetStateTest, OnlyHealthResponsesAreParsedForComponents) {
  const config::Target target = TwoCheckTarget();
  const std::string body = R"({"status":"UP","components":{"db":{"status":"DOWN"}}})";
  const JudgedResult health =
      Judge(target, Job::Health(0), Response(200, milliseconds(1), body), {}, {});
  EXPECT_EQ(health.body.format, eval::BodyFormat::kSpringActuator);
  EXPECT_TRUE(health.cache_facts.has_value());
  const JudgedResult sample =
      Judge(target, Job::Sample(0), Response(200, milliseconds(1), body), {}, {});
  EXPECT_EQ(sample.body.format, eval::BodyFormat::kNone);
  EXPECT_FALSE(sample.cache_facts.has_value());
}

TEST_F(TargetStateTest, EachCheckKeepsItsOwnLbViewAndThePrimaryDecides) {
  Health(0, Response(200, milliseconds(2)));
  Health(1, Response(503, milliseconds(2)));
  TargetSnapshot snapshot = state_.Snapshot(clock_.Now());
  ASSERT_EQ(snapshot.checks.size(), 2u);
  EXPECT_EQ(snapshot.primary().lb_state, eval::LbState::kUnknown);    // 1 of 2 passes
  EXPECT_EQ(snapshot.checks[1].lb_state, eval::LbState::kUnhealthy);  // threshold 1
  Health(0, Response(200, milliseconds(2)));
  snapshot = state_.Snapshot(clock_.Now());
  EXPECT_EQ(snapshot.primary().lb_state, eval::LbState::kHealthy);
  EXPECT_EQ(state_.lb_state(), eval::LbState::kHealthy);
  EXPECT_EQ(snapshot.primary().probes_total, 2u);
  EXPECT_EQ(snapshot.checks[1].failures_total[static_cast<std::size_t>(FailureReason::kStatus)],
            1u);
  EXPECT_EQ(snapshot.lb.state, eval::LbState::kHealthy);
}

TEST_F(TargetStateTest, SamplesLeaveTheWindowOnTheFakeClock) {
  Health(0, Response(200, milliseconds(2)));
  Health(0, Response(200, milliseconds(2)));
  Sample(Response(500, milliseconds(5)));
  Sample(Response(500, milliseconds(5)));
  TargetSnapshot snapshot = state_.Snapshot(clock_.Now());
  EXPECT_EQ(snapshot.api_window.total, 2);
  EXPECT_EQ(snapshot.decision.verdict, eval::Verdict::kMismatch);
  EXPECT_FALSE(snapshot.decision.reason.empty());

  clock_.Advance(seconds(61));  // both samples are now older than the 60 s window
  snapshot = state_.Snapshot(clock_.Now());
  EXPECT_EQ(snapshot.api_window.total, 0);
  EXPECT_EQ(snapshot.decision.verdict, eval::Verdict::kUnknown);
  // The counters are cumulative: they never leave.
  EXPECT_EQ(snapshot.samples[0].requests_total, 2u);
}

TEST_F(TargetStateTest, MetricsSnapshotsCarryTheVerdictWithoutItsReasonOrRecentProbes) {
  Health(0, Response(200, milliseconds(2)));
  Health(0, Response(200, milliseconds(2)));
  Sample(Response(500, milliseconds(5)));
  Sample(Response(500, milliseconds(5)));
  const TargetSnapshot full = state_.Snapshot(clock_.Now(), SnapshotScope::kFull);
  const TargetSnapshot metrics = state_.Snapshot(clock_.Now(), SnapshotScope::kMetrics);
  EXPECT_EQ(metrics.decision.verdict, full.decision.verdict);
  EXPECT_EQ(metrics.decision.cause, full.decision.cause);
  EXPECT_FALSE(full.decision.reason.empty());
  EXPECT_TRUE(metrics.decision.reason.empty());
  EXPECT_EQ(full.recent.size(), 4u);
  EXPECT_TRUE(metrics.recent.empty());
}

TEST_F(TargetStateTest, AJobRunsOnceAtATimeAndUnknownJobsNever) {
  EXPECT_TRUE(state_.TryStartJob(Job::Health(0)));
  EXPECT_FALSE(state_.TryStartJob(Job::Health(0)));
  // Health check 0 and sample 0 are different jobs.
  EXPECT_TRUE(state_.TryStartJob(Job::Sample(0)));
  state_.FinishJob(Job::Health(0));
  EXPECT_TRUE(state_.TryStartJob(Job::Health(0)));
  EXPECT_FALSE(state_.TryStartJob(Job::Health(2)));
  EXPECT_FALSE(state_.TryStartJob(Job::Sample(1)));
}

TEST_F(TargetStateTest, ResultsForJobsTheTargetNoLongerHasAreIgnored) {
  Health(5, Response(200, milliseconds(2)));
  state_.Record(Judge(state_.config(), Job::Sample(3), Response(500, milliseconds(2)), clock_.Now(),
                      clock_.WallNow()));
  const TargetSnapshot snapshot = state_.Snapshot(clock_.Now());
  EXPECT_EQ(snapshot.primary().probes_total, 0u);
  EXPECT_EQ(snapshot.samples[0].requests_total, 0u);
  EXPECT_TRUE(snapshot.recent.empty());
}

TEST_F(TargetStateTest, AdoptKeepsHistoryOnlyWhenTheLbSemanticsStay) {
  Health(0, Response(200, milliseconds(2)));
  config::Target renamed_path = TwoCheckTarget();
  renamed_path.health.path = "/ready";
  EXPECT_TRUE(state_.Adopt(renamed_path));
  EXPECT_EQ(state_.config().health.path, "/ready");
  EXPECT_EQ(state_.Snapshot(clock_.Now()).primary().probes_total, 1u);
  // What the check shows follows the new config at once, before its next probe.
  EXPECT_EQ(state_.Snapshot(clock_.Now()).primary().path, "/ready");
  EXPECT_EQ(state_.checks().front().path, "/ready");

  config::Target new_thresholds = TwoCheckTarget();
  new_thresholds.health.unhealthy_threshold = 5;
  EXPECT_FALSE(state_.Adopt(new_thresholds));
  config::Target other_sample = TwoCheckTarget();
  other_sample.samples[0].name = "orders";
  EXPECT_FALSE(state_.Adopt(other_sample));
  EXPECT_EQ(state_.config().health.path, "/ready");
}

TEST_F(TargetStateTest, RecentProbesAreBoundedAndNameTheirJob) {
  for (std::size_t i = 0; i < TargetState::kRecentProbes + 5; ++i) {
    Health(i % 2, Response(200, milliseconds(1)));
  }
  Sample(Response(200, milliseconds(1)));
  const TargetSnapshot snapshot = state_.Snapshot(clock_.Now());
  ASSERT_EQ(snapshot.recent.size(), TargetState::kRecentProbes);
  EXPECT_EQ(snapshot.recent.back().what, "data");
  EXPECT_EQ(snapshot.recent[snapshot.recent.size() - 2].what, "health");
  EXPECT_EQ(snapshot.recent[snapshot.recent.size() - 3].what, "health/liveness");
}

// The transport's own words stay with a failed probe, and only with it.
TEST_F(TargetStateTest, RecentProbesKeepTheTransportsWordsOfAFailure) {
  probe::HttpResult refused;
  refused.error = FailureReason::kConnectionRefused;
  refused.error_message = "Connection refused";
  refused.total = milliseconds(1);
  Health(0, refused);
  Health(0, Response(200, milliseconds(1)));
  const TargetSnapshot snapshot = state_.Snapshot(clock_.Now());
  ASSERT_EQ(snapshot.recent.size(), 2u);
  EXPECT_EQ(snapshot.recent[0].error, FailureReason::kConnectionRefused);
  EXPECT_EQ(snapshot.recent[0].error_detail, "Connection refused");
  EXPECT_FALSE(snapshot.recent[0].success);
  EXPECT_TRUE(snapshot.recent[1].success);
  EXPECT_EQ(snapshot.recent[1].error_detail, "");
  EXPECT_EQ(snapshot.recent[1].status_code, 200);
}

}  // namespace
}  // namespace healthgap::engine
