#include "config/lb_presets.h"

#include <array>

namespace healthgap::config {
namespace {

using std::chrono::seconds;

constexpr auto kTcp = HealthCheckType::kTcp;
constexpr auto kGrpc = HealthCheckType::kGrpc;

constexpr auto kInRotationUntilFirstFailure = LbStart::kInRotationUntilFirstFailure;
constexpr auto kAfterCompletion = CheckSchedule::kAfterCompletion;

constexpr std::string_view kAlbStart =
    "a new target is `initial` until it passes the healthy threshold (or fails the unhealthy "
    "one); checks run every interval: "
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/"
    "target-group-health-checks.html#target-health-states";
constexpr std::string_view kHaproxyStart =
    "a server starts UP with health = rise, so its first failed check takes it down and its "
    "first pass makes it fully up; the next check starts `inter` after the previous one ends "
    "(`fastinter` while transitionally up or down, `downinter` while down): "
    "https://docs.haproxy.org/2.6/configuration.html#5.2-inter, measured against HAProxy 2.6 in "
    "tests/integration/haproxy_agreement_test.cc";
constexpr std::string_view kK8sStart =
    "readiness is Failure until the probe succeeds successThreshold times; kubelet probes on a "
    "fixed period: https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/"
    "#container-probes";

const std::array<LbPreset, 10>& Presets() {
  static const std::array<LbPreset, 10> presets = {{
      {.name = "custom",
       .interval = seconds(10),
       .timeout = seconds(5),
       .healthy_threshold = 2,
       .unhealthy_threshold = 3,
       .expected_status = StatusMatcher{{{200, 399}}},
       .source_url = "",
       .note = "healthgap's own defaults: the reference playbook's ALB settings with a 200-399 "
               "matcher",
       .start_source = "undecided until a threshold is reached, fixed-rate checks"},
      {.name = "aws-alb",
       .interval = seconds(30),
       .timeout = seconds(5),
       .healthy_threshold = 5,
       .unhealthy_threshold = 2,
       .expected_status = StatusMatcher{{{200, 200}}},
       .source_url = "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/"
                     "target-group-health-checks.html",
       .note = "",
       .start_source = kAlbStart},
      {.name = "k8s-readiness",
       .interval = seconds(10),
       .timeout = seconds(1),
       .healthy_threshold = 1,
       .unhealthy_threshold = 3,
       .expected_status = StatusMatcher{{{200, 399}}},
       .source_url = "https://kubernetes.io/docs/tasks/configure-pod-container/"
                     "configure-liveness-readiness-startup-probes/#configure-probes",
       .note = "",
       .start = LbStart::kOutOfRotation,
       .start_source = kK8sStart},
      {.name = "nginx-plus",
       .interval = seconds(5),
       .timeout = seconds(5),
       .healthy_threshold = 1,
       .unhealthy_threshold = 1,
       .expected_status = StatusMatcher{{{200, 399}}},
       .source_url = "https://nginx.org/en/docs/http/ngx_http_upstream_hc_module.html#health_check",
       .note = "nginx has no health-check timeout of its own (it uses proxy_connect_timeout and "
               "proxy_read_timeout, 60s by default); healthgap caps it at the 5s interval",
       .start = LbStart::kInRotation,
       .start_source = "without `mandatory` a server is initially considered healthy (same "
                       "page); whether `interval` runs start to start is not documented, "
                       "healthgap assumes it does"},
      {.name = "haproxy",
       .interval = seconds(2),
       .timeout = seconds(2),
       .healthy_threshold = 2,
       .unhealthy_threshold = 3,
       .expected_status = StatusMatcher{{{200, 399}}},
       .source_url = "https://docs.haproxy.org/2.6/configuration.html#4.2-option%20httpchk",
       .note = "`option httpchk` passes 2xx and 3xx; with `http-check expect status 200` set "
               "expected_status: [200]; without `timeout check` HAProxy uses `inter` as the "
               "check timeout",
       .start = kInRotationUntilFirstFailure,
       .schedule = kAfterCompletion,
       .start_source = kHaproxyStart},
      {.name = "envoy",
       .interval = seconds(5),
       .timeout = seconds(1),
       .healthy_threshold = 2,
       .unhealthy_threshold = 3,
       .expected_status = StatusMatcher{{{200, 200}}},
       .source_url = "https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/core/v3/"
                     "health_check.proto",
       .note = "Envoy requires timeout, interval and both thresholds and has no defaults for "
               "them: these are healthgap's example values; expected_statuses defaults to 200 "
               "only",
       .start = LbStart::kOutOfRotationUntilFirstPass,
       .schedule = kAfterCompletion,
       .start_source = "a host is unhealthy until checked and \"during startup, only a single "
                       "successful health check is required to mark a host healthy\" "
                       "(healthy_threshold, same page); the interval timer is armed when a "
                       "check completes (Envoy's health checker source, not run here)"},
      {.name = "aws-nlb",
       .interval = seconds(30),
       .timeout = seconds(10),
       .healthy_threshold = 5,
       .unhealthy_threshold = 2,
       .expected_status = StatusMatcher{{{200, 399}}},
       .source_url = "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/"
                     "API_CreateTargetGroup.html",
       .note = "a TCP target group's defaults: a connect within 10s passes, whatever the "
               "application does",
       .type = kTcp,
       .start_source = kAlbStart},
      {.name = "haproxy-tcp",
       .interval = seconds(2),
       .timeout = seconds(2),
       .healthy_threshold = 2,
       .unhealthy_threshold = 3,
       .expected_status = StatusMatcher{{{200, 399}}},
       .source_url = "https://docs.haproxy.org/2.8/configuration.html#5.2-check",
       .note = "`check` without `option httpchk`: a layer-4 connect; `inter` is the timeout "
               "without `timeout check`",
       .type = kTcp,
       .start = kInRotationUntilFirstFailure,
       .schedule = kAfterCompletion,
       .start_source = kHaproxyStart},
      {.name = "k8s-grpc",
       .interval = seconds(10),
       .timeout = seconds(1),
       .healthy_threshold = 1,
       .unhealthy_threshold = 3,
       .expected_status = StatusMatcher{{{200, 399}}},
       .source_url = "https://kubernetes.io/docs/tasks/configure-pod-container/"
                     "configure-liveness-readiness-startup-probes/#define-a-grpc-liveness-probe",
       .note = "kubelet's gRPC probe: grpc.health.v1 Check, SERVING passes; kubelet speaks plain "
               "text only",
       .type = kGrpc,
       .start = LbStart::kOutOfRotation,
       .start_source = kK8sStart},
      {.name = "aws-alb-grpc",
       .interval = seconds(30),
       .timeout = seconds(5),
       .healthy_threshold = 5,
       .unhealthy_threshold = 2,
       .expected_status = StatusMatcher{{{200, 399}}},
       .source_url = "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/"
                     "target-group-health-checks.html",
       .note = "calls /AWS.ALB/healthcheck, which servers do not implement: the default success "
               "code 12 (UNIMPLEMENTED) passes any live gRPC server (Matcher.GrpcCode, "
               "AWS::ElasticLoadBalancingV2::TargetGroup Matcher)",
       .type = kGrpc,
       .path = "/AWS.ALB/healthcheck",
       .grpc_codes = StatusMatcher{{{12, 12}}},
       .start_source = kAlbStart},
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
  check.lb_start = preset.start;
  check.schedule = preset.schedule;
  return check;
}

}  // namespace healthgap::config
