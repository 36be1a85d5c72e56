#include "metrics/collector.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <optional>
#include <string_view>
#include <utility>

#include "config/values.h"
#include "eval/lb_view.h"
#include "eval/outcome.h"
#include "eval/verdict.h"
#include "metrics/families.h"
#include "metrics/names.h"
#include "metrics/text_format.h"

namespace healthgap::metrics {
namespace {

using families::WriteSelfFamilies;
using families::WriteTargetFamilies;

// An upper estimate of the text for these targets, so the string is reserved once instead of
// doubling (and copying) its way to tens of MB; reserved pages never written stay unmapped.
// Counts a target's lines from its shape (the families above) at a generous line length.
std::size_t EstimatedTextBytes(std::span<const engine::TargetSnapshot> targets) {
  constexpr std::size_t kLinesPerTarget = 40;  // probe_*, LB, window, verdicts, HELP/TYPE share
  constexpr std::size_t kLinesPerCheck = 40;   // counters by reason, histogram, info, cache
  constexpr std::size_t kLinesPerSample = 30;  // counters by reason, histogram
  constexpr std::size_t kLineBytes = 140;      // name, own labels, value
  std::size_t bytes = 4096;                    // self-metrics
  for (const engine::TargetSnapshot& target : targets) {
    std::size_t lines = kLinesPerTarget + kLinesPerSample * target.samples.size();
    for (const auto& check : target.checks) lines += kLinesPerCheck + 3 * check.components.size();
    if (target.checks.empty()) lines += kLinesPerCheck;
    std::size_t label_bytes = target.name.size();
    for (const auto& [name, value] : target.labels) label_bytes += name.size() + value.size() + 4;
    bytes += lines * (kLineBytes + label_bytes);
  }
  return bytes;
}

}  // namespace

bool IsValidLabelName(std::string_view name) {
  if (name.empty() || name.starts_with("__")) return false;
  auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!letter(name[0])) return false;
  return std::ranges::all_of(name, [&](char c) { return letter(c) || (c >= '0' && c <= '9'); });
}

prometheus::ClientMetric::Histogram ToCumulativeHistogram(const LatencyHistogram& histogram) {
  prometheus::ClientMetric::Histogram out;
  out.sample_count = histogram.count();
  out.sample_sum = histogram.sum();
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kLatencyBucketsSeconds.size(); ++i) {
    cumulative += histogram.counts()[i];
    out.bucket.push_back({cumulative, kLatencyBucketsSeconds[i]});
  }
  out.bucket.push_back({histogram.count(), std::numeric_limits<double>::infinity()});
  return out;
}

std::string ExpositionText(const engine::EngineSnapshot& snapshot, const ExporterStatus& status) {
  std::string text;
  text.reserve(EstimatedTextBytes(snapshot.targets));
  TextWriter writer(text);
  WriteTargetFamilies(engine::SnapshotFleet(snapshot.targets), writer);
  WriteSelfFamilies(snapshot.stats, snapshot.sources, snapshot.targets.size(), status, writer);
  return text;
}

void WriteExposition(const engine::EngineSnapshot& snapshot, const ExporterStatus& status,
                     const std::function<void(std::string_view)>& sink) {
  WriteExposition(engine::SnapshotFleet(snapshot.targets), snapshot.stats, snapshot.sources, status,
                  sink);
}

void WriteExposition(const engine::FleetView& targets, const engine::EngineStats& stats,
                     std::span<const engine::SourceSnapshot> sources, const ExporterStatus& status,
                     const std::function<void(std::string_view)>& sink) {
  std::string buffer;
  buffer.reserve(kExpositionChunkBytes + 64 * 1024);  // a chunk plus the series that filled it
  TextWriter writer(buffer, sink, kExpositionChunkBytes);
  WriteTargetFamilies(targets, writer);
  WriteSelfFamilies(stats, sources, targets.size(), status, writer);
  writer.Flush();
}

std::string TargetExpositionText(std::span<const engine::TargetSnapshot> targets) {
  std::string text;
  text.reserve(EstimatedTextBytes(targets));
  TextWriter writer(text);
  WriteTargetFamilies(engine::SnapshotFleet(targets), writer);
  return text;
}

}  // namespace healthgap::metrics
