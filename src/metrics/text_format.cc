#include "metrics/text_format.h"

#include <algorithm>
#include <array>
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

// `name="escaped value"`.
void AppendLabel(const Label& label, std::string& out) {
  out += label.name;
  out += "=\"";
  AppendEscaped(label.value, out);
  out += '"';
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

// The `le` values of kLatencyBucketsSeconds as AppendDouble writes them: constants, formatted
// once instead of on every bucket line of every series.
const std::array<std::string, kLatencyBucketsSeconds.size()>& BucketBoundText() {
  static const auto texts = [] {
    std::array<std::string, kLatencyBucketsSeconds.size()> out;
    for (std::size_t i = 0; i < out.size(); ++i) AppendDouble(kLatencyBucketsSeconds[i], out[i]);
    return out;
  }();
  return texts;
}

}  // namespace

LabelSet::LabelSet(std::vector<Label> labels) : labels_(std::move(labels)) {
  std::ranges::sort(labels_, [](const Label& a, const Label& b) { return a.name < b.name; });
  starts_.reserve(labels_.size() + 1);
  for (const Label& label : labels_) {
    starts_.push_back(text_.size());
    AppendLabel(label, text_);
  }
  starts_.push_back(text_.size());
}

void TextWriter::Flush() {
  if (!sink_ || out_.empty()) return;
  sink_(out_);
  out_.clear();
}

void TextWriter::Family(std::string_view name, std::string_view help, MetricType type) {
  name_ = name;
  help_ = help;
  type_ = type;
  header_pending_ = true;
}

void TextWriter::WriteHeaderIfPending() {
  if (!header_pending_) return;
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

void TextWriter::AppendLabels(const LabelSet& shared, std::initializer_list<Label> own,
                              std::string& out) {
  bool first = true;
  ForEachLabelInOrder(shared, own, [&](const Label& label, std::size_t shared_index) {
    if (!first) out += ',';
    first = false;
    if (shared_index != kOwnLabel) {
      out += shared.text(shared_index);
    } else {
      AppendLabel(label, out);
    }
  });
}

void TextWriter::Head(std::string_view suffix) {
  out_ += name_;
  out_ += suffix;
  if (!labels_.empty()) {
    out_ += '{';
    out_ += labels_;
    out_ += '}';
  }
  out_ += ' ';
}

void TextWriter::Sample(const LabelSet& shared, std::initializer_list<Label> own, double value) {
  // One line: the labels go straight into the text.
  WriteHeaderIfPending();
  out_ += name_;
  if (!shared.labels().empty() || own.size() > 0) {
    out_ += '{';
    AppendLabels(shared, own, out_);
    out_ += '}';
  }
  out_ += ' ';
  AppendDouble(value, out_);
  out_ += '\n';
  FlushIfFull();
}

void TextWriter::Histogram(const LabelSet& shared, std::initializer_list<Label> own,
                           const LatencyHistogram& histogram) {
  WriteHeaderIfPending();
  // 17 lines share these labels: rendered once.
  labels_.clear();
  AppendLabels(shared, own, labels_);
  Head("_count");
  AppendInteger(histogram.count(), out_);
  out_ += '\n';
  Head("_sum");
  AppendDouble(histogram.sum(), out_);
  out_ += '\n';
  // `name_bucket{labels,le="` once for the series' 15 bucket lines.
  bucket_prefix_.assign(name_);
  bucket_prefix_ += "_bucket{";
  bucket_prefix_ += labels_;
  if (!labels_.empty()) bucket_prefix_ += ',';
  bucket_prefix_ += "le=\"";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kLatencyBucketsSeconds.size(); ++i) {
    cumulative += histogram.counts()[i];
    AppendBucket(BucketBoundText()[i], cumulative);
  }
  // The +Inf bucket always equals the sample count.
  AppendBucket("+Inf", histogram.count());
  FlushIfFull();
}

void TextWriter::AppendBucket(std::string_view bound, std::uint64_t cumulative_count) {
  out_ += bucket_prefix_;
  out_ += bound;
  out_ += "\"} ";
  AppendInteger(cumulative_count, out_);
  out_ += '\n';
}

}  // namespace healthgap::metrics
