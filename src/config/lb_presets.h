#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "config/config.h"

namespace healthgap::config {

// One load balancer's documented health-check semantics: what `lb: NAME` fills in before the
// explicit health fields of the same level override it.
struct LbPreset {
  std::string_view name;  // the config value, e.g. "aws-alb"
  Millis interval;
  Millis timeout;
  int healthy_threshold;
  int unhealthy_threshold;
  StatusMatcher expected_status;
  // Where the defaults come from (docs/configuration.md prints the same table).
  std::string_view source_url;
  // When the balancer has no default for a value: what healthgap picked instead and why.
  std::string_view note;
  HealthCheckType type = HealthCheckType::kHttp;
  // The check's path (for gRPC: its method) when the balancer fixes one; empty: healthgap's.
  std::string_view path = {};
  // gRPC: the codes that pass (an ALB's success codes); unset: OK and SERVING.
  std::optional<StatusMatcher> grpc_codes = std::nullopt;
  // The state a new target starts in and when checks start (common/lb_model.h), with the
  // balancer's documentation for both in `start_source`.
  LbStart start = LbStart::kUndecided;
  CheckSchedule schedule = CheckSchedule::kFixedRate;
  std::string_view start_source = {};
};

// Every preset, "custom" (healthgap's own built-in defaults) first.
std::span<const LbPreset> AllLbPresets();

// The preset named `name` (exact match); nullopt for anything else.
std::optional<LbPreset> FindLbPreset(std::string_view name);

// "custom, aws-alb, k8s-readiness, ...": for error messages.
std::string LbPresetNames();

// `check` with every LB field (interval, timeout, thresholds, status matcher, the check's type,
// and the path and gRPC codes a preset fixes) taken from `preset`, and check.lb set to its name;
// method and role are kept.
HealthCheck ApplyLbPreset(HealthCheck check, const LbPreset& preset);

}  // namespace healthgap::config
