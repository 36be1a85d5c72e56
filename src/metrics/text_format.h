#pragma once

#include <prometheus/metric_type.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/histogram.h"

namespace healthgap::metrics {

struct Label {
  std::string_view name;
  std::string_view value;
};

// The labels many series share (a target's: `target` and its configured labels), sorted by
// name, each also rendered once as `name="escaped value"` for the text. Views: the strings must
// outlive the set.
class LabelSet {
 public:
  LabelSet() = default;
  // `labels` with distinct names, in any order.
  explicit LabelSet(std::vector<Label> labels);

  const std::vector<Label>& labels() const { return labels_; }
  // The text of all labels, without separators.
  std::size_t text_size() const { return text_.size(); }
  // Label i as the text format writes it.
  std::string_view text(std::size_t i) const {
    return std::string_view(text_).substr(starts_[i], starts_[i + 1] - starts_[i]);
  }

 private:
  std::vector<Label> labels_;
  std::string text_;
  std::vector<std::size_t> starts_;  // label i's text is [starts_[i], starts_[i + 1])
};

// A series' labels are a shared set plus up to kMaxOwnLabels of its own; every writer takes
// them in name order (Prometheus' own, so the exposition is deterministic). Calls
// `visit(label, i)` with i the label's index in `shared`, or kOwnLabel for one of `own`.
inline constexpr std::size_t kMaxOwnLabels = 5;
inline constexpr std::size_t kOwnLabel = static_cast<std::size_t>(-1);
template <typename Visit>
void ForEachLabelInOrder(const LabelSet& shared, std::initializer_list<Label> own, Visit&& visit) {
  assert(own.size() <= kMaxOwnLabels);
  // Insertion sort: own labels are a handful, written in the code's order.
  std::array<Label, kMaxOwnLabels> sorted_own;
  const std::size_t own_count = std::min(own.size(), kMaxOwnLabels);
  for (std::size_t n = 0; n < own_count; ++n) {
    const Label& label = own.begin()[n];
    std::size_t j = n;
    for (; j > 0 && label.name < sorted_own[j - 1].name; --j) sorted_own[j] = sorted_own[j - 1];
    sorted_own[j] = label;
  }
  const std::vector<Label>& base = shared.labels();
  std::size_t i = 0;
  for (std::size_t n = 0; n < own_count; ++n) {
    for (; i < base.size() && base[i].name < sorted_own[n].name; ++i) visit(base[i], i);
    visit(sorted_own[n], kOwnLabel);
  }
  for (; i < base.size(); ++i) visit(base[i], i);
}

// Writes the Prometheus text format 0.0.4 straight into one string: byte for byte what
// prometheus::TextSerializer (prometheus-cpp 1.0) writes for the same families, without the
// MetricFamily objects and the std::ostream in between, which dominated the cost of a /probe
// and the memory of a large /metrics (figures: docs/benchmarks.md). Numbers go through
// std::to_chars.
// One difference: a newline in a label value is escaped as `\n`; TextSerializer writes a
// backslash and a raw newline, which breaks the exposition.
// A family's HELP and TYPE lines are written with its first series, so a family without series
// leaves no trace, as prometheus-cpp leaves it out.
class TextWriter {
 public:
  // Receives the text in pieces, in order.
  using Sink = std::function<void(std::string_view)>;

  // Appends everything to `out`.
  explicit TextWriter(std::string& out) : out_(out) {}
  // Uses `out` as a buffer: hands it to `sink` whenever a series leaves at least `chunk_bytes`
  // in it, then empties it, so a large exposition never exists whole. Call Flush() at the end.
  TextWriter(std::string& out, Sink sink, std::size_t chunk_bytes)
      : out_(out), sink_(std::move(sink)), chunk_bytes_(chunk_bytes) {}

  // Hands what is buffered to the sink (a no-op without one).
  void Flush();

  // Starts a family. `name` and `help` must outlive the family's series (literals do).
  void Family(std::string_view name, std::string_view help, prometheus::MetricType type);

  // One counter or gauge series.
  void Sample(const LabelSet& shared, std::initializer_list<Label> own, double value);

  // One histogram series (`_count`, `_sum`, then cumulative `le` buckets ending in +Inf).
  void Histogram(const LabelSet& shared, std::initializer_list<Label> own,
                 const LatencyHistogram& histogram);

 private:
  void WriteHeaderIfPending();
  // Upper bound of what PutLabels writes.
  static std::size_t MaxLabelsBytes(const LabelSet& shared, std::initializer_list<Label> own);
  // The labels in name order, comma-separated, into `line` (text_format.cc's Line).
  template <typename LineWriter>
  static void PutLabels(const LabelSet& shared, std::initializer_list<Label> own, LineWriter& line);

  void FlushIfFull() {
    if (sink_ && out_.size() >= chunk_bytes_) Flush();
  }

  std::string& out_;
  Sink sink_;
  std::size_t chunk_bytes_ = 0;
  std::string_view name_;
  std::string_view help_;
  prometheus::MetricType type_ = prometheus::MetricType::Untyped;
  bool header_pending_ = false;
  std::string labels_;         // `{labels` of the current histogram, rendered once for its lines
  std::string bucket_prefix_;  // `name_bucket{labels,le="` of the current histogram
};

}  // namespace healthgap::metrics
