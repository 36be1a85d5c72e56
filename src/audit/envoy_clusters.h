#pragma once

// Envoy clusters (a bootstrap's static_resources.clusters, or a CDS list of clusters, in YAML):
// each cluster is a pool with its endpoints (load_assignment), its active health_checks (http,
// tcp or grpc, with interval, timeout and thresholds) and its passive outlier_detection.

#include <string>
#include <string_view>
#include <vector>

#include "audit/pool.h"

namespace healthgap::audit {

ParsedPools ParseEnvoyClusters(std::string_view text, const std::string& file);

}  // namespace healthgap::audit
