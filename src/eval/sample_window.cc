#include "eval/sample_window.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace healthgap::eval {

Duration NearestRankPercentile(const std::vector<Duration>& sorted, double p) {
  if (sorted.empty()) return Duration{0};
  const double n = static_cast<double>(sorted.size());
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * n));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

SampleWindow::SampleWindow(Duration span, std::size_t max_records)
    : span_(span), max_records_(std::max<std::size_t>(1, max_records)) {}

void SampleWindow::Add(const SampleRecord& record) {
  records_.push_back(record);
  while (records_.size() > max_records_) records_.pop_front();
}

void SampleWindow::Evict(TimePoint now) {
  const TimePoint cutoff = now - span_;
  // Samples complete out of order (a timeout finishes after a later fast request), so filter
  // the whole deque instead of popping from the front only.
  std::erase_if(records_, [cutoff](const SampleRecord& r) { return r.at < cutoff; });
}

WindowSummary SampleWindow::Summarize(TimePoint now) {
  Evict(now);
  WindowSummary summary;
  std::vector<Duration> latencies;
  latencies.reserve(records_.size());
  for (const SampleRecord& record : records_) {
    ++summary.total;
    latencies.push_back(record.latency);
    if (record.outcome.success) continue;
    ++summary.failures;
    const FailureReason reason = record.outcome.reason.value_or(FailureReason::kOther);
    ++summary.failures_by_reason[static_cast<std::size_t>(reason)];
  }
  if (summary.total > 0) {
    summary.error_ratio = static_cast<double>(summary.failures) / summary.total;
    // Nearest-rank p99, then p50 below it and the max above it: linear selection instead of a
    // sort, since every scrape summarizes every target's window (up to max_records each).
    const auto nth = [&](double p) {
      const double n = static_cast<double>(latencies.size());
      const auto rank = std::clamp<std::size_t>(static_cast<std::size_t>(std::ceil(p / 100.0 * n)),
                                                1, latencies.size());
      return latencies.begin() + static_cast<std::ptrdiff_t>(rank - 1);
    };
    const auto p99 = nth(99);
    std::nth_element(latencies.begin(), p99, latencies.end());
    summary.latency_p99 = *p99;
    summary.latency_max = *std::max_element(p99, latencies.end());
    const auto p50 = nth(50);
    std::nth_element(latencies.begin(), p50, p99);
    summary.latency_p50 = *p50;
  }
  return summary;
}

}  // namespace healthgap::eval
