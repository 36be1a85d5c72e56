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
// name and rendered once as the text writes them (`name="escaped value"`, comma-separated), so
// a run of them goes into a line as one copy. Views: the strings must outlive the set.
class LabelSet {
 public:
  LabelSet() = default;
  // `labels` with distinct names, in any order.
  explicit LabelSet(std::vector<Label> labels);

  const std::vector<Label>& labels() const { return labels_; }
  // The text of all labels, separators included.
  std::size_t text_size() const { return text_.size(); }
  // Labels [first, last) as the text format writes them, comma-separated.
  std::string_view text(std::size_t first, std::size_t last) const {
    assert(first < last && last <= labels_.size());
    return std::string_view(text_).substr(starts_[first], starts_[last] - 1 - starts_[first]);
  }

 private:
  std::vector<Label> labels_;
  std::string text_;
  // Label i's text begins at starts_[i] and ends before the comma at starts_[i + 1] - 1; the
  // last entry is one past the end, as if a comma followed the last label.
  std::vector<std::size_t> starts_;
};

// A series' labels are a shared set plus up to kMaxOwnLabels of its own; every writer takes
// them in name order (Prometheus' own, so the exposition is deterministic): runs of shared
// labels, `shared_run(first, last)` for shared.labels()[first, last), between the own labels,
// `own(label)`.
inline constexpr std::size_t kMaxOwnLabels = 5;
template <typename SharedRun, typename Own>
void ForEachLabelInOrder(const LabelSet& shared, std::initializer_list<Label> own,
                         SharedRun&& shared_run, Own&& own_label) {
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
    const std::size_t first = i;
    while (i < base.size() && base[i].name < sorted_own[n].name) ++i;
    if (i > first) shared_run(first, i);
    own_label(sorted_own[n]);
  }
  if (i < base.size()) shared_run(i, base.size());
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
