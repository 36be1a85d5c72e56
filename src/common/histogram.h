#pragma once

#include <array>
#include <cstdint>

namespace healthgap {

// Latency buckets (seconds) shared by every duration histogram we export: from 1 ms (loopback
// health checks) to 10 s (API timeouts).
inline constexpr std::array<double, 14> kLatencyBucketsSeconds = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

// Fixed-bucket histogram kept by the engine and rendered at scrape time, so the hot path costs
// one array increment and no registry lookup. Not thread-safe: guarded by its owner.
class LatencyHistogram {
 public:
  void Observe(double seconds) {
    std::size_t i = 0;
    while (i < kLatencyBucketsSeconds.size() && seconds > kLatencyBucketsSeconds[i]) ++i;
    ++counts_[i];
    sum_ += seconds;
    ++count_;
  }
  // Non-cumulative counts; the last entry is the +Inf overflow bucket.
  const std::array<std::uint64_t, kLatencyBucketsSeconds.size() + 1>& counts() const {
    return counts_;
  }
  double sum() const { return sum_; }
  std::uint64_t count() const { return count_; }

 private:
  std::array<std::uint64_t, kLatencyBucketsSeconds.size() + 1> counts_{};
  double sum_ = 0;
  std::uint64_t count_ = 0;
};

}  // namespace healthgap
