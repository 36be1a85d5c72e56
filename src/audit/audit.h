#pragma once

// `healthgap audit`'s core: a balancer config recognised by its content and read into pools
// (pool.h), their timings and findings (findings.h), and the healthgap config that reproduces
// what the balancer does.

#include <string>
#include <string_view>
#include <vector>

#include "audit/findings.h"
#include "audit/pool.h"

namespace healthgap::audit {

enum class Format { kUnknown, kHaproxy, kNginx, kKubernetes, kAws, kEnvoy };

// What `text` is, by its content: HAProxy's sections, nginx's blocks, Kubernetes' apiVersion
// and kind, AWS's TargetGroups JSON, Envoy's clusters.
Format DetectFormat(std::string_view text);
// "haproxy", "nginx", "kubernetes", "aws", "envoy", "unknown".
std::string_view ToString(Format format);

struct AuditedFile {
  std::string file;
  Format format = Format::kUnknown;
  std::vector<Pool> pools;
  std::string stats_socket;  // HAProxy's, for the emitted config's source
  std::string error;         // non-empty: the file could not be read as its format
};

AuditedFile AuditText(std::string_view text, const std::string& file);

// A healthgap config whose targets probe each checked server as its balancer does (path,
// method, matcher, interval, timeout, thresholds, the LB preset), with one placeholder API
// sample each; with HAProxy's stats socket, a `haproxy` source as their lb_source and
// traffic_source too. Kubernetes pools have no addresses: one target per container, at a
// placeholder URL to fill in. Empty when no pool has an active check to reproduce.
std::string EmitConfig(const std::vector<AuditedFile>& files);

}  // namespace healthgap::audit
