#pragma once

#include <prometheus/client_metric.h>
#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "common/histogram.h"
#include "engine/snapshot.h"

namespace healthgap::metrics {

// Exporter state that is not part of the engine: build and config reload.
struct ExporterStatus {
  std::string version;
  bool last_reload_successful = true;
  double last_reload_success_timestamp_seconds = 0;
  // /probe requests by result.
  std::uint64_t probe_requests_ok = 0;
  std::uint64_t probe_requests_refused = 0;
  std::uint64_t probe_requests_invalid = 0;
};

// Builds every metric family at scrape time from engine state: no per-observation registry work.
// Series per target are labelled `target` plus the target's configured labels; a configured
// label that is not a valid Prometheus name or collides with a label healthgap sets itself is
// dropped so one bad label cannot break the scrape.
// Thread-safe if the two supplied functions are: Collect keeps no state of its own.
class SnapshotCollector final : public prometheus::Collectable {
 public:
  SnapshotCollector(std::function<engine::EngineSnapshot()> snapshot,
                    std::function<ExporterStatus()> status);

  // Collectable
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::function<engine::EngineSnapshot()> snapshot_;
  std::function<ExporterStatus()> status_;
};

// The families for one snapshot; what Collect returns. Families without series are left out.
std::vector<prometheus::MetricFamily> BuildFamilies(const engine::EngineSnapshot& snapshot,
                                                    const ExporterStatus& status);

// Prometheus text format 0.0.4, as prometheus::TextSerializer writes it (metrics/text_format.h).
std::string SerializeText(const std::vector<prometheus::MetricFamily>& families);

// Only the per-target families: what /probe returns for its one target, in a fresh registry,
// with the same names and labels as /metrics (the exporter's self-metrics stay on /metrics).
std::vector<prometheus::MetricFamily> BuildTargetFamilies(
    std::span<const engine::TargetSnapshot> targets);

// LatencyHistogram keeps per-bucket counts; exposition wants cumulative `le` buckets ending in
// +Inf. The +Inf bucket always equals the sample count.
prometheus::ClientMetric::Histogram ToCumulativeHistogram(const LatencyHistogram& histogram);

// True for a label name Prometheus accepts and that is not reserved (`__` prefix).
bool IsValidLabelName(const std::string& name);

}  // namespace healthgap::metrics
