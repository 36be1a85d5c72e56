#pragma once

// prometheus-cpp's data model of the families /metrics and /probe serve, from the same
// definitions (metrics/families.h): the tests and metrics_bench hold our text exposition to
// prometheus-cpp's TextSerializer with it.

#include <prometheus/metric_family.h>

#include <span>
#include <string>
#include <utility>
#include <vector>

#include "metrics/families.h"

namespace healthgap::testing {

// A Writer (metrics/families.h) that builds prometheus::MetricFamily objects.
class FamilyBuilder {
 public:
  void Family(std::string_view name, std::string_view help, prometheus::MetricType type) {
    families_.push_back({std::string(name), std::string(help), type, {}});
  }
  void Sample(const metrics::LabelSet& shared, std::initializer_list<metrics::Label> own,
              double value) {
    prometheus::ClientMetric& metric = Add(shared, own);
    if (families_.back().type == prometheus::MetricType::Counter) {
      metric.counter.value = value;
    } else {
      metric.gauge.value = value;
    }
  }
  void Histogram(const metrics::LabelSet& shared, std::initializer_list<metrics::Label> own,
                 const LatencyHistogram& histogram) {
    Add(shared, own).histogram = metrics::ToCumulativeHistogram(histogram);
  }
  std::vector<prometheus::MetricFamily> Take() && {
    std::erase_if(families_,
                  [](const prometheus::MetricFamily& family) { return family.metric.empty(); });
    return std::move(families_);
  }

 private:
  prometheus::ClientMetric& Add(const metrics::LabelSet& shared,
                                std::initializer_list<metrics::Label> own) {
    prometheus::ClientMetric& metric = families_.back().metric.emplace_back();
    const auto add = [&](const metrics::Label& label) {
      metric.label.push_back({std::string(label.name), std::string(label.value)});
    };
    metrics::ForEachLabelInOrder(
        shared, own,
        [&](std::size_t first, std::size_t last) {
          for (std::size_t i = first; i < last; ++i) add(shared.labels()[i]);
        },
        add);
    return metric;
  }

  std::vector<prometheus::MetricFamily> families_;
};

inline std::vector<prometheus::MetricFamily> BuildFamilies(const engine::EngineSnapshot& snapshot,
                                                           const metrics::ExporterStatus& status) {
  FamilyBuilder builder;
  metrics::families::WriteTargetFamilies(engine::SnapshotFleet(snapshot.targets), builder);
  metrics::families::WriteSelfFamilies(snapshot.stats, snapshot.sources, snapshot.targets.size(),
                                       status, builder);
  return std::move(builder).Take();
}

inline std::vector<prometheus::MetricFamily> BuildTargetFamilies(
    std::span<const engine::TargetSnapshot> targets) {
  FamilyBuilder builder;
  metrics::families::WriteTargetFamilies(engine::SnapshotFleet(targets), builder);
  return std::move(builder).Take();
}

}  // namespace healthgap::testing
