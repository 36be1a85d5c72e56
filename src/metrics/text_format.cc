#include "metrics/text_format.h"

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>

namespace healthgap::metrics {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// A double as TextSerializer writes it: "Nan", "+Inf"/"-Inf", else printf's %.16g (the stream
// precision it sets, max_digits10 - 1), which to_chars reproduces exactly.
void AppendDouble(double value, std::string& out) {
  if (std::isnan(value)) {
    out += "Nan";
  } else if (std::isinf(value)) {
    out += value < 0 ? "-Inf" : "+Inf";
  } else if (std::abs(value) < 1e15 && value == std::trunc(value) &&
             !(value == 0 && std::signbit(value))) {
    // Counters, status codes, one-hot gauges: an integer of at most 15 digits, which %.16g
    // prints as its digits alone; the integer conversion is much cheaper (-0 keeps its sign
    // through the general path).
    char buffer[24];
    const auto result =
        std::to_chars(buffer, buffer + sizeof(buffer), static_cast<std::int64_t>(value));
    out.append(buffer, result.ptr);
  } else {
    char buffer[64];
    const auto result =
        std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::general,
                      std::numeric_limits<double>::max_digits10 - 1);
    out.append(buffer, result.ptr);
  }
}

void AppendInteger(std::uint64_t value, std::string& out) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out.append(buffer, result.ptr);
}

void AppendInteger(std::int64_t value, std::string& out) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out.append(buffer, result.ptr);
}

// Label values escape backslash, double quote and newline (as "\\n": the one place this
// differs from TextSerializer, which writes a raw newline after the backslash and so breaks the
// exposition).
void AppendEscaped(std::string_view value, std::string& out) {
  // Nearly every value needs no escaping: three memchr scans beat a loop over every byte.
  if (value.find('\\') == std::string_view::npos && value.find('"') == std::string_view::npos &&
      value.find('\n') == std::string_view::npos) {
    out.append(value);
    return;
  }
  std::size_t start = 0;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c == '\\' || c == '"' || c == '\n') {
      out.append(value.substr(start, i - start));
      out += c == '\n' ? "\\n" : (c == '"' ? "\\\"" : "\\\\");
      start = i + 1;
    }
  }
  out.append(value.substr(start));
}

// A metric's labels as written between the braces (`a="x",b="y"`), escaped once per metric
// and reused for each of its lines (a histogram has 15).
void AppendLabels(const ClientMetric& metric, std::string& out) {
  bool first = true;
  for (const auto& label : metric.label) {
    if (!first) out += ',';
    first = false;
    out += label.name;
    out += "=\"";
    AppendEscaped(label.value, out);
    out += '"';
  }
}

// Name, suffix and labels (`labels` from AppendLabels); `extra` is an extra label ("le",
// "quantile") whose value the caller appends through `extra_value` (so numbers are formatted
// as TextSerializer formats them).
template <typename ExtraValue>
void AppendHead(const MetricFamily& family, std::string_view labels, std::string_view suffix,
                std::string_view extra, ExtraValue&& extra_value, std::string& out) {
  out += family.name;
  out += suffix;
  if (!labels.empty() || !extra.empty()) {
    out += '{';
    out += labels;
    if (!extra.empty()) {
      if (!labels.empty()) out += ',';
      out += extra;
      out += "=\"";
      extra_value();
      out += '"';
    }
    out += '}';
  }
  out += ' ';
}

void AppendHead(const MetricFamily& family, std::string_view labels, std::string_view suffix,
                std::string& out) {
  AppendHead(
      family, labels, suffix, {}, [] {}, out);
}

void AppendTail(const ClientMetric& metric, std::string& out) {
  if (metric.timestamp_ms != 0) {
    out += ' ';
    AppendInteger(static_cast<std::int64_t>(metric.timestamp_ms), out);
  }
  out += '\n';
}

void AppendHistogram(const MetricFamily& family, const ClientMetric& metric,
                     std::string_view labels, std::string& out) {
  const auto& histogram = metric.histogram;
  AppendHead(family, labels, "_count", out);
  AppendInteger(static_cast<std::uint64_t>(histogram.sample_count), out);
  AppendTail(metric, out);
  AppendHead(family, labels, "_sum", out);
  AppendDouble(histogram.sample_sum, out);
  AppendTail(metric, out);
  double last = -std::numeric_limits<double>::infinity();
  for (const auto& bucket : histogram.bucket) {
    AppendHead(
        family, labels, "_bucket", "le", [&] { AppendDouble(bucket.upper_bound, out); }, out);
    last = bucket.upper_bound;
    AppendInteger(static_cast<std::uint64_t>(bucket.cumulative_count), out);
    AppendTail(metric, out);
  }
  if (last != std::numeric_limits<double>::infinity()) {
    AppendHead(
        family, labels, "_bucket", "le", [&] { out += "+Inf"; }, out);
    AppendInteger(static_cast<std::uint64_t>(histogram.sample_count), out);
    AppendTail(metric, out);
  }
}

void AppendSummary(const MetricFamily& family, const ClientMetric& metric, std::string_view labels,
                   std::string& out) {
  const auto& summary = metric.summary;
  AppendHead(family, labels, "_count", out);
  AppendInteger(static_cast<std::uint64_t>(summary.sample_count), out);
  AppendTail(metric, out);
  AppendHead(family, labels, "_sum", out);
  AppendDouble(summary.sample_sum, out);
  AppendTail(metric, out);
  for (const auto& quantile : summary.quantile) {
    AppendHead(
        family, labels, "", "quantile", [&] { AppendDouble(quantile.quantile, out); }, out);
    AppendDouble(quantile.value, out);
    AppendTail(metric, out);
  }
}

std::string_view TypeName(MetricType type) {
  switch (type) {
    case MetricType::Counter:
      return "counter";
    case MetricType::Gauge:
      return "gauge";
    case MetricType::Summary:
      return "summary";
    case MetricType::Histogram:
      return "histogram";
    default:
      return "untyped";
  }
}

// An upper estimate of the text's size, so `out` grows once instead of doubling (and copying)
// its way to tens of MB.
std::size_t EstimateSize(const std::vector<MetricFamily>& families) {
  constexpr std::size_t kNumbers = 64;  // value, le and punctuation of one line, generously
  std::size_t size = 0;
  for (const MetricFamily& family : families) {
    size += family.help.size() + 2 * family.name.size() + 32;
    for (const ClientMetric& metric : family.metric) {
      std::size_t line = family.name.size() + kNumbers;
      for (const auto& label : metric.label) line += label.name.size() + label.value.size() + 4;
      std::size_t lines = 1;
      if (family.type == MetricType::Histogram) lines = 3 + metric.histogram.bucket.size();
      if (family.type == MetricType::Summary) lines = 2 + metric.summary.quantile.size();
      size += line * lines;
    }
  }
  return size;
}

}  // namespace

void AppendText(const std::vector<MetricFamily>& families, std::string& out) {
  out.reserve(out.size() + EstimateSize(families));
  std::string labels;  // the current metric's, reused
  for (const MetricFamily& family : families) {
    if (!family.help.empty()) {
      out += "# HELP ";
      out += family.name;
      out += ' ';
      out += family.help;
      out += '\n';
    }
    out += "# TYPE ";
    out += family.name;
    out += ' ';
    out += TypeName(family.type);
    out += '\n';
    for (const ClientMetric& metric : family.metric) {
      labels.clear();
      AppendLabels(metric, labels);
      switch (family.type) {
        case MetricType::Counter:
          AppendHead(family, labels, "", out);
          AppendDouble(metric.counter.value, out);
          AppendTail(metric, out);
          break;
        case MetricType::Gauge:
          AppendHead(family, labels, "", out);
          AppendDouble(metric.gauge.value, out);
          AppendTail(metric, out);
          break;
        case MetricType::Summary:
          AppendSummary(family, metric, labels, out);
          break;
        case MetricType::Histogram:
          AppendHistogram(family, metric, labels, out);
          break;
        default:
          AppendHead(family, labels, "", out);
          AppendDouble(metric.untyped.value, out);
          AppendTail(metric, out);
          break;
      }
    }
  }
}

}  // namespace healthgap::metrics
