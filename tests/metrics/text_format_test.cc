#include "metrics/text_format.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace healthgap::metrics {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

std::string Reference(const std::vector<MetricFamily>& families) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

std::string Ours(const std::vector<MetricFamily>& families) {
  std::string out;
  AppendText(families, out);
  return out;
}

ClientMetric GaugeOf(double value, std::vector<ClientMetric::Label> labels = {}) {
  ClientMetric metric;
  metric.label = std::move(labels);
  metric.gauge.value = value;
  return metric;
}

// The fast paths (integers, labels escaped once per metric) against prometheus-cpp's
// TextSerializer on the values where a shortcut could differ. (The label escaping of a raw
// newline is the one documented difference; it is not exercised here.)
TEST(TextFormatTest, ByteIdenticalToTextSerializerOnEdgeValues) {
  const double inf = std::numeric_limits<double>::infinity();
  MetricFamily gauges{"edge_values", "Values near every fast-path boundary.", MetricType::Gauge,
                      {}};
  const double values[] = {0.0,
                           -0.0,
                           1.0,
                           -1.0,
                           200.0,
                           0.5,
                           1e-05,
                           4.6e-05,
                           123456789012345.0,
                           -123456789012345.0,
                           999999999999999.0,
                           1e15,
                           1e15 + 1,
                           1e16,
                           9007199254740993.0,
                           1e300,
                           -1e-300,
                           std::numeric_limits<double>::denorm_min(),
                           inf,
                           -inf,
                           std::nan("")};
  int i = 0;
  for (double value : values) {
    gauges.metric.push_back(GaugeOf(value, {{"i", std::to_string(i++)}, {"target", "t"}}));
  }
  gauges.metric.push_back(GaugeOf(3));  // no labels
  ClientMetric escaped = GaugeOf(1, {{"a", R"(back\slash "quoted")"}, {"b", ""}});
  gauges.metric.push_back(escaped);
  ClientMetric stamped = GaugeOf(2, {{"x", "y"}});
  stamped.timestamp_ms = 1700000000123;
  gauges.metric.push_back(stamped);

  MetricFamily counters{"edge_total", "", MetricType::Counter, {}};
  ClientMetric counter;
  counter.counter.value = 42;
  counters.metric.push_back(counter);

  MetricFamily histograms{"edge_seconds", "Histograms.", MetricType::Histogram, {}};
  ClientMetric with_inf;
  with_inf.label = {{"check", "readiness"}, {"target", "http://127.0.0.1:1/t0"}};
  with_inf.histogram.sample_count = 3;
  with_inf.histogram.sample_sum = 0.000611;
  with_inf.histogram.bucket = {{1, 0.001}, {2, 0.0025}, {3, 0.25}, {3, inf}};
  histograms.metric.push_back(with_inf);
  ClientMetric without_inf;  // the serializer adds +Inf
  without_inf.histogram.sample_count = 5;
  without_inf.histogram.sample_sum = 12;
  without_inf.histogram.bucket = {{4, 1}, {5, 10}};
  histograms.metric.push_back(without_inf);

  MetricFamily summaries{"edge_summary", "Summaries.", MetricType::Summary, {}};
  ClientMetric summary;
  summary.label = {{"target", "t"}};
  summary.summary.sample_count = 10;
  summary.summary.sample_sum = 2.5;
  summary.summary.quantile = {{0.5, 0.1}, {0.99, 0.25}};
  summaries.metric.push_back(summary);

  const std::vector<MetricFamily> families = {gauges, counters, histograms, summaries};
  EXPECT_EQ(Ours(families), Reference(families));
}

}  // namespace
}  // namespace healthgap::metrics
