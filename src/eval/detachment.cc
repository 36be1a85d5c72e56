#include "eval/detachment.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "common/duration_text.h"
#include "eval/sample_window.h"
#include "eval/verdict.h"

namespace healthgap::eval {
namespace {

// Health p50 below this counts as this: a loopback answer in 40 µs must not turn a 10 ms API
// into a 250x "divergence".
constexpr Duration kHealthLatencyFloor = std::chrono::milliseconds(1);

std::string Ratio(double ratio) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.0fx", ratio);
  return buffer;
}

std::string HealthPart(const DetachmentInput& input) {
  std::string text = "health ";
  if (input.health_status > 0) text += std::to_string(input.health_status) + " ";
  return text + "in " + HumanDuration(input.health_p50);
}

constexpr std::string_view kConclusion = ": health check likely runs apart from request handlers";

}  // namespace

DetachmentSignal ComputeDetachment(const DetachmentInput& input,
                                   const DetachmentThresholds& thresholds) {
  DetachmentSignal signal;
  if (input.health_samples <= 0 || input.api_total <= 0) return signal;
  const Duration health = std::max(input.health_p50, kHealthLatencyFloor);
  // Nanosecond counts divide exactly for round figures, so thresholds hold at their boundary.
  signal.latency_ratio =
      std::clamp(static_cast<double>(input.api_p50.count()) / static_cast<double>(health.count()),
                 0.0, kMaxLatencyRatio);
  if (input.health_samples < thresholds.min_health_samples ||
      input.api_total < thresholds.min_api_samples) {
    return signal;
  }

  // Timeout rule: most API requests never answer while health answers in a small fraction of the
  // time those requests were given. A shared deadlock or exhausted pool would stall both.
  const double timeout_ratio =
      static_cast<double>(std::clamp(input.api_timeouts, 0, input.api_total)) / input.api_total;
  if (input.api_timeout > Duration::zero() && timeout_ratio >= thresholds.min_timeout_ratio &&
      ToSeconds(input.health_p50) <
          thresholds.health_fast_fraction * ToSeconds(input.api_timeout)) {
    signal.detached = true;
    signal.explanation = HealthPart(input) + " while " + std::to_string(input.api_timeouts) + "/" +
                         std::to_string(input.api_total) + " API samples timed out after " +
                         HumanDuration(input.api_timeout) + std::string(kConclusion);
    return signal;
  }

  // Latency rule: the API answers, but an order of magnitude slower than health, and slowly in
  // absolute terms (a 2 ms vs 0.1 ms loopback gap is not a stall).
  if (signal.latency_ratio >= thresholds.min_latency_ratio &&
      input.api_p50 >= thresholds.min_api_p50) {
    signal.detached = true;
    signal.explanation = HealthPart(input) + " while API p50 is " + HumanDuration(input.api_p50) +
                         " (" + Ratio(signal.latency_ratio) + " slower, p99 " +
                         HumanDuration(input.api_p99) + ")" + std::string(kConclusion);
  }
  return signal;
}

HealthLatencies::HealthLatencies(std::size_t capacity)
    : capacity_(std::max<std::size_t>(capacity, 1)), latencies_(capacity_) {}

void HealthLatencies::Add(Duration latency) {
  while (latencies_.size() >= capacity_) latencies_.pop_front();
  latencies_.push_back(latency);
}

Duration HealthLatencies::P50() const {
  std::vector<Duration> sorted(latencies_.begin(), latencies_.end());
  std::sort(sorted.begin(), sorted.end());
  return NearestRankPercentile(sorted, 50);
}

}  // namespace healthgap::eval
