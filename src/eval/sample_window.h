#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "common/clock.h"
#include "common/ring_buffer.h"
#include "eval/outcome.h"

namespace healthgap::eval {

struct SampleRecord {
  TimePoint at;
  Outcome outcome;
  Duration latency{0};
};

// The user view over the window.
struct WindowSummary {
  int total = 0;
  int failures = 0;
  double error_ratio = 0;                                     // failures / total; 0 when total == 0
  std::array<int, kFailureReasonCount> failures_by_reason{};  // indexed by FailureReason
  Duration latency_p50{0};
  Duration latency_p99{0};
  Duration latency_max{0};
  // What was counted: API samples, or (when real traffic decides the user view) users' own
  // requests, whose failures are all by status and whose latencies stay the samples'.
  enum class Counted : std::uint8_t { kSamples, kRealRequests };
  Counted counted = Counted::kSamples;
};

// Nearest-rank percentile (0 < p <= 100) of ascending `sorted`; zero for an empty input.
Duration NearestRankPercentile(const std::vector<Duration>& sorted, double p);

// Sliding time window of API sample outcomes. Records older than `span` before `now` are
// dropped on Summarize (a record exactly `span` old is kept). Bounded: at most `max_records` are
// kept (oldest dropped first). Counts, and the latencies in ascending order, are kept as records
// come and go, so a summary reads its percentiles instead of selecting them: /probe summarizes
// its target on every scrape, and a target scraped often has thousands of samples in its window.
// Pure; not thread-safe.
class SampleWindow {
 public:
  explicit SampleWindow(Duration span, std::size_t max_records = 10'000);

  void Add(const SampleRecord& record);
  WindowSummary Summarize(TimePoint now);
  std::size_t size() const { return records_.size(); }

 private:
  // Adds delta (+1 as a record comes, -1 as it goes) to the counts of a failed record.
  void CountFailure(const SampleRecord& record, int delta);
  void DropOldest();

  Duration span_;
  std::size_t max_records_;
  RingBuffer<SampleRecord> records_;  // ascending `at`
  int failures_ = 0;
  std::array<int, kFailureReasonCount> failures_by_reason_{};
  std::vector<Duration> sorted_latencies_;  // of records_, ascending
};

}  // namespace healthgap::eval
