#pragma once

// Kubernetes manifests (multi-document YAML, or a `kind: List`), read for their containers'
// probes: every container of a Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or Pod is a
// pool whose readiness probe decides whether it gets traffic, beside its liveness and startup
// probes; the kubelet's defaults for what is not written (periodSeconds 10, timeoutSeconds 1,
// failureThreshold 3, successThreshold 1, 200-399 passing an httpGet).

#include <string>
#include <string_view>
#include <vector>

#include "audit/pool.h"

namespace healthgap::audit {

ParsedPools ParseKubernetesManifests(std::string_view text, const std::string& file);

}  // namespace healthgap::audit
