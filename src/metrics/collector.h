#pragma once

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
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

// Every family is defined once (families.h) and written at scrape time from a fleet view (the
// live targets for /metrics, snapshots for /probe and tests): no per-observation registry
// work. Series per target are labelled `target` plus the target's configured labels; a
// configured label that is not a valid Prometheus name or collides with a label healthgap sets
// itself is dropped so one bad label cannot break the scrape. Families without series are
// left out.

// The text exposition (format 0.0.4) of every family, written straight from the snapshot
// (metrics/text_format.h).
std::string ExpositionText(const engine::EngineSnapshot& snapshot, const ExporterStatus& status);

// The same text handed to `sink` in pieces of about kExpositionChunkBytes, in order: what
// /metrics serves, so a scrape of thousands of targets (tens of MB of text) never holds it
// whole. From a fleet view (Engine::LiveFleet), it holds no copy of the targets either.
inline constexpr std::size_t kExpositionChunkBytes = 1 << 20;
void WriteExposition(const engine::EngineSnapshot& snapshot, const ExporterStatus& status,
                     const std::function<void(std::string_view)>& sink);
void WriteExposition(const engine::FleetView& targets, const engine::EngineStats& stats,
                     std::span<const engine::SourceSnapshot> sources, const ExporterStatus& status,
                     const std::function<void(std::string_view)>& sink);

// Only the per-target families: what /probe serves for its one target, with the same names and
// labels as /metrics (the exporter's self-metrics stay on /metrics).
std::string TargetExpositionText(std::span<const engine::TargetSnapshot> targets);

// LatencyHistogram keeps per-bucket counts; exposition wants cumulative `le` buckets ending in
// +Inf. The +Inf bucket always equals the sample count.
prometheus::ClientMetric::Histogram ToCumulativeHistogram(const LatencyHistogram& histogram);

// True for a label name Prometheus accepts and that is not reserved (`__` prefix).
bool IsValidLabelName(std::string_view name);

}  // namespace healthgap::metrics
