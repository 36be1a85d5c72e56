#include "metrics/text_format.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "metrics/collector.h"

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

LabelSet Shared(std::initializer_list<Label> labels) {
  return LabelSet(std::vector<Label>(labels));
}

ClientMetric GaugeOf(double value, std::vector<ClientMetric::Label> labels = {}) {
  ClientMetric metric;
  metric.label = std::move(labels);
  metric.gauge.value = value;
  return metric;
}

// The fast paths (integers, labels escaped once per series) against prometheus-cpp's
// TextSerializer on the values where a shortcut could differ.
TEST(TextWriterTest, ByteIdenticalToTextSerializerOnEdgeValues) {
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
                           std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity(),
                           std::nan("")};
  std::string ours;
  TextWriter writer(ours);
  MetricFamily gauges{
      "edge_values", "Values near every fast-path boundary.", MetricType::Gauge, {}};
  writer.Family(gauges.name, gauges.help, gauges.type);
  std::vector<std::string> indexes;
  for (std::size_t i = 0; i < std::size(values); ++i) indexes.push_back(std::to_string(i));
  for (std::size_t i = 0; i < std::size(values); ++i) {
    gauges.metric.push_back(GaugeOf(values[i], {{"i", indexes[i]}, {"target", "t"}}));
    writer.Sample(Shared({{"target", "t"}}), {{"i", indexes[i]}}, values[i]);
  }
  gauges.metric.push_back(GaugeOf(3));  // no labels
  writer.Sample({}, {}, 3);
  gauges.metric.push_back(GaugeOf(1, {{"a", R"(back\slash "quoted")"}, {"b", ""}}));
  writer.Sample(Shared({{"a", R"(back\slash "quoted")"}}), {{"b", ""}}, 1);

  MetricFamily counters{"edge_total", "", MetricType::Counter, {}};  // no HELP line
  ClientMetric counter;
  counter.counter.value = 42;
  counters.metric.push_back(counter);
  writer.Family(counters.name, counters.help, counters.type);
  writer.Sample({}, {}, 42);

  writer.Family("edge_unused", "A family without series: no lines.", MetricType::Gauge);

  MetricFamily histograms{"edge_seconds", "Histograms.", MetricType::Histogram, {}};
  LatencyHistogram latency;
  for (double seconds : {0.0001, 0.001, 0.0025, 0.3, 45.0}) latency.Observe(seconds);
  ClientMetric with_labels;
  with_labels.label = {{"check", "readiness"}, {"target", "http://127.0.0.1:1/t0"}};
  with_labels.histogram = ToCumulativeHistogram(latency);
  histograms.metric.push_back(with_labels);
  ClientMetric empty;
  empty.histogram = ToCumulativeHistogram(LatencyHistogram{});
  histograms.metric.push_back(empty);
  writer.Family(histograms.name, histograms.help, histograms.type);
  writer.Histogram(Shared({{"target", "http://127.0.0.1:1/t0"}}), {{"check", "readiness"}},
                   latency);
  writer.Histogram({}, {}, LatencyHistogram{});

  // Values that are all escapes: the longest text a label can become (twice its size).
  const std::string quotes(300, '"');
  const std::string backslashes(300, '\\');
  MetricFamily escapes{"edge_escapes", "Labels that double in size.", MetricType::Histogram, {}};
  ClientMetric escaped_histogram;
  escaped_histogram.label = {{"a", quotes}, {"b", backslashes}};
  escaped_histogram.histogram = ToCumulativeHistogram(latency);
  escapes.metric.push_back(escaped_histogram);
  writer.Family(escapes.name, escapes.help, escapes.type);
  writer.Histogram(Shared({{"a", quotes}}), {{"b", backslashes}}, latency);
  MetricFamily escaped_gauges{"edge_escaped", "", MetricType::Gauge, {}};
  escaped_gauges.metric.push_back(GaugeOf(-1e-300, {{"a", quotes}, {"b", backslashes}}));
  writer.Family(escaped_gauges.name, escaped_gauges.help, escaped_gauges.type);
  writer.Sample(Shared({{"b", backslashes}}), {{"a", quotes}}, -1e-300);

  EXPECT_EQ(ours, Reference({gauges, counters, histograms, escapes, escaped_gauges}));
}

// TextSerializer writes a raw newline after the backslash, which ends the line mid-series;
// ours keeps the series on one line.
TEST(TextWriterTest, EscapesNewlineInLabelValue) {
  std::string out;
  TextWriter writer(out);
  writer.Family("x", "", MetricType::Gauge);
  writer.Sample(Shared({{"v", "a\nb"}}), {}, 1);
  EXPECT_EQ(out, "# TYPE x gauge\nx{v=\"a\\nb\"} 1\n");
}

}  // namespace
}  // namespace healthgap::metrics
