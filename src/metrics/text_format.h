#pragma once

#include <prometheus/metric_family.h>

#include <string>
#include <vector>

namespace healthgap::metrics {

// Appends `families` to `out` in the Prometheus text format 0.0.4, byte for byte what
// prometheus::TextSerializer (prometheus-cpp 1.0) writes, without its std::ostream: numbers go
// through std::to_chars, the text into one growing string. At 10,000 targets (~70 MB) this is
// what keeps /metrics well under a second (bench/, docs/benchmarks.md).
void AppendText(const std::vector<prometheus::MetricFamily>& families, std::string& out);

}  // namespace healthgap::metrics
