#pragma once

#include <cstddef>
#include <string>

#include "common/clock.h"
#include "common/ring_buffer.h"

namespace healthgap::eval {

// Health and API figures over the same recent window.
struct DetachmentInput {
  int health_samples = 0;  // successful health probes the health p50 is over
  Duration health_p50{0};  // latency of successful health probes
  int health_status = 0;   // last health status code, for the explanation (0: unknown)
  int api_total = 0;       // API samples in the window
  int api_timeouts = 0;    // of which timed out
  Duration api_p50{0};     // over every completed API sample
  Duration api_p99{0};
  Duration api_timeout{0};  // the API samples' configured timeout
};

struct DetachmentThresholds {
  int min_health_samples = 3;
  int min_api_samples = 10;
  // Timeout rule: this share of API samples time out while health p50 stays under
  // health_fast_fraction of the API timeout.
  double min_timeout_ratio = 0.5;
  double health_fast_fraction = 0.1;
  // Latency rule: API p50 at least this many times health p50 and above min_api_p50 (so that
  // 0.1 ms vs 2 ms on loopback does not count).
  double min_latency_ratio = 20;
  Duration min_api_p50 = std::chrono::milliseconds(200);
};

struct DetachmentSignal {
  // API p50 / health p50, clamped to [0, kMaxLatencyRatio]; 0 when either side has no data.
  double latency_ratio = 0;
  bool detached = false;
  // One human line, empty unless detached, e.g. "health 200 in 2 ms while 38/40 API samples
  // timed out after 5 s: health check likely runs apart from request handlers".
  std::string explanation;
};

inline constexpr double kMaxLatencyRatio = 1e6;

// Pure: whether the health check answers fast and flat while the API it stands for stalls.
DetachmentSignal ComputeDetachment(const DetachmentInput& input,
                                   const DetachmentThresholds& thresholds = {});

// The last N successful health probe latencies, for DetachmentInput's health p50 and sample
// count. Pure; not thread-safe.
class HealthLatencies {
 public:
  explicit HealthLatencies(std::size_t capacity = 20);

  void Add(Duration latency);
  int size() const { return static_cast<int>(latencies_.size()); }
  Duration P50() const;  // nearest rank; zero when empty

 private:
  std::size_t capacity_;
  RingBuffer<Duration> latencies_;
};

}  // namespace healthgap::eval
