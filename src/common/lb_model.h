#pragma once

// How a load balancer runs its health checks beyond the thresholds: the state a new target
// starts in and when the next check starts. Each LB preset (config/lb_presets.h) names its
// balancer's; eval::LbView and the engine's scheduler follow them.

namespace healthgap {

enum class LbStart {
  // No state until a threshold is reached: an ALB target's "initial".
  kUndecided,
  // In rotation before any check, and a single failure takes it out while it is starting; the
  // first pass makes it fully up (HAProxy: a server starts with health = rise).
  kInRotationUntilFirstFailure,
  // In rotation before any check, then the usual thresholds (NGINX Plus without `mandatory`).
  kInRotation,
  // Out of rotation until `healthy_threshold` passes (Kubernetes readiness: not ready until
  // successThreshold successes).
  kOutOfRotation,
  // Out of rotation until the first pass, which alone puts it in (Envoy: "during startup, only
  // a single successful health check is required to mark a host healthy").
  kOutOfRotationUntilFirstPass,
};

enum class CheckSchedule {
  // A check starts every interval, whatever the last one took (ALB, kubelet's ticker).
  kFixedRate,
  // The next check starts an interval after the previous one finished (HAProxy, with
  // fastinter while the server is transitionally up or down and downinter while it is down;
  // Envoy).
  kAfterCompletion,
};

}  // namespace healthgap
