#include "metrics/text_format.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <system_error>

namespace healthgap::metrics {
namespace {

using prometheus::MetricType;

// Longest number we write: %.16g of a double ("-1.234567890123457e-308") or a uint64.
constexpr std::size_t kMaxNumberBytes = 32;

// Appends one line (or any short run of text) to a string through a pointer: room for an upper
// bound of its length first, then every piece copied without a size check, then the string cut
// to what was written. One growth check per line instead of one per piece: a /probe writes ~100
// lines of a dozen pieces each.
class Line {
 public:
  Line(std::string& out, std::size_t max_bytes) : out_(out) {
    const std::size_t start = out.size();
    out.resize(start + max_bytes);
    next_ = out.data() + start;
    end_ = next_ + max_bytes;
  }
  ~Line() { out_.resize(static_cast<std::size_t>(next_ - out_.data())); }
  Line(const Line&) = delete;
  Line& operator=(const Line&) = delete;

  void Put(char c) {
    assert(next_ < end_);
    *next_++ = c;
  }
  void Put(std::string_view text) {
    assert(static_cast<std::size_t>(end_ - next_) >= text.size());
    std::memcpy(next_, text.data(), text.size());
    next_ += text.size();
  }
  // Label values escape backslash, double quote and newline (as "\\n"): at most twice the size.
  void PutEscaped(std::string_view value) {
    // Nearly every value needs no escaping: three memchr scans beat a loop over every byte.
    if (value.find('\\') == std::string_view::npos && value.find('"') == std::string_view::npos &&
        value.find('\n') == std::string_view::npos) {
      Put(value);
      return;
    }
    for (const char c : value) {
      if (c == '\\' || c == '"' || c == '\n') {
        Put('\\');
        Put(c == '\n' ? 'n' : c);
      } else {
        Put(c);
      }
    }
  }
  // `name="escaped value"`: at most the name, twice the value and 3.
  void PutLabel(const Label& label) {
    Put(label.name);
    Put("=\"");
    PutEscaped(label.value);
    Put('"');
  }
  // A double as TextSerializer writes it: "Nan", "+Inf"/"-Inf", else printf's %.16g (the stream
  // precision it sets, max_digits10 - 1), which to_chars reproduces exactly.
  void PutDouble(double value) {
    if (std::isnan(value)) {
      Put("Nan");
    } else if (std::isinf(value)) {
      Put(value < 0 ? "-Inf" : "+Inf");
    } else if (std::abs(value) < 1e15 && value == std::trunc(value) &&
               !(value == 0 && std::signbit(value))) {
      // Counters, status codes, one-hot gauges: an integer of at most 15 digits, which %.16g
      // prints as its digits alone; the integer conversion is much cheaper (-0 keeps its sign
      // through the general path).
      Advance(std::to_chars(next_, end_, static_cast<std::int64_t>(value)));
    } else {
      Advance(std::to_chars(next_, end_, value, std::chars_format::general,
                            std::numeric_limits<double>::max_digits10 - 1));
    }
  }
  void PutInteger(std::uint64_t value) { Advance(std::to_chars(next_, end_, value)); }

 private:
  void Advance(std::to_chars_result result) {
    assert(result.ec == std::errc());
    next_ = result.ptr;
  }

  std::string& out_;
  char* next_;
  char* end_;
};

// Upper bound of PutLabel's output.
std::size_t MaxLabelBytes(const Label& label) {
  return label.name.size() + 2 * label.value.size() + 3;
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

// The `le` values of kLatencyBucketsSeconds as PutDouble writes them: constants, formatted
// once instead of on every bucket line of every series.
const std::array<std::string, kLatencyBucketsSeconds.size()>& BucketBoundText() {
  static const auto texts = [] {
    std::array<std::string, kLatencyBucketsSeconds.size()> out;
    for (std::size_t i = 0; i < out.size(); ++i) {
      Line(out[i], kMaxNumberBytes).PutDouble(kLatencyBucketsSeconds[i]);
    }
    return out;
  }();
  return texts;
}

}  // namespace

LabelSet::LabelSet(std::vector<Label> labels) : labels_(std::move(labels)) {
  std::ranges::sort(labels_, [](const Label& a, const Label& b) { return a.name < b.name; });
  starts_.reserve(labels_.size() + 1);
  for (const Label& label : labels_) {
    if (!text_.empty()) text_.push_back(',');
    starts_.push_back(text_.size());
    Line(text_, MaxLabelBytes(label)).PutLabel(label);
  }
  starts_.push_back(text_.size() + 1);
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
  Line line(out_, 2 * name_.size() + help_.size() + 32);
  if (!help_.empty()) {
    line.Put("# HELP ");
    line.Put(name_);
    line.Put(' ');
    line.Put(help_);
    line.Put('\n');
  }
  line.Put("# TYPE ");
  line.Put(name_);
  line.Put(' ');
  line.Put(TypeName(type_));
  line.Put('\n');
}

std::size_t TextWriter::MaxLabelsBytes(const LabelSet& shared, std::initializer_list<Label> own) {
  // Each own label cuts a run of the shared text at most once: one more comma.
  std::size_t bytes = shared.text_size() + own.size();
  for (const Label& label : own) bytes += MaxLabelBytes(label);
  return bytes;
}

template <typename LineWriter>
void TextWriter::PutLabels(const LabelSet& shared, std::initializer_list<Label> own,
                           LineWriter& line) {
  bool first = true;
  const auto separate = [&] {
    if (!first) line.Put(',');
    first = false;
  };
  ForEachLabelInOrder(
      shared, own,
      [&](std::size_t from, std::size_t to) {
        separate();
        line.Put(shared.text(from, to));
      },
      [&](const Label& label) {
        separate();
        line.PutLabel(label);
      });
}

void TextWriter::Sample(const LabelSet& shared, std::initializer_list<Label> own, double value) {
  WriteHeaderIfPending();
  {
    Line line(out_, name_.size() + MaxLabelsBytes(shared, own) + kMaxNumberBytes + 4);
    line.Put(name_);
    if (!shared.labels().empty() || own.size() > 0) {
      line.Put('{');
      PutLabels(shared, own, line);
      line.Put('}');
    }
    line.Put(' ');
    line.PutDouble(value);
    line.Put('\n');
  }
  FlushIfFull();
}

void TextWriter::Histogram(const LabelSet& shared, std::initializer_list<Label> own,
                           const LatencyHistogram& histogram) {
  WriteHeaderIfPending();
  // 17 lines share these labels: rendered once, as `{labels` for _count and _sum and as
  // `name_bucket{labels,le="` for the buckets.
  labels_.clear();
  {
    Line line(labels_, MaxLabelsBytes(shared, own) + 1);
    line.Put('{');
    PutLabels(shared, own, line);
  }
  const bool no_labels = labels_.size() == 1;
  bucket_prefix_.clear();
  {
    Line line(bucket_prefix_, name_.size() + labels_.size() + 16);
    line.Put(name_);
    line.Put("_bucket");
    line.Put(labels_);
    if (!no_labels) line.Put(',');
    line.Put("le=\"");
  }
  const std::uint64_t count = histogram.count();
  {
    Line line(out_, 2 * (name_.size() + labels_.size() + kMaxNumberBytes + 16));
    line.Put(name_);
    line.Put("_count");
    if (!no_labels) {
      line.Put(labels_);
      line.Put('}');
    }
    line.Put(' ');
    line.PutInteger(count);
    line.Put('\n');
    line.Put(name_);
    line.Put("_sum");
    if (!no_labels) {
      line.Put(labels_);
      line.Put('}');
    }
    line.Put(' ');
    line.PutDouble(histogram.sum());
    line.Put('\n');
  }
  {
    const std::size_t max_bucket_line = bucket_prefix_.size() + 2 * kMaxNumberBytes + 4;
    Line line(out_, (kLatencyBucketsSeconds.size() + 1) * max_bucket_line);
    const auto put_bucket = [&](std::string_view bound, std::uint64_t cumulative_count) {
      line.Put(bucket_prefix_);
      line.Put(bound);
      line.Put("\"} ");
      line.PutInteger(cumulative_count);
      line.Put('\n');
    };
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kLatencyBucketsSeconds.size(); ++i) {
      cumulative += histogram.counts()[i];
      put_bucket(BucketBoundText()[i], cumulative);
    }
    // The +Inf bucket always equals the sample count.
    put_bucket("+Inf", count);
  }
  FlushIfFull();
}

}  // namespace healthgap::metrics
