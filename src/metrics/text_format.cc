#include "metrics/text_format.h"

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace healthgap::metrics {
namespace {

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

// Label values escape backslash, double quote and newline (as "\\n").
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

}  // namespace

void TextWriter::Family(std::string_view name, std::string_view help, MetricType type) {
  name_ = name;
  help_ = help;
  type_ = type;
  header_pending_ = true;
}

void TextWriter::StartSeries(std::span<const Label> labels) {
  if (header_pending_) {
    header_pending_ = false;
    if (!help_.empty()) {
      out_ += "# HELP ";
      out_ += name_;
      out_ += ' ';
      out_ += help_;
      out_ += '\n';
    }
    out_ += "# TYPE ";
    out_ += name_;
    out_ += ' ';
    out_ += TypeName(type_);
    out_ += '\n';
  }
  labels_.clear();
  bool first = true;
  for (const Label& label : labels) {
    if (!first) labels_ += ',';
    first = false;
    labels_ += label.name;
    labels_ += "=\"";
    AppendEscaped(label.value, labels_);
    labels_ += '"';
  }
}

template <typename ExtraValue>
void TextWriter::Head(std::string_view suffix, std::string_view extra, ExtraValue&& extra_value) {
  out_ += name_;
  out_ += suffix;
  if (!labels_.empty() || !extra.empty()) {
    out_ += '{';
    out_ += labels_;
    if (!extra.empty()) {
      if (!labels_.empty()) out_ += ',';
      out_ += extra;
      out_ += "=\"";
      extra_value();
      out_ += '"';
    }
    out_ += '}';
  }
  out_ += ' ';
}

void TextWriter::Head(std::string_view suffix) {
  Head(suffix, {}, [] {});
}

void TextWriter::Sample(std::span<const Label> labels, double value) {
  StartSeries(labels);
  Head("");
  AppendDouble(value, out_);
  out_ += '\n';
}

void TextWriter::Histogram(std::span<const Label> labels, const LatencyHistogram& histogram) {
  StartSeries(labels);
  Head("_count");
  AppendInteger(histogram.count(), out_);
  out_ += '\n';
  Head("_sum");
  AppendDouble(histogram.sum(), out_);
  out_ += '\n';
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kLatencyBucketsSeconds.size(); ++i) {
    cumulative += histogram.counts()[i];
    Head("_bucket", "le", [&] { AppendDouble(kLatencyBucketsSeconds[i], out_); });
    AppendInteger(cumulative, out_);
    out_ += '\n';
  }
  // The +Inf bucket always equals the sample count.
  Head("_bucket", "le", [&] { out_ += "+Inf"; });
  AppendInteger(histogram.count(), out_);
  out_ += '\n';
}

}  // namespace healthgap::metrics
