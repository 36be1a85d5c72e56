#pragma once

#include <prometheus/metric_type.h>

#include <span>
#include <string>
#include <string_view>

#include "common/histogram.h"

namespace healthgap::metrics {

struct Label {
  std::string_view name;
  std::string_view value;
};

// Writes the Prometheus text format 0.0.4 straight into one string: byte for byte what
// prometheus::TextSerializer (prometheus-cpp 1.0) writes for the same families, without the
// MetricFamily objects and the std::ostream in between. Numbers go through std::to_chars. Those
// objects were 44% of the instructions of a /probe, and most of the memory of a /metrics at
// 10,000 targets (bench/, docs/benchmarks.md).
// One difference: a newline in a label value is escaped as `\n`; TextSerializer writes a
// backslash and a raw newline, which breaks the exposition.
// A family's HELP and TYPE lines are written with its first series, so a family without series
// leaves no trace, as prometheus-cpp leaves it out.
class TextWriter {
 public:
  explicit TextWriter(std::string& out) : out_(out) {}

  // Starts a family. `name` and `help` must outlive the family's series (literals do).
  void Family(std::string_view name, std::string_view help, prometheus::MetricType type);

  // One counter or gauge series; `labels` sorted by name.
  void Sample(std::span<const Label> labels, double value);

  // One histogram series (`_count`, `_sum`, then cumulative `le` buckets ending in +Inf).
  void Histogram(std::span<const Label> labels, const LatencyHistogram& histogram);

 private:
  void StartSeries(std::span<const Label> labels);
  // name{labels[,extra="..."]} with the value's separating space; `extra_value` appends the
  // extra label's value.
  template <typename ExtraValue>
  void Head(std::string_view suffix, std::string_view extra, ExtraValue&& extra_value);
  void Head(std::string_view suffix);

  std::string& out_;
  std::string_view name_;
  std::string_view help_;
  prometheus::MetricType type_ = prometheus::MetricType::Untyped;
  bool header_pending_ = false;
  std::string labels_;  // the current series' labels, escaped once for all its lines
};

}  // namespace healthgap::metrics
