// `healthgap audit` against fixtures written from each balancer's documentation, one per
// finding with its exact message; the real `haproxy -c` and `nginx -t` accept every HAProxy
// and nginx fixture (they are real configs); the timings follow each balancer's scheduling;
// --emit-config output loads as a healthgap config; bad input is a clear error.

#include "audit/audit.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "app/audit.h"
#include "audit/findings.h"
#include "audit/haproxy_cfg.h"
#include "audit/nginx_conf.h"
#include "config/loader.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace healthgap::audit {
namespace {

using std::chrono::seconds;

const std::string kTestdata = std::string(HEALTHGAP_SOURCE_DIR) + "/tests/audit/testdata/";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

AuditedFile AuditFixture(const std::string& name) {
  return AuditText(ReadFile(kTestdata + name), name);
}

std::vector<Finding> Findings(const AuditedFile& file) {
  std::vector<Finding> out;
  for (const Pool& pool : file.pools) {
    for (Finding& finding : FindingsFor(pool)) out.push_back(std::move(finding));
  }
  return out;
}

struct FindingCase {
  const char* fixture;
  const char* rule;
  Severity severity;
  int line;
  const char* message;
};

class FixtureFinding : public ::testing::TestWithParam<FindingCase> {};

TEST_P(FixtureFinding, IsFoundWithItsExactMessage) {
  const FindingCase& c = GetParam();
  const AuditedFile file = AuditFixture(c.fixture);
  ASSERT_EQ(file.error, "");
  const std::vector<Finding> findings = Findings(file);
  std::string all;
  for (const Finding& f : findings) all += f.rule + ": " + f.message + "\n";
  // The fixture's one finding beyond HAProxy's "no timeout check" note.
  int serious = 0;
  for (const Finding& f : findings) serious += f.severity != Severity::kInfo;
  EXPECT_EQ(serious, 1) << all;
  const auto found = std::find_if(findings.begin(), findings.end(),
                                  [&](const Finding& f) { return f.rule == c.rule; });
  ASSERT_NE(found, findings.end()) << all;
  EXPECT_EQ(found->severity, c.severity);
  EXPECT_EQ(found->line, c.line);
  EXPECT_EQ(found->file, c.fixture);
  EXPECT_EQ(found->message, c.message);
  EXPECT_FALSE(found->fix.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Rules, FixtureFinding,
    ::testing::Values(
        FindingCase{"haproxy-no-check.cfg", "no-health-check", Severity::kCritical, 12,
                    "server s2 has no `check`: HAProxy sends it traffic whatever state it is in"},
        FindingCase{"haproxy-tcp-only.cfg", "tcp-only-check", Severity::kWarning, 8,
                    "TCP-only check (`check` without `option httpchk`): the port accepts while "
                    "the application fails, so HAProxy never takes a broken server out"},
        FindingCase{"haproxy-no-expect.cfg", "matcher-accepts-3xx-4xx", Severity::kWarning, 9,
                    "no `http-check expect`: HAProxy passes any 2xx or 3xx, so a redirect (to a "
                    "login page, to another host) counts as healthy"},
        FindingCase{"haproxy-expect-range.cfg", "matcher-accepts-3xx-4xx", Severity::kWarning, 9,
                    "`http-check expect status 200-499` passes 301: a redirect or a client "
                    "error counts as healthy"},
        FindingCase{"haproxy-slow-inter.cfg", "interval-above-10s", Severity::kWarning, 9,
                    "the check runs every 30s (inter): a broken server keeps getting traffic "
                    "for at least that long before the first failed check"},
        FindingCase{"haproxy-fall-5.cfg", "unhealthy-threshold-above-3", Severity::kWarning, 9,
                    "the check needs 5 consecutive failures (fall) to take a server out"},
        FindingCase{"haproxy-fall-1.cfg", "unhealthy-threshold-1", Severity::kWarning, 9,
                    "the check takes a server out on a single failed check (fall 1): one slow "
                    "response or dropped packet flaps it out of rotation"},
        FindingCase{"haproxy-timeout.cfg", "timeout-not-below-interval", Severity::kWarning, 8,
                    "the check times out after 5s (timeout check), not below its interval 2s: "
                    "a hung check holds up the next one"},
        FindingCase{"nginx-passive.conf", "passive-check-only", Severity::kWarning, 4,
                    "no active health check (open source nginx checks passively): a server is "
                    "out only after 1 real request failed on it, and gets them again every "
                    "fail_timeout (10s)"},
        FindingCase{"nginx-max-fails-0.conf", "no-health-check", Severity::kCritical, 3,
                    "max_fails=0 and no active health_check: nginx never takes a server out, "
                    "however many requests it fails"},
        FindingCase{"k8s-no-readiness.yaml", "readiness-probe-missing", Severity::kCritical, 22,
                    "no readinessProbe: the pod gets traffic as soon as it starts, and until it "
                    "dies"},
        FindingCase{"k8s-identical.yaml", "probes-identical", Severity::kWarning, 29,
                    "livenessProbe is the readinessProbe (/health): when a dependency fails, "
                    "every pod is restarted instead of taken out of rotation (kube-score "
                    "container-probes-identical, Kyverno ensure-probes-different)"},
        FindingCase{"k8s-liveness-deep.yaml", "liveness-checks-dependencies", Severity::kWarning,
                    29,
                    "livenessProbe on /health/ready, a path that sounds like it checks "
                    "dependencies: a dependency outage restarts every pod"},
        FindingCase{"k8s-slow-start.yaml", "startup-probe-missing", Severity::kWarning, 29,
                    "livenessProbe waits 90s (initialDelaySeconds) for a slow start: too short "
                    "and pods restart while starting, too long and a hung pod waits for it"},
        FindingCase{"k8s-slow-period.yaml", "interval-above-10s", Severity::kWarning, 26,
                    "readinessProbe runs every 30s (periodSeconds): a broken server keeps "
                    "getting traffic for at least that long before the first failed check"},
        FindingCase{"k8s-tcp-readiness.yaml", "tcp-only-check", Severity::kWarning, 26,
                    "readinessProbe is tcpSocket: the port accepts while the application fails"},
        FindingCase{"k8s-timeout.yaml", "timeout-not-below-interval", Severity::kWarning, 26,
                    "readinessProbe times out after 5s (timeoutSeconds), not below its interval "
                    "5s: a hung check holds up the next one"},
        FindingCase{"k8s-failure-threshold-5.yaml", "unhealthy-threshold-above-3",
                    Severity::kWarning, 26,
                    "readinessProbe needs 5 consecutive failures (failureThreshold) to take a "
                    "server out"},
        FindingCase{"aws-defaults.json", "interval-above-10s", Severity::kWarning, 3,
                    "the health check runs every 30s (HealthCheckIntervalSeconds): a broken "
                    "server keeps getting traffic for at least that long before the first "
                    "failed check"},
        FindingCase{"aws-disabled.json", "no-health-check", Severity::kCritical, 3,
                    "HealthCheckEnabled is false: the load balancer sends traffic to every "
                    "target whatever its state"},
        FindingCase{"aws-matcher.json", "matcher-accepts-3xx-4xx", Severity::kWarning, 3,
                    "Matcher HttpCode 200-399 passes 301: a redirect or a client error counts "
                    "as healthy"},
        FindingCase{"aws-tcp.json", "tcp-only-check", Severity::kWarning, 3,
                    "HealthCheckProtocol is TCP: the port accepts while the application fails"},
        FindingCase{"envoy-no-check.yaml", "no-health-check", Severity::kCritical, 4,
                    "no health_checks and no outlier_detection: Envoy sends traffic to every "
                    "endpoint whatever its state"},
        FindingCase{"envoy-outlier-only.yaml", "passive-check-only", Severity::kWarning, 20,
                    "only outlier_detection: an endpoint is ejected after 5 consecutive 5xx "
                    "from real requests, then gets them again after base_ejection_time (30s)"},
        FindingCase{"envoy-slow-interval.yaml", "interval-above-10s", Severity::kWarning, 19,
                    "health_check runs every 30s (interval): a broken server keeps getting "
                    "traffic for at least that long before the first failed check"},
        FindingCase{"envoy-statuses.yaml", "matcher-accepts-3xx-4xx", Severity::kWarning, 19,
                    "expected_statuses 200-399 passes 301: a redirect or a client error counts "
                    "as healthy"},
        FindingCase{"envoy-tcp.yaml", "tcp-only-check", Severity::kWarning, 20,
                    "tcp_health_check: the port accepts while the application fails"}),
    [](const ::testing::TestParamInfo<FindingCase>& info) {
      std::string name = info.param.fixture;
      for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return name;
    });

TEST(AuditFixtures, TheReferencesRecommendationsHaveNoFindings) {
  for (const char* fixture :
       {"haproxy-good.cfg", "k8s-good.yaml", "aws-good.json", "envoy-good.yaml"}) {
    const AuditedFile file = AuditFixture(fixture);
    ASSERT_EQ(file.error, "") << fixture;
    EXPECT_TRUE(Findings(file).empty()) << fixture;
  }
}

TEST(AuditFixtures, RealHaproxyAcceptsEveryHaproxyFixture) {
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kTestdata)) {
    if (entry.path().extension() != ".cfg") continue;
    testing::Subprocess haproxy({"haproxy", "-c", "-q", "-f", entry.path().string()},
                                testing::Subprocess::Stderr::kMergeIntoStdout);
    EXPECT_EQ(haproxy.WaitForExitCode(seconds(30)), 0)
        << entry.path() << ": " << haproxy.ReadAll(seconds(1));
    ++checked;
  }
  EXPECT_GE(checked, 9);
}

TEST(AuditFixtures, RealNginxAcceptsEveryNginxFixture) {
  testing::TempDir prefix;
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kTestdata)) {
    if (entry.path().extension() != ".conf") continue;
    testing::Subprocess nginx(
        {"nginx", "-t", "-q", "-c", entry.path().string(), "-p", prefix.path().string(), "-e",
         "stderr", "-g", "pid " + prefix.Path("nginx.pid") + ";"},
        testing::Subprocess::Stderr::kMergeIntoStdout);
    EXPECT_EQ(nginx.WaitForExitCode(seconds(30)), 0)
        << entry.path() << ": " << nginx.ReadAll(seconds(1));
    ++checked;
  }
  EXPECT_GE(checked, 2);
}

TEST(AuditTiming, HaproxySchedulesAfterCompletionWithFastinterInTransition) {
  const AuditedFile file = AuditFixture("haproxy-good.cfg");
  ASSERT_EQ(file.pools.size(), 1u);
  // inter 2s, then 3 failures each up to timeout 2s (connect 1s + check 1s), fastinter 1s
  // between them; back: downinter 5s, then 1 more pass after fastinter.
  const Timing timing = TimingOf(file.pools[0], 100);
  EXPECT_EQ(timing.out, Millis(2000 + 3 * 2000 + 2 * 1000));
  EXPECT_EQ(timing.back, Millis(5000 + 1000));
  EXPECT_DOUBLE_EQ(timing.requests_per_server, 50);
  EXPECT_DOUBLE_EQ(timing.failed_requests, 500);
}

TEST(AuditTiming, HaproxysDefaultsAreInter2sRise2Fall3) {
  const HaproxyConfig config = ParseHaproxyConfig(
      "defaults\n  mode http\nbackend app\n  server s1 10.0.0.1:80 check\n", "x.cfg");
  ASSERT_EQ(config.pools.size(), 1u);
  const Check& check = config.pools[0].check;
  EXPECT_EQ(check.kind, CheckKind::kTcp);
  EXPECT_EQ(check.interval, Millis(2000));
  EXPECT_EQ(check.healthy_threshold, 2);
  EXPECT_EQ(check.unhealthy_threshold, 3);
  EXPECT_EQ(TimingOf(config.pools[0], 10).out, Millis(2000 + 3 * 2000 + 2 * 2000));
}

TEST(AuditTiming, KubernetesProbesOnAFixedPeriod) {
  const AuditedFile file = AuditFixture("k8s-good.yaml");
  ASSERT_EQ(file.pools.size(), 1u);  // the Service is not a workload
  const Timing timing = TimingOf(file.pools[0], 100);
  EXPECT_EQ(timing.out, Millis(3 * 5000 + 1000));
  EXPECT_EQ(timing.back, Millis(5000));
  EXPECT_DOUBLE_EQ(timing.requests_per_server, 25);  // 4 replicas
}

TEST(AuditTiming, NginxPassiveCostsMaxFailsRequestsPerFailTimeout) {
  const AuditedFile file = AuditFixture("nginx-passive.conf");
  const Timing timing = TimingOf(file.pools.at(0), 100);
  EXPECT_FALSE(timing.never_out);
  EXPECT_DOUBLE_EQ(timing.failed_requests, 1);
  EXPECT_EQ(timing.back, Millis(10'000));
  EXPECT_TRUE(TimingOf(AuditFixture("nginx-max-fails-0.conf").pools.at(0), 100).never_out);
}

TEST(AuditNginx, NginxPlusHealthCheckAndMatchAreRead) {
  const ParsedPools config = ParseNginxConfig(
      "http {\n"
      "  match ok { status 200-499; }\n"
      "  upstream app { zone app 64k; server 10.0.0.1:80; }\n"
      "  server { location / { proxy_pass http://app;\n"
      "    health_check interval=30s fails=5 passes=2 uri=/ready match=ok; } }\n"
      "}\n",
      "plus.conf");
  ASSERT_EQ(config.error, "");
  ASSERT_EQ(config.pools.size(), 1u);
  const Check& check = config.pools[0].check;
  EXPECT_EQ(check.kind, CheckKind::kHttp);
  EXPECT_EQ(check.path, "/ready");
  EXPECT_EQ(check.interval, Millis(30'000));
  EXPECT_EQ(check.unhealthy_threshold, 5);
  EXPECT_EQ(check.healthy_threshold, 2);
  EXPECT_EQ(check.line, 5);
  std::vector<std::string> rules;
  for (const Finding& f : FindingsFor(config.pools[0])) rules.push_back(f.rule);
  EXPECT_EQ(rules, (std::vector<std::string>{"matcher-accepts-3xx-4xx", "interval-above-10s",
                                             "unhealthy-threshold-above-3"}));
}

TEST(AuditInput, UnknownAndBrokenFilesAreClearErrors) {
  EXPECT_EQ(DetectFormat("this is not a balancer config"), Format::kUnknown);
  EXPECT_NE(AuditFixture("unknown.txt").error.find("not a balancer config healthgap reads"),
            std::string::npos);
  EXPECT_EQ(ParseHaproxyConfig("backend app\n  server s1\n", "x.cfg").error,
            "line 2: `server` needs a name and an address");
  EXPECT_EQ(
      ParseHaproxyConfig("backend app\n  server s1 10.0.0.1:80 check inter soon\n", "x.cfg").error,
      "line 2: `inter soon`: not an HAProxy time");
  EXPECT_EQ(ParseNginxConfig("http {\n  upstream app {\n", "x.conf").error,
            "unexpected end of file, expecting \"}\"");
  EXPECT_EQ(AuditText("apiVersion: v1\nkind: Pod\nspec: [\n", "x.yaml").format,
            Format::kKubernetes);
  EXPECT_NE(AuditText("apiVersion: v1\nkind: Pod\nspec: [\n", "x.yaml").error, "");
  EXPECT_EQ(AuditText("{\n    \"TargetGroups\": 3\n}\n", "tg.json").error,
            "no TargetGroups list (the output of `aws elbv2 describe-target-groups`)");
  EXPECT_EQ(
      AuditText("static_resources:\n  listeners: []\n  clusters: []\nlb_policy: x\n", "envoy.yaml")
          .error,
      "no clusters (static_resources.clusters or resources)");
}

TEST(AuditTiming, AwsOnAFixedPeriodEnvoyAfterCompletionEachWithItsDefaults) {
  // ALB defaults for what describe-target-groups leaves out: timeout 5 s, 5 healthy, 2 out.
  const AuditedFile aws = AuditText(
      "{\"TargetGroups\": [{\"TargetGroupName\": \"web\", \"Protocol\": \"HTTP\", "
      "\"HealthCheckPath\": \"/ready\", \"HealthCheckIntervalSeconds\": 10}]}\n",
      "tg.json");
  ASSERT_EQ(aws.error, "");
  ASSERT_EQ(aws.pools.size(), 1u);
  const Timing timing = TimingOf(aws.pools[0], 100);
  EXPECT_EQ(timing.out, seconds(2 * 10 + 5));
  EXPECT_EQ(timing.back, seconds(5 * 10));
  const AuditedFile envoy = AuditFixture("envoy-good.yaml");
  ASSERT_EQ(envoy.pools.size(), 1u);
  EXPECT_EQ(envoy.pools[0].servers.size(), 2u);
  EXPECT_EQ(envoy.pools[0].servers[1].address, "10.0.1.12:8080");
  // Envoy schedules after completion: interval + 2 x timeout + 1 x interval.
  EXPECT_EQ(TimingOf(envoy.pools[0], 100).out, seconds(5 + 2 * 1 + 5));
  EXPECT_EQ(TimingOf(envoy.pools[0], 100).back, seconds(5 + 5));
  EXPECT_EQ(TimingOf(envoy.pools[0], 100).requests_per_server, 50);
}

TEST(AuditCommand, ExitCodesAndJson) {
  std::ostringstream out, err;
  app::AuditOptions options;
  options.files = {kTestdata + "haproxy-good.cfg", kTestdata + "k8s-good.yaml"};
  EXPECT_EQ(app::RunAudit(options, out, err), app::kAuditClean) << err.str();
  options.files.push_back(kTestdata + "haproxy-no-check.cfg");
  options.format = "json";
  out.str("");
  EXPECT_EQ(app::RunAudit(options, out, err), app::kAuditFindings);
  EXPECT_NE(out.str().find("\"rule\": \"no-health-check\""), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("\"out_seconds\": 10.0"), std::string::npos) << out.str();
  options.files = {kTestdata + "unknown.txt"};
  EXPECT_EQ(app::RunAudit(options, out, err), app::kAuditBadInput);
  options.files = {kTestdata + "no-such-file.cfg"};
  EXPECT_EQ(app::RunAudit(options, out, err), app::kAuditBadInput);
}

TEST(AuditEmitConfig, LoadsAsAHealthgapConfigThatProbesAsTheBalancerDoes) {
  const std::string yaml =
      EmitConfig({AuditFixture("haproxy-good.cfg"), AuditFixture("k8s-good.yaml")});
  const config::LoadResult loaded = config::LoadString(yaml, "<emitted>");
  ASSERT_TRUE(loaded.config) << loaded.error->Format() << "\n" << yaml;
  ASSERT_EQ(loaded.config->targets.size(), 3u);
  const config::Target& s1 = loaded.config->targets[0];
  EXPECT_EQ(s1.name, "app-s1");
  EXPECT_EQ(s1.base_url, "http://10.0.1.7:8080");
  EXPECT_EQ(s1.health.path, "/ready");
  EXPECT_EQ(s1.health.expected_status, (StatusMatcher{{{200, 200}}}));
  EXPECT_EQ(s1.health.interval, Millis(2000));
  EXPECT_EQ(s1.health.fast_interval, Millis(1000));
  EXPECT_EQ(s1.health.down_interval, Millis(5000));
  EXPECT_EQ(s1.health.healthy_threshold, 2);
  EXPECT_EQ(s1.health.unhealthy_threshold, 3);
  ASSERT_TRUE(s1.lb_source);
  EXPECT_EQ(s1.lb_source->server, "s1");
  EXPECT_EQ(loaded.config->sources.at(0).address, "unix:/run/haproxy/admin.sock");
  EXPECT_EQ(loaded.config->targets[2].health.path, "/readyz");
  EXPECT_EQ(loaded.config->targets[2].health.interval, Millis(5000));
}

TEST(AuditEmitConfig, EveryFixturesEmittedConfigLoads) {
  int emitted = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kTestdata)) {
    const AuditedFile file = AuditFixture(entry.path().filename().string());
    if (!file.error.empty()) continue;
    const std::string yaml = EmitConfig({file});
    if (yaml.empty()) continue;  // nothing active to probe
    const config::LoadResult loaded = config::LoadString(yaml, entry.path().string());
    EXPECT_TRUE(loaded.config) << loaded.error->Format() << "\n" << yaml;
    ++emitted;
  }
  EXPECT_GE(emitted, 22);
}

}  // namespace
}  // namespace healthgap::audit
