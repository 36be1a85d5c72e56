#include "config/lb_presets.h"

#include <array>

namespace healthgap::config {
namespace {

using std::chrono::seconds;

constexpr auto kTcp = HealthCheckType::kTcp;
constexpr auto kGrpc = HealthCheckType::kGrpc;

const std::array<LbPreset, 10>& Presets() {
  static const std::array<LbPreset, 10> presets = {{
      {"custom", seconds(10), seconds(5), 2, 3, StatusMatcher{{{200, 399}}}, "",
       "healthgap's own defaults: the reference playbook's ALB settings with a 200-399 matcher"},
      {"aws-alb", seconds(30), seconds(5), 5, 2, StatusMatcher{{{200, 200}}},
       "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/"
       "target-group-health-checks.html",
       ""},
      {"k8s-readiness", seconds(10), seconds(1), 1, 3, StatusMatcher{{{200, 399}}},
       "https://kubernetes.io/docs/tasks/configure-pod-container/"
       "configure-liveness-readiness-startup-probes/#configure-probes",
       ""},
      {"nginx-plus", seconds(5), seconds(5), 1, 1, StatusMatcher{{{200, 399}}},
       "https://nginx.org/en/docs/http/ngx_http_upstream_hc_module.html#health_check",
       "nginx has no health-check timeout of its own (it uses proxy_connect_timeout and "
       "proxy_read_timeout, 60s by default); healthgap caps it at the 5s interval"},
      {"haproxy", seconds(2), seconds(2), 2, 3, StatusMatcher{{{200, 399}}},
       "https://docs.haproxy.org/2.8/configuration.html#5.2-inter",
       "without `timeout check` HAProxy uses `inter` as the check timeout"},
      {"envoy", seconds(5), seconds(1), 2, 3, StatusMatcher{{{200, 200}}},
       "https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/core/v3/health_check.proto",
       "Envoy requires timeout, interval and both thresholds and has no defaults for them: these "
       "are healthgap's example values; expected_statuses defaults to 200 only"},
      {"aws-nlb", seconds(30), seconds(10), 5, 2, StatusMatcher{{{200, 399}}},
       "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/"
       "API_CreateTargetGroup.html",
       "a TCP target group's defaults: a connect within 10s passes, whatever the application does",
       kTcp},
      {"haproxy-tcp", seconds(2), seconds(2), 2, 3, StatusMatcher{{{200, 399}}},
       "https://docs.haproxy.org/2.8/configuration.html#5.2-check",
       "`check` without `option httpchk`: a layer-4 connect; `inter` is the timeout without "
       "`timeout check`",
       kTcp},
      {"k8s-grpc", seconds(10), seconds(1), 1, 3, StatusMatcher{{{200, 399}}},
       "https://kubernetes.io/docs/tasks/configure-pod-container/"
       "configure-liveness-readiness-startup-probes/#define-a-grpc-liveness-probe",
       "kubelet's gRPC probe: grpc.health.v1 Check, SERVING passes; kubelet speaks plain text only",
       kGrpc},
      {"aws-alb-grpc", seconds(30), seconds(5), 5, 2, StatusMatcher{{{200, 399}}},
       "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/"
       "target-group-health-checks.html",
       "calls /AWS.ALB/healthcheck, which servers do not implement: the default success code 12 "
       "(UNIMPLEMENTED) passes any live gRPC server (Matcher.GrpcCode, AWS::ElasticLoadBalancingV2"
       "::TargetGroup Matcher)",
       kGrpc, "/AWS.ALB/healthcheck", StatusMatcher{{{12, 12}}}},
  }};
  return presets;
}

}  // namespace

std::span<const LbPreset> AllLbPresets() { return Presets(); }

std::optional<LbPreset> FindLbPreset(std::string_view name) {
  for (const LbPreset& preset : Presets()) {
    if (preset.name == name) return preset;
  }
  return std::nullopt;
}

std::string LbPresetNames() {
  std::string names;
  for (const LbPreset& preset : Presets()) {
    if (!names.empty()) names += ", ";
    names += preset.name;
  }
  return names;
}

HealthCheck ApplyLbPreset(HealthCheck check, const LbPreset& preset) {
  check.lb = std::string(preset.name);
  check.interval = preset.interval;
  check.timeout = preset.timeout;
  check.healthy_threshold = preset.healthy_threshold;
  check.unhealthy_threshold = preset.unhealthy_threshold;
  check.expected_status = preset.expected_status;
  check.type = preset.type;
  if (!preset.path.empty()) check.path = std::string(preset.path);
  check.grpc.expected_codes = preset.grpc_codes;
  return check;
}

}  // namespace healthgap::config
