#include "metrics/collector.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/fake_http_client.h"
#include "metrics/names.h"
#include "support/family_builder.h"
#include "support/promtool.h"

namespace healthgap::metrics {
namespace {

using std::chrono::milliseconds;
using ::testing::Contains;
using ::testing::Not;

std::size_t Index(FailureReason reason) { return static_cast<std::size_t>(reason); }

// Target "a": in rotation while its API times out (the mismatch we exist for).
engine::TargetSnapshot MismatchTarget() {
  engine::TargetSnapshot t;
  t.name = "a";
  t.base_url = "http://127.0.0.1:1";
  t.labels = {{"team", "x"}};
  engine::HealthCheckSnapshot& health = t.primary();
  health.last.has_result = true;
  health.last.success = true;
  health.last.status_code = 200;
  health.last.duration = milliseconds(2);
  health.last.phases = {0.0001, 0.0005, 0, 0.001, 0.0004};
  health.probes_total = 12;
  health.failures_total[Index(FailureReason::kStatus)] = 1;
  health.latency.Observe(0.002);
  health.latency.Observe(0.003);
  health.lb_state = eval::LbState::kHealthy;
  t.lb.state = eval::LbState::kHealthy;
  t.api_window.total = 40;
  t.api_window.failures = 38;
  t.api_window.error_ratio = 0.95;
  t.decision = {eval::Verdict::kMismatch, "health check 200 in 2 ms while 38/40 ..."};
  engine::SampleSnapshot orders;
  orders.name = "orders";
  orders.requests_total = 40;
  orders.failures_total[Index(FailureReason::kTimeout)] = 38;
  orders.latency.Observe(0.004);  // le=0.005
  orders.latency.Observe(0.004);  // le=0.005
  orders.latency.Observe(0.3);    // le=0.5
  orders.latency.Observe(5.0);    // le=5 (bounds are inclusive)
  orders.latency.Observe(45.0);   // +Inf only
  t.samples.push_back(orders);
  engine::SampleSnapshot search;
  search.name = "search";
  search.requests_total = 3;
  t.samples.push_back(search);
  return t;
}

// Target "b": no health result yet, and label values that need escaping.
engine::TargetSnapshot FreshTarget() {
  engine::TargetSnapshot t;
  t.name = "b";
  t.labels = {{"team", "y"}, {"env", "we\"ird\\path\nline"}};
  engine::SampleSnapshot home;
  home.name = "home";
  t.samples.push_back(home);
  return t;
}

engine::EngineSnapshot Snapshot() {
  engine::EngineSnapshot s;
  s.targets = {MismatchTarget(), FreshTarget()};
  s.stats.health_probes_sent = 13;
  s.stats.api_samples_sent = 44;
  s.stats.in_flight = 2;
  s.stats.scheduling_lag.Observe(0.0001);
  return s;
}

ExporterStatus Status() { return {"1.2.3", true, 1700000000}; }

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string Text() { return ExpositionText(Snapshot(), Status()); }

TEST(Collector, VerdictOneHotWithTargetLabels) {
  const auto lines = Lines(Text());
  EXPECT_THAT(lines, Contains(R"(healthgap_verdict{target="a",team="x",verdict="mismatch"} 1)"));
  EXPECT_THAT(lines, Contains(R"(healthgap_verdict{target="a",team="x",verdict="healthy"} 0)"));
  EXPECT_THAT(lines, Contains(R"(healthgap_verdict{target="a",team="x",verdict="unknown"} 0)"));
  EXPECT_THAT(lines, Contains(R"(healthgap_verdict{target="a",team="x",verdict="down"} 0)"));
  EXPECT_THAT(lines,
              Contains(R"(healthgap_verdict{target="a",team="x",verdict="false-negative"} 0)"));
  int verdict_series = 0;
  for (const auto& line : lines) verdict_series += line.starts_with("healthgap_verdict{");
  EXPECT_THAT(lines, Contains(R"(healthgap_verdict{target="a",team="x",verdict="degraded"} 0)"));
  EXPECT_EQ(verdict_series, 12);  // 6 verdicts x 2 targets
}

TEST(Collector, LbViewSeries) {
  const auto lines = Lines(Text());
  EXPECT_THAT(lines, Contains(R"(healthgap_lb_healthy{target="a",team="x"} 1)"));
  EXPECT_THAT(lines, Contains(R"(healthgap_lb_state{state="healthy",target="a",team="x"} 1)"));
  EXPECT_THAT(lines, Contains(R"(healthgap_lb_state{state="unhealthy",target="a",team="x"} 0)"));
  EXPECT_THAT(lines, Contains(R"(healthgap_lb_state{state="unknown",target="a",team="x"} 0)"));
}

TEST(Collector, ProbeSeriesOnlyAfterFirstHealthResult) {
  const auto lines = Lines(Text());
  EXPECT_THAT(lines, Contains(R"(probe_success{target="a",team="x"} 1)"));
  EXPECT_THAT(lines, Contains(R"(probe_http_status_code{target="a",team="x"} 200)"));
  EXPECT_THAT(lines, Contains(R"(probe_duration_seconds{target="a",team="x"} 0.002)"));
  EXPECT_THAT(
      lines,
      Contains(R"(probe_http_duration_seconds{phase="connect",target="a",team="x"} 0.0005)"));
  EXPECT_THAT(lines, Contains(R"(probe_http_duration_seconds{phase="tls",target="a",team="x"} 0)"));
  for (const auto& line : lines) {
    if (line.starts_with("probe_")) {
      EXPECT_THAT(line, Not(::testing::HasSubstr(R"(target="b")"))) << line;
    }
  }
  // The fresh target still reports its LB view and verdict.
  EXPECT_THAT(lines, Contains(::testing::StartsWith(R"(healthgap_lb_state{env=)")));
}

TEST(Collector, CountersKeepTotalSuffix) {
  const auto lines = Lines(Text());
  EXPECT_THAT(lines, Contains("# TYPE healthgap_api_requests_total counter"));
  EXPECT_THAT(lines,
              Contains(R"(healthgap_api_requests_total{sample="orders",target="a",team="x"} 40)"));
  EXPECT_THAT(
      lines,
      Contains(R"(healthgap_health_probes_total{check="readiness",target="a",team="x"} 12)"));
  EXPECT_THAT(lines, Contains(R"(healthgap_probes_sent_total{kind="health"} 13)"));
  EXPECT_THAT(lines, Contains(R"(healthgap_probes_sent_total{kind="api"} 44)"));
}

TEST(Collector, FailureCountersCarryEveryReasonIncludingZeros) {
  const auto lines = Lines(Text());
  EXPECT_THAT(
      lines,
      Contains(
          R"(healthgap_api_request_failures_total{reason="timeout",sample="orders",target="a",team="x"} 38)"));
  EXPECT_THAT(
      lines,
      Contains(
          R"(healthgap_api_request_failures_total{reason="status",sample="orders",target="a",team="x"} 0)"));
  EXPECT_THAT(
      lines,
      Contains(
          R"(healthgap_health_probe_failures_total{check="readiness",reason="status",target="a",team="x"} 1)"));
  int orders_series = 0;
  for (const auto& line : lines) {
    orders_series += line.starts_with("healthgap_api_request_failures_total{") &&
                     line.find(R"(sample="orders")") != std::string::npos;
  }
  EXPECT_EQ(orders_series, static_cast<int>(kFailureReasonCount));
}

TEST(Collector, FailureCountersCarryOnlyTheReasonsAJobCanFailWithAndAnyThatHappened) {
  engine::EngineSnapshot snapshot;
  engine::TargetSnapshot& target = snapshot.targets.emplace_back(MismatchTarget());
  engine::SampleSnapshot& orders = target.samples.front();
  orders.possible_failures.reset();
  Add(orders.possible_failures, FailureReason::kStatus);
  Add(orders.possible_failures, FailureReason::kTimeout);
  orders.failures_total[Index(FailureReason::kRedirectLoop)] = 2;  // outside the set, happened

  std::vector<std::string> orders_series;
  for (const auto& line : Lines(ExpositionText(snapshot, ExporterStatus{}))) {
    if (line.starts_with("healthgap_api_request_failures_total{") &&
        line.find(R"(sample="orders")") != std::string::npos) {
      orders_series.push_back(line);
    }
  }
  EXPECT_THAT(
      orders_series,
      ::testing::UnorderedElementsAre(
          R"(healthgap_api_request_failures_total{reason="status",sample="orders",target="a",team="x"} 0)",
          R"(healthgap_api_request_failures_total{reason="timeout",sample="orders",target="a",team="x"} 38)",
          R"(healthgap_api_request_failures_total{reason="redirect_loop",sample="orders",target="a",team="x"} 2)"));
}

TEST(Collector, UserViewGauges) {
  const auto lines = Lines(Text());
  EXPECT_THAT(lines, Contains(R"(healthgap_api_error_ratio{target="a",team="x"} 0.95)"));
  EXPECT_THAT(lines, Contains(R"(healthgap_api_window_samples{target="a",team="x"} 40)"));
}

TEST(Collector, SelfMetrics) {
  const auto lines = Lines(Text());
  EXPECT_THAT(lines, Contains("healthgap_probes_in_flight 2"));
  EXPECT_THAT(lines, Contains("healthgap_targets 2"));
  EXPECT_THAT(lines, Contains(R"(healthgap_build_info{version="1.2.3"} 1)"));
  EXPECT_THAT(lines, Contains("healthgap_config_last_reload_successful 1"));
  EXPECT_THAT(lines, Contains("healthgap_config_last_reload_success_timestamp_seconds 1700000000"));
  EXPECT_THAT(lines, Contains("healthgap_scheduling_lag_seconds_count 1"));
}

TEST(Collector, EveryNameHasHelpAndType) {
  const auto lines = Lines(Text());
  for (const char* name : {names::kProbeSuccess,
                           names::kProbeDurationSeconds,
                           names::kProbeHttpStatusCode,
                           names::kProbeHttpDurationSeconds,
                           names::kHealthProbesTotal,
                           names::kHealthProbeFailuresTotal,
                           names::kHealthProbeDurationSeconds,
                           names::kLbHealthy,
                           names::kLbState,
                           names::kApiRequestsTotal,
                           names::kApiRequestFailuresTotal,
                           names::kApiRequestDurationSeconds,
                           names::kApiErrorRatio,
                           names::kApiWindowSamples,
                           names::kVerdict,
                           names::kProbesSentTotal,
                           names::kProbesInFlight,
                           names::kSchedulingLagSeconds,
                           names::kTargets,
                           names::kBuildInfo,
                           names::kConfigLastReloadSuccessful,
                           names::kConfigLastReloadSuccessTimestampSeconds}) {
    const std::string help = std::string("# HELP ") + name + " ";
    const std::string type = std::string("# TYPE ") + name + " ";
    int helps = 0, types = 0;
    for (const auto& line : lines) {
      helps += line.starts_with(help) && line.size() > help.size();
      types += line.starts_with(type);
    }
    EXPECT_EQ(helps, 1) << name;
    EXPECT_EQ(types, 1) << name;
  }
}

TEST(Collector, LabelValuesEscapedAndSorted) {
  const auto lines = Lines(Text());
  EXPECT_THAT(
      lines,
      Contains(
          R"(healthgap_verdict{env="we\"ird\\path\nline",target="b",team="y",verdict="unknown"} 1)"));
  EXPECT_THAT(
      lines,
      Contains(
          R"(healthgap_api_requests_total{env="we\"ird\\path\nline",sample="home",target="b",team="y"} 0)"));
}

TEST(Collector, DropsInvalidOrCollidingConfiguredLabels) {
  engine::EngineSnapshot snapshot;
  engine::TargetSnapshot t;
  t.name = "c";
  t.labels = {{"bad-name", "1"},    {"__reserved", "1"}, {"target", "spoof"},
              {"verdict", "spoof"}, {"9lives", "1"},     {"ok_1", "v"}};
  snapshot.targets.push_back(t);
  const auto lines = Lines(ExpositionText(snapshot, Status()));
  EXPECT_THAT(lines, Contains(R"(healthgap_verdict{ok_1="v",target="c",verdict="unknown"} 1)"));
  EXPECT_THAT(lines, Contains(R"(healthgap_lb_healthy{ok_1="v",target="c"} 0)"));
}

TEST(IsValidLabelName, Rules) {
  EXPECT_TRUE(IsValidLabelName("team"));
  EXPECT_TRUE(IsValidLabelName("_x9"));
  EXPECT_FALSE(IsValidLabelName(""));
  EXPECT_FALSE(IsValidLabelName("9x"));
  EXPECT_FALSE(IsValidLabelName("a-b"));
  EXPECT_FALSE(IsValidLabelName("__name"));
}

// Parses `<family>_bucket{<labels>,le="..."} N` lines for one series.
std::vector<std::pair<std::string, double>> Buckets(const std::vector<std::string>& lines,
                                                    const std::string& family,
                                                    const std::string& labels) {
  std::vector<std::pair<std::string, double>> buckets;
  const std::string prefix = family + "_bucket{" + labels + ",le=\"";
  for (const auto& line : lines) {
    if (!line.starts_with(prefix)) continue;
    const auto quote = line.find('"', prefix.size());
    buckets.emplace_back(line.substr(prefix.size(), quote - prefix.size()),
                         std::stod(line.substr(line.rfind(' ') + 1)));
  }
  return buckets;
}

TEST(Collector, HistogramBucketsCumulativeAndConsistent) {
  const auto lines = Lines(Text());
  const std::string family = names::kApiRequestDurationSeconds;
  const std::string labels = R"(sample="orders",target="a",team="x")";
  const auto buckets = Buckets(lines, family, labels);
  ASSERT_EQ(buckets.size(), kLatencyBucketsSeconds.size() + 1);
  EXPECT_EQ(buckets.back().first, "+Inf");
  for (std::size_t i = 1; i < buckets.size(); ++i) {
    EXPECT_GE(buckets[i].second, buckets[i - 1].second) << "le=" << buckets[i].first;
  }
  const std::map<std::string, double> by_le(buckets.begin(), buckets.end());
  EXPECT_EQ(by_le.at("0.0025"), 0);
  EXPECT_EQ(by_le.at("0.005"), 2);
  EXPECT_EQ(by_le.at("0.25"), 2);
  EXPECT_EQ(by_le.at("0.5"), 3);
  EXPECT_EQ(by_le.at("5"), 4);
  EXPECT_EQ(by_le.at("30"), 4);
  EXPECT_EQ(by_le.at("+Inf"), 5);
  EXPECT_THAT(lines, Contains(family + "_count{" + labels + "} 5"));
  EXPECT_THAT(lines, Contains(family + "_sum{" + labels + "} 50.308"));
}

TEST(ToCumulativeHistogram, EmptyHasAllBucketsAtZero) {
  const auto h = ToCumulativeHistogram(LatencyHistogram{});
  ASSERT_EQ(h.bucket.size(), kLatencyBucketsSeconds.size() + 1);
  EXPECT_EQ(h.bucket.back().upper_bound, std::numeric_limits<double>::infinity());
  for (const auto& b : h.bucket) EXPECT_EQ(b.cumulative_count, 0u);
  EXPECT_EQ(h.sample_count, 0u);
}

TEST(ToCumulativeHistogram, InfEqualsCount) {
  LatencyHistogram latency;
  latency.Observe(0.001);
  latency.Observe(100);
  const auto h = ToCumulativeHistogram(latency);
  EXPECT_EQ(h.bucket.front().cumulative_count, 1u);  // le=0.001 is inclusive
  EXPECT_EQ(h.bucket[h.bucket.size() - 2].cumulative_count, 1u);
  EXPECT_EQ(h.bucket.back().cumulative_count, 2u);
  EXPECT_EQ(h.sample_count, 2u);
  EXPECT_DOUBLE_EQ(h.sample_sum, 100.001);
}

TEST(Collector, EmptySnapshotHasOnlySelfMetrics) {
  const auto lines = Lines(ExpositionText({}, Status()));
  EXPECT_THAT(lines, Contains("healthgap_targets 0"));
  for (const auto& line : lines) {
    EXPECT_FALSE(line.starts_with("# TYPE healthgap_verdict")) << line;
    EXPECT_FALSE(line.starts_with("# TYPE probe_success")) << line;
  }
}

TEST(Promtool, FullSnapshotPassesLint) {
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/promtool"));
  const std::string text = Text();
  const auto [code, output] = testing::PromtoolCheckMetrics(text);
  EXPECT_EQ(code, 0) << output << "\n--- exposition ---\n" << text;
  EXPECT_EQ(output, "") << text;
}

TEST(Promtool, EmptySnapshotPassesLint) {
  const auto [code, output] = testing::PromtoolCheckMetrics(ExpositionText({}, Status()));
  EXPECT_EQ(code, 0) << output;
  EXPECT_EQ(output, "");
}

TEST(Promtool, CatchesBrokenExposition) {
  // Shows the check above can fail: a counter without the _total suffix is a lint finding.
  const auto [code, output] = testing::PromtoolCheckMetrics(
      "# HELP bad_requests x\n# TYPE bad_requests counter\nbad_requests 1\n");
  EXPECT_NE(code, 0);
  EXPECT_NE(output, "");
}

}  // namespace
}  // namespace healthgap::metrics

namespace healthgap::metrics {
namespace {

// Target "d": readiness (primary) and liveness checks, a body with a failing component and more
// components than exported, cache evidence, and the verdict's cause.
engine::TargetSnapshot DeepTarget() {
  engine::TargetSnapshot t = MismatchTarget();
  t.name = "d";
  t.base_url = "https://d.internal:8443";
  t.labels = {};
  t.decision = {eval::Verdict::kMismatch, "...", eval::Cause::kCachedHealth};
  t.detachment.latency_ratio = 1500;
  engine::HealthCheckSnapshot readiness;
  readiness.role = config::HealthRole::kReadiness;
  readiness.lb = "aws-alb";
  readiness.path = "/health?token=secret";
  readiness.url = "https://d.internal:8443/health";  // config::DisplayUrl: without the query
  readiness.primary = true;
  readiness.last.has_result = true;
  readiness.last.success = true;
  readiness.last.tls = probe::TlsInfo{
      .version = TlsVersion::kTls12, .earliest_cert_expiry = 1.8e9, .last_chain_expiry = 1.7e9};
  readiness.probes_total = 7;
  readiness.lb_state = eval::LbState::kHealthy;
  readiness.components = {{"database", eval::ComponentStatus::kPass, ""},
                          {"redis", eval::ComponentStatus::kFail, "error: refused"}};
  readiness.components_dropped = 5;
  readiness.cache.cached = true;
  readiness.cache.evidence = {"Age: 35 s", "Cache-Control max-age=3600",
                              "Date header stuck at Tue, 24 Nov 2026 01:00:00 GMT across 4 probes "
                              "over 30 s"};
  readiness.cache.signals = {eval::CacheSignal::kAgeHeader, eval::CacheSignal::kCacheControl,
                             eval::CacheSignal::kDateStuck};
  engine::HealthCheckSnapshot liveness;
  liveness.role = config::HealthRole::kLiveness;
  liveness.path = "/livez";
  liveness.type = config::HealthCheckType::kTcp;
  liveness.url = "tcp://d.internal:8443";
  liveness.probes_total = 3;
  liveness.lb_state = eval::LbState::kUnhealthy;
  liveness.cache.evidence = {
      "Cache-Control max-age=1 (shorter than the 10 s probe interval: not "
      "proof on its own)"};
  t.checks = {readiness, liveness};
  return t;
}

std::vector<std::string> DeepLines() {
  const engine::TargetSnapshot target = DeepTarget();
  return Lines(TargetExpositionText(std::span(&target, 1)));
}

TEST(Collector, CertificateSeriesFollowTheLastHandshake) {
  const auto lines = DeepLines();
  EXPECT_THAT(lines, Contains(R"(probe_ssl_earliest_cert_expiry{target="d"} 1800000000)"));
  EXPECT_THAT(lines,
              Contains(R"(probe_ssl_last_chain_expiry_timestamp_seconds{target="d"} 1700000000)"));
  EXPECT_THAT(lines, Contains(R"(probe_tls_version_info{target="d",version="TLS 1.2"} 1)"));
  // The sample has made no handshake (plain http): no series rather than a zero.
  for (const std::string& line : lines) {
    EXPECT_FALSE(line.starts_with("healthgap_api_ssl_")) << line;
    EXPECT_FALSE(line.starts_with("healthgap_api_tls_")) << line;
  }
}

TEST(Collector, PerCheckSeriesCarryTheRole) {
  const auto lines = DeepLines();
  EXPECT_THAT(lines, Contains(R"(healthgap_health_probes_total{check="readiness",target="d"} 7)"));
  EXPECT_THAT(lines, Contains(R"(healthgap_health_probes_total{check="liveness",target="d"} 3)"));
  EXPECT_THAT(lines,
              Contains(R"(healthgap_health_check_lb_healthy{check="readiness",target="d"} 1)"));
  EXPECT_THAT(lines,
              Contains(R"(healthgap_health_check_lb_healthy{check="liveness",target="d"} 0)"));
  EXPECT_THAT(lines, Contains(R"(healthgap_health_check_success{check="readiness",target="d"} 1)"));
  EXPECT_THAT(
      lines,
      Contains(
          R"(healthgap_health_check_info{check="readiness",lb="aws-alb",primary="true",target="d",type="http",url="https://d.internal:8443/health"} 1)"));
  EXPECT_THAT(
      lines,
      Contains(
          R"(healthgap_health_check_info{check="liveness",lb="custom",primary="false",target="d",type="tcp",url="tcp://d.internal:8443"} 1)"));
  // The liveness check has no result yet: no success series for it.
  EXPECT_THAT(
      lines,
      Not(Contains(::testing::StartsWith(R"(healthgap_health_check_success{check="liveness")"))));
  // blackbox-compatible series stay unlabelled: the primary check only.
  EXPECT_THAT(lines, Contains(R"(probe_success{target="d"} 1)"));
  EXPECT_THAT(lines, Contains(R"(healthgap_lb_healthy{target="d"} 1)"));
}

TEST(Collector, ComponentsOneHotAndDroppedCount) {
  const auto lines = DeepLines();
  EXPECT_THAT(
      lines,
      Contains(
          R"(healthgap_health_component_status{check="readiness",component="redis",status="fail",target="d"} 1)"));
  EXPECT_THAT(
      lines,
      Contains(
          R"(healthgap_health_component_status{check="readiness",component="redis",status="pass",target="d"} 0)"));
  EXPECT_THAT(
      lines,
      Contains(
          R"(healthgap_health_component_status{check="readiness",component="database",status="pass",target="d"} 1)"));
  EXPECT_THAT(lines,
              Contains(R"(healthgap_health_components_dropped{check="readiness",target="d"} 5)"));
  int component_series = 0;
  for (const auto& line : lines) {
    component_series += line.starts_with("healthgap_health_component_status{");
  }
  EXPECT_EQ(component_series, 6);  // 2 components x 3 statuses
}

TEST(Collector, CacheEvidenceKinds) {
  const auto lines = DeepLines();
  EXPECT_THAT(lines, Contains(R"(healthgap_health_cached{check="readiness",target="d"} 1)"));
  EXPECT_THAT(lines, Contains(R"(healthgap_health_cached{check="liveness",target="d"} 0)"));
  for (const char* kind : {"age_header", "cache_control", "date_stuck"}) {
    EXPECT_THAT(
        lines, Contains(std::string(R"(healthgap_health_cache_evidence{check="readiness",kind=")") +
                        kind + R"(",target="d"} 1)"));
  }
  EXPECT_THAT(
      lines,
      Contains(
          R"(healthgap_health_cache_evidence{check="readiness",kind="body_frozen",target="d"} 0)"));
  // A hint that is not proof is not evidence.
  EXPECT_THAT(
      lines,
      Contains(
          R"(healthgap_health_cache_evidence{check="liveness",kind="cache_control",target="d"} 0)"));
}

TEST(Collector, VerdictInfoAndLatencyRatio) {
  const auto lines = DeepLines();
  EXPECT_THAT(
      lines,
      Contains(R"(healthgap_verdict_info{cause="cached_health",target="d",verdict="mismatch"} 1)"));
  EXPECT_THAT(lines, Contains(R"(healthgap_health_api_latency_ratio{target="d"} 1500)"));
  int info_series = 0;
  for (const auto& line : lines) info_series += line.starts_with("healthgap_verdict_info{");
  EXPECT_EQ(info_series, 1);
}

TEST(Collector, DeepSeriesPassPromtool) {
  const engine::TargetSnapshot target = DeepTarget();
  const std::string text = TargetExpositionText(std::span(&target, 1));
  const auto [code, output] = healthgap::testing::PromtoolCheckMetrics(text);
  EXPECT_EQ(code, 0) << output << "\n--- exposition ---\n" << text;
  EXPECT_EQ(output, "") << text;
}

std::string PrometheusCppText(const std::vector<prometheus::MetricFamily>& families) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

// The text /metrics and /probe serve is written straight from the snapshot; the same definitions
// also build prometheus-cpp's objects, and prometheus-cpp's own serializer must write the same
// bytes from those. (Not with a newline in a label value: TextSerializer writes it raw, which
// is the one place we differ on purpose; LabelValuesEscapedAndSorted covers ours.)
TEST(Collector, TextIsWhatPrometheusCppSerializerWrites) {
  engine::EngineSnapshot snapshot = Snapshot();
  snapshot.targets[1].labels["env"] = R"(we"ird\path)";
  snapshot.targets.push_back(DeepTarget());
  const std::string text = ExpositionText(snapshot, Status());
  EXPECT_EQ(text, PrometheusCppText(testing::BuildFamilies(snapshot, Status())));
  EXPECT_THAT(text, ::testing::HasSubstr(R"(env="we\"ird\\path")"));
  EXPECT_THAT(text, ::testing::HasSubstr("healthgap_health_component_status{"));

  const std::span<const engine::TargetSnapshot> targets(snapshot.targets);
  EXPECT_EQ(TargetExpositionText(targets),
            PrometheusCppText(testing::BuildTargetFamilies(targets)));
  const std::span<const engine::TargetSnapshot> deep = targets.last(1);
  EXPECT_EQ(TargetExpositionText(deep), PrometheusCppText(testing::BuildTargetFamilies(deep)));
}

// /metrics streams the text in chunks: together they are exactly the whole text, and no chunk
// but the last is smaller than kExpositionChunkBytes.
TEST(Collector, StreamedExpositionIsTheWholeTextInChunks) {
  engine::EngineSnapshot snapshot = Snapshot();
  for (int i = 0; snapshot.targets.size() < 400; ++i) {
    engine::TargetSnapshot target = DeepTarget();
    target.name = "t" + std::to_string(i);
    snapshot.targets.push_back(std::move(target));
  }
  const std::string whole = ExpositionText(snapshot, Status());
  ASSERT_GT(whole.size(), 2 * kExpositionChunkBytes);
  std::vector<std::string> chunks;
  WriteExposition(snapshot, Status(), [&](std::string_view chunk) { chunks.emplace_back(chunk); });
  std::string joined;
  for (const std::string& chunk : chunks) joined += chunk;
  EXPECT_EQ(joined, whole);
  ASSERT_GE(chunks.size(), 2u);
  for (std::size_t i = 0; i + 1 < chunks.size(); ++i) {
    EXPECT_GE(chunks[i].size(), kExpositionChunkBytes) << "chunk " << i;
  }
}

// A fleet probed by an engine on a fake clock: each target answers its health check and its
// sample with its own status, and one has a second (liveness) check.
class LiveScrapeTest : public ::testing::Test {
 protected:
  static config::Target Target(std::string name, std::string health_path) {
    config::Target target;
    target.name = std::move(name);
    target.base_url = "http://127.0.0.1:1";
    target.labels = {{"team", "payments"}};
    target.health.path = std::move(health_path);
    target.health.interval = std::chrono::seconds(10);
    target.health.timeout = std::chrono::seconds(5);
    config::ApiSample sample;
    sample.name = "data";
    sample.path = "/api/" + target.name;
    sample.interval = std::chrono::seconds(5);
    sample.timeout = std::chrono::seconds(5);
    target.samples.push_back(sample);
    target.evaluation.window = std::chrono::seconds(60);
    target.evaluation.min_samples = 4;
    return target;
  }

  void SetUp() override {
    config::Config config;
    config.source = "<test>";
    config.targets = {Target("healthy", "/health/ok"), Target("lying", "/health/ok"),
                      Target("down", "/health/down")};
    config::HealthCheck liveness = config.targets[1].health;
    liveness.role = config::HealthRole::kLiveness;
    liveness.path = "/health/live";
    config.targets[1].other_health_checks.push_back(liveness);
    engine_.Apply(config);
    for (int second = 0; second < 40; ++second) {
      clock_.Advance(std::chrono::seconds(1));
      engine_.DispatchDue();
      client_.CompleteMatching("/health/ok", testing::Response(200));
      client_.CompleteMatching("/health/live", testing::Response(200));
      client_.CompleteMatching("/health/down", testing::Response(503));
      client_.CompleteMatching("/api/healthy", testing::Response(200));
      client_.CompleteMatching("/api/lying", testing::Response(500));
      client_.CompleteMatching("/api/down", testing::Response(503));
    }
  }

  std::string LiveText() const {
    const engine::Engine::LiveFleet fleet = engine_.Scrape();
    std::string text;
    WriteExposition(fleet, fleet.stats(), fleet.sources(), Status(),
                    [&](std::string_view chunk) { text += chunk; });
    return text;
  }

  FakeClock clock_;
  testing::FakeHttpClient client_;
  engine::Engine engine_{clock_, client_};
};

// /metrics writes from the live state, family by family; the text is exactly what the
// snapshot path writes (which the tests above hold to prometheus-cpp's serializer).
TEST_F(LiveScrapeTest, WritesWhatTheSnapshotWrites) {
  const std::string live = LiveText();
  EXPECT_EQ(live, ExpositionText(engine_.Snapshot(engine::SnapshotScope::kMetrics), Status()));
  EXPECT_THAT(live,
              ::testing::HasSubstr("target=\"lying\",team=\"payments\",verdict=\"mismatch\"} 1\n"));
  EXPECT_THAT(live, ::testing::HasSubstr("healthgap_health_probes_total{check=\"liveness\""));
}

// The scrape keeps its targets: a reload that drops them all meanwhile changes nothing it
// walks, and the next scrape sees the new fleet.
TEST_F(LiveScrapeTest, KeepsItsTargetsThroughAReload) {
  const engine::Engine::LiveFleet fleet = engine_.Scrape();
  engine_.Apply(config::Config{});
  std::vector<std::string> names;
  std::vector<std::uint64_t> probes;
  fleet.ForEach([&](std::size_t, const engine::TargetView& target) {
    names.push_back(target.summary.name);
    probes.push_back(target.checks.front().probes_total);
  });
  EXPECT_THAT(names, ::testing::ElementsAre("healthy", "lying", "down"));
  EXPECT_THAT(probes, ::testing::Each(::testing::Gt(0u)));
  EXPECT_EQ(engine_.Scrape().size(), 0u);
}

}  // namespace
}  // namespace healthgap::metrics
