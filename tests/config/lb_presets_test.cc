// `lb:` presets and `health_checks:` roles, through the real loader: exact values per preset,
// explicit fields over the preset, and the exact error of each rule.

#include "config/lb_presets.h"

#include <gtest/gtest.h>

#include <string>

#include "config/loader.h"

namespace healthgap::config {
namespace {

using std::chrono::seconds;

Config Load(const std::string& yaml) {
  LoadResult result = LoadString(yaml, "cfg.yml");
  EXPECT_TRUE(result.config) << (result.error ? result.error->Format() : "");
  return result.config ? *result.config : Config{};
}

std::string Error(const std::string& yaml) {
  LoadResult result = LoadString(yaml, "cfg.yml");
  EXPECT_FALSE(result.config);
  return result.error ? result.error->Format() : "";
}

std::string OneTarget(const std::string& extra) {
  return "targets:\n"
         "  - name: t\n"
         "    url: http://127.0.0.1:8080\n" +
         extra +
         "    samples: [{path: /api/data}]\n"
         "    evaluation: {window: 10m}\n";
}

struct Expected {
  std::string name;
  seconds interval, timeout;
  int healthy, unhealthy;
  StatusMatcher status;
  HealthCheckType type = HealthCheckType::kHttp;
  std::string path = "/health";  // presets leave the endpoint alone, but for gRPC's method
  std::optional<StatusMatcher> grpc_codes = std::nullopt;
};

// Names the case in test listings instead of dumping its bytes.
void PrintTo(const Expected& c, std::ostream* out) { *out << c.name; }

class PresetTest : public ::testing::TestWithParam<Expected> {};

TEST_P(PresetTest, SetsTheBalancersDocumentedValues) {
  const Expected& e = GetParam();
  const Config config = Load(OneTarget("    lb: " + e.name + "\n"));
  ASSERT_EQ(config.targets.size(), 1u);
  const HealthCheck& health = config.targets[0].health;
  EXPECT_EQ(health.lb, e.name);
  EXPECT_EQ(health.interval, e.interval);
  EXPECT_EQ(health.timeout, e.timeout);
  EXPECT_EQ(health.healthy_threshold, e.healthy);
  EXPECT_EQ(health.unhealthy_threshold, e.unhealthy);
  EXPECT_EQ(health.expected_status, e.status);
  EXPECT_EQ(health.type, e.type);
  EXPECT_EQ(health.path, e.path);
  EXPECT_EQ(health.grpc.expected_codes, e.grpc_codes);
}

INSTANTIATE_TEST_SUITE_P(
    Balancers, PresetTest,
    ::testing::Values(
        Expected{"aws-alb", seconds(30), seconds(5), 5, 2, StatusMatcher{{{200, 200}}}},
        Expected{"k8s-readiness", seconds(10), seconds(1), 1, 3, StatusMatcher{{{200, 399}}}},
        Expected{"nginx-plus", seconds(5), seconds(5), 1, 1, StatusMatcher{{{200, 399}}}},
        Expected{"haproxy", seconds(2), seconds(2), 2, 3, StatusMatcher{{{200, 399}}}},
        Expected{"envoy", seconds(5), seconds(1), 2, 3, StatusMatcher{{{200, 200}}}},
        Expected{"custom", seconds(10), seconds(5), 2, 3, StatusMatcher{{{200, 399}}}},
        Expected{"aws-nlb", seconds(30), seconds(10), 5, 2, StatusMatcher{{{200, 399}}},
                 HealthCheckType::kTcp},
        Expected{"haproxy-tcp", seconds(2), seconds(2), 2, 3, StatusMatcher{{{200, 399}}},
                 HealthCheckType::kTcp},
        Expected{"k8s-grpc", seconds(10), seconds(1), 1, 3, StatusMatcher{{{200, 399}}},
                 HealthCheckType::kGrpc, "/grpc.health.v1.Health/Check"},
        Expected{"aws-alb-grpc", seconds(30), seconds(5), 5, 2, StatusMatcher{{{200, 399}}},
                 HealthCheckType::kGrpc, "/AWS.ALB/healthcheck", StatusMatcher{{{12, 12}}}}),
    [](const ::testing::TestParamInfo<Expected>& info) {
      std::string name = info.param.name;
      std::erase(name, '-');
      return name;
    });

TEST(HealthCheckTypes, TcpAndGrpcKeysResolve) {
  const Config config = Load(
      "targets:\n"
      "  - name: db\n"
      "    url: http://127.0.0.1:8080\n"
      "    health: {type: tcp, port: 5432, tls: true, send: \"PING\\r\\n\", expect: "
      "\"^\\\\+PONG\"}\n"
      "    samples: [{path: /api/data}]\n"
      "  - name: payments\n"
      "    url: https://127.0.0.1:8443\n"
      "    lb: k8s-grpc\n"
      "    health: {service: payments, headers: {x-probe: healthgap}}\n"
      "    samples: [{path: /api/data}]\n"
      "  - name: alb\n"
      "    url: http://127.0.0.1:8080\n"
      "    lb: aws-alb-grpc\n"
      "    health: {path: /grpc.health.v1.Health/Check, expected_grpc_codes: \"0,12-13\"}\n"
      "    samples: [{path: /api/data}]\n");
  ASSERT_EQ(config.targets.size(), 3u);
  const HealthCheck& tcp = config.targets[0].health;
  EXPECT_EQ(tcp.type, HealthCheckType::kTcp);
  EXPECT_EQ(tcp.port, 5432);
  EXPECT_EQ(tcp.tls, true);
  EXPECT_EQ(tcp.tcp.send, "PING\r\n");
  ASSERT_TRUE(tcp.tcp.expect.has_value());
  EXPECT_TRUE(tcp.tcp.expect->Search("+PONG"));
  const HealthCheck& grpc = config.targets[1].health;
  EXPECT_EQ(grpc.type, HealthCheckType::kGrpc);
  EXPECT_EQ(grpc.grpc.service, "payments");
  EXPECT_EQ(grpc.path, "/grpc.health.v1.Health/Check");
  EXPECT_EQ(grpc.tls, std::nullopt);  // the https base URL decides
  ASSERT_EQ(grpc.headers.size(), 1u);
  const HealthCheck& alb = config.targets[2].health;
  EXPECT_EQ(alb.path, "/grpc.health.v1.Health/Check");  // its own path over the preset's
  EXPECT_EQ(alb.grpc.expected_codes, (StatusMatcher{{{0, 0}, {12, 13}}}));
}

TEST(HealthCheckTypes, DefaultsHttpKeysDoNotReachATcpTarget) {
  // A fleet's defaults speak HTTP; a TCP-checked target among them takes only what applies.
  const Config config = Load(
      "defaults:\n"
      "  health: {path: /healthz, expected_status: 200, follow_redirects: true}\n"
      "targets:\n"
      "  - name: db\n"
      "    url: http://127.0.0.1:8080\n"
      "    lb: haproxy-tcp\n"
      "    samples: [{path: /api/data}]\n"
      "  - name: grpc\n"
      "    url: http://127.0.0.1:8080\n"
      "    health: {type: grpc}\n"
      "    samples: [{path: /api/data}]\n");
  ASSERT_EQ(config.targets.size(), 2u);
  EXPECT_EQ(config.targets[0].health.type, HealthCheckType::kTcp);
  EXPECT_EQ(config.targets[1].health.path, "/grpc.health.v1.Health/Check");  // not /healthz
}

TEST(LbPresets, EveryPresetHasASourceOrANote) {
  for (const LbPreset& preset : AllLbPresets()) {
    EXPECT_TRUE(!preset.source_url.empty() || !preset.note.empty()) << preset.name;
    EXPECT_LE(preset.timeout, preset.interval) << preset.name;
  }
  EXPECT_EQ(LbPresetNames(),
            "custom, aws-alb, k8s-readiness, nginx-plus, haproxy, envoy, aws-nlb, haproxy-tcp, "
            "k8s-grpc, aws-alb-grpc");
}

TEST(LbPresets, NoPresetKeepsTheBuiltInDefaults) {
  const Config config = Load(OneTarget(""));
  EXPECT_EQ(config.targets[0].health, HealthCheck{});
}

TEST(LbPresets, ExplicitFieldsOverrideThePreset) {
  const Config config =
      Load(OneTarget("    lb: aws-alb\n    health: {interval: 10s, healthy_threshold: 2}\n"));
  const HealthCheck& health = config.targets[0].health;
  EXPECT_EQ(health.interval, seconds(10));
  EXPECT_EQ(health.healthy_threshold, 2);
  EXPECT_EQ(health.timeout, seconds(5));     // from the preset
  EXPECT_EQ(health.unhealthy_threshold, 2);  // from the preset
}

TEST(LbPresets, TargetPresetBeatsDefaultsFieldsAndDefaultsPreset) {
  const Config config = Load(
      "defaults:\n"
      "  lb: haproxy\n"
      "  health: {healthy_threshold: 4}\n" +
      OneTarget("    lb: k8s-readiness\n") +
      "  - name: u\n"
      "    url: http://127.0.0.1:8081\n"
      "    samples: [{path: /api/data}]\n"
      "    evaluation: {window: 10m}\n");
  ASSERT_EQ(config.targets.size(), 2u);
  EXPECT_EQ(config.targets[0].health.lb, "k8s-readiness");
  EXPECT_EQ(config.targets[0].health.healthy_threshold, 1);
  // Without its own preset a target takes defaults.health fields over the defaults preset.
  EXPECT_EQ(config.targets[1].health.lb, "haproxy");
  EXPECT_EQ(config.targets[1].health.healthy_threshold, 4);
  EXPECT_EQ(config.targets[1].health.interval, seconds(2));
}

TEST(LbPresets, UnknownPresetIsRejected) {
  EXPECT_EQ(Error(OneTarget("    lb: f5\n")),
            "cfg.yml:4: targets[0].lb: unknown load balancer \"f5\", expected one of custom, "
            "aws-alb, k8s-readiness, nginx-plus, haproxy, envoy, aws-nlb, haproxy-tcp, k8s-grpc, "
            "aws-alb-grpc");
}

TEST(LbPresets, TimeoutAbovePresetIntervalNamesThePreset) {
  EXPECT_EQ(Error(OneTarget("    lb: haproxy\n    health: {timeout: 5s}\n")),
            "cfg.yml:5: targets[0].health.timeout: timeout 5s exceeds interval 2s (from "
            "targets[0].lb, line 4); a request must time out before the next one is due");
}

TEST(HealthRoles, ReadinessIsPrimaryWhateverTheOrder) {
  const Config config =
      Load(OneTarget("    lb: k8s-readiness\n"
                     "    health_checks:\n"
                     "      - {role: liveness, path: /healthz, unhealthy_threshold: 5}\n"
                     "      - {role: readiness, path: /ready}\n"));
  const Target& target = config.targets[0];
  EXPECT_EQ(target.health.role, HealthRole::kReadiness);
  EXPECT_EQ(target.health.path, "/ready");
  EXPECT_EQ(target.health.unhealthy_threshold, 3);
  ASSERT_EQ(target.other_health_checks.size(), 1u);
  EXPECT_EQ(target.other_health_checks[0].role, HealthRole::kLiveness);
  EXPECT_EQ(target.other_health_checks[0].path, "/healthz");
  EXPECT_EQ(target.other_health_checks[0].unhealthy_threshold, 5);
  EXPECT_EQ(target.other_health_checks[0].timeout, seconds(1));  // each check gets the preset
}

TEST(HealthRoles, LivenessAloneIsThePrimary) {
  const Config config = Load(OneTarget("    health_checks: [{role: liveness, path: /healthz}]\n"));
  EXPECT_EQ(config.targets[0].health.role, HealthRole::kLiveness);
  EXPECT_TRUE(config.targets[0].other_health_checks.empty());
}

TEST(HealthRoles, SingleHealthDefaultsToReadiness) {
  const Config config = Load(OneTarget("    health: {path: /status}\n"));
  EXPECT_EQ(config.targets[0].health.role, HealthRole::kReadiness);
}

TEST(HealthRoles, Errors) {
  EXPECT_EQ(Error(OneTarget("    health: {path: /h}\n    health_checks: [{path: /r}]\n")),
            "cfg.yml:5: targets[0].health_checks: set either health or health_checks, not both; "
            "health is already set at line 4");
  EXPECT_EQ(Error(OneTarget("    health_checks:\n"
                            "      - {role: readiness, path: /a}\n"
                            "      - {role: readiness, path: /b}\n")),
            "cfg.yml:6: targets[0].health_checks[1].role: duplicate role \"readiness\", first at "
            "line 5; at most one check per role");
  EXPECT_EQ(Error(OneTarget("    health_checks: [{role: startup}]\n")),
            "cfg.yml:4: targets[0].health_checks[0].role: invalid role \"startup\", expected "
            "readiness or liveness");
  EXPECT_EQ(Error(OneTarget("    health_checks: []\n")),
            "cfg.yml:4: targets[0].health_checks: must list at least one health check");
}

}  // namespace
}  // namespace healthgap::config
