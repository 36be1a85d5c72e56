#pragma once

// /probe?...&debug=true: what blackbox_exporter's debug output gives, for a paired probe. A
// human reads it to see why a probe failed: every request of every round (URL, status or
// transport error in curl's words, timings by phase, TLS), how each was judged, the LB view and
// the verdict with its reason, then the metrics a scrape would have returned.

#include <string>
#include <vector>

#include "config/config.h"
#include "engine/paired_probe.h"
#include "engine/snapshot.h"

namespace healthgap::app {

struct ProbeTrace {
  std::string module;
  const config::Target* target = nullptr;          // what the rounds ran under
  std::vector<config::HealthCheck> health_checks;  // parallel to each round's health results
  const std::vector<engine::PairedRound>* rounds = nullptr;
  const engine::TargetSnapshot* snapshot = nullptr;  // after the rounds, with the reason
  std::string exposition;                            // what the scrape would have returned
};

std::string RenderProbeTrace(const ProbeTrace& trace);

}  // namespace healthgap::app
