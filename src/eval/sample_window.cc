#include "eval/sample_window.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <iterator>
#include <vector>

namespace healthgap::eval {

namespace {

// Index of the nearest-rank percentile p among n > 0 ascending values.
std::size_t NearestRankIndex(std::size_t n, double p) {
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(n)));
  return std::clamp<std::size_t>(rank, 1, n) - 1;
}

}  // namespace

Duration NearestRankPercentile(const std::vector<Duration>& sorted, double p) {
  if (sorted.empty()) return Duration{0};
  return sorted[NearestRankIndex(sorted.size(), p)];
}

SampleWindow::SampleWindow(Duration span, std::size_t max_records)
    : span_(span), max_records_(std::max<std::size_t>(1, max_records)), records_(max_records_) {}

void SampleWindow::Add(const SampleRecord& record) {
  // Samples complete out of order (a timeout is recorded after a later fast request): insert in
  // time order, from the back, where nearly every record belongs.
  auto position = records_.end();
  while (position != records_.begin() && std::prev(position)->at > record.at) --position;
  records_.insert(position, record);
  CountFailure(record, +1);
  sorted_latencies_.insert(
      std::upper_bound(sorted_latencies_.begin(), sorted_latencies_.end(), record.latency),
      record.latency);
  while (records_.size() > max_records_) DropOldest();
}

void SampleWindow::CountFailure(const SampleRecord& record, int delta) {
  if (record.outcome.success) return;
  failures_ += delta;
  failures_by_reason_[static_cast<std::size_t>(
      record.outcome.reason.value_or(FailureReason::kOther))] += delta;
}

void SampleWindow::DropOldest() {
  CountFailure(records_.front(), -1);
  sorted_latencies_.erase(std::lower_bound(sorted_latencies_.begin(), sorted_latencies_.end(),
                                           records_.front().latency));
  records_.pop_front();
}

WindowSummary SampleWindow::Summarize(TimePoint now) {
  const TimePoint cutoff = now - span_;
  while (!records_.empty() && records_.front().at < cutoff) DropOldest();
  WindowSummary summary;
  summary.total = static_cast<int>(records_.size());
  summary.failures = failures_;
  summary.failures_by_reason = failures_by_reason_;
  if (summary.total == 0) return summary;
  summary.error_ratio = static_cast<double>(summary.failures) / summary.total;
  summary.latency_p50 = NearestRankPercentile(sorted_latencies_, 50);
  summary.latency_p99 = NearestRankPercentile(sorted_latencies_, 99);
  summary.latency_max = sorted_latencies_.back();
  return summary;
}

}  // namespace healthgap::eval
