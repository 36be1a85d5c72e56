#pragma once

// The user view from real traffic: per poll of a source, how many of a target's real requests
// were sent and how many failed. Like the ApiDetector it judges the share of failures by its
// interval against the threshold, with hysteresis, but on counts a poll at a time:
// - the latest poll, or the latest few (up to `recent_polls`), decide a change at once when
//   their own interval lies wholly on the other side: busy traffic makes an outage and a
//   recovery plain within a poll or two, long before a window's share moves;
// - the segment since the last change (within the window) decides a partial failure that no
//   few polls make plain.
// Below `min_request_rate` over the window the traffic is idle and says nothing (the
// synthetic samples decide). Pure; not thread-safe.

#include <cstdint>

#include "common/clock.h"
#include "common/ring_buffer.h"
#include "eval/proportion.h"
#include "eval/verdict.h"

namespace healthgap::eval {

struct TrafficSettings {
  double max_error_ratio = 0.2;
  double min_request_rate = 0.2;  // per second over the window: below it, idle
  double confidence = 0.9;        // of the segment's interval
  // Of the latest polls' intervals: tested every poll, so held to more (a flaky backend polled
  // for hours would otherwise get lucky once).
  double recent_confidence = 0.99;
  int recent_polls = 3;
  std::size_t max_polls = 10'000;  // polls kept, newest first
};

struct TrafficSummary {
  std::uint64_t requests = 0;  // in the window
  std::uint64_t failures = 0;
  double request_rate = 0;  // per second, over the span the window's polls cover
  bool idle = true;         // below min_request_rate, or no poll in the window
  ApiState state = ApiState::kWaiting;
  ProportionEstimate evidence;  // of the segment since the last change
};

class TrafficView {
 public:
  TrafficView(Duration window, const TrafficSettings& settings);

  // One poll's requests and failures, counted up to `at` (polls in time order).
  void Add(TimePoint at, std::uint64_t requests, std::uint64_t failures);
  TrafficSummary Summarize(TimePoint now);
  ApiState state() const { return state_; }

 private:
  struct Poll {
    TimePoint at;
    std::uint64_t requests;
    std::uint64_t failures;
  };
  ThresholdSide SideOf(std::uint64_t failures, std::uint64_t requests, double z) const;
  void Expire(TimePoint now);

  Duration window_;
  TrafficSettings settings_;
  double z_;
  double recent_z_;
  RingBuffer<Poll> polls_;         // within the window, ascending
  std::size_t segment_start_ = 0;  // index into polls_ of the first poll since the last change
  ApiState state_ = ApiState::kWaiting;
  std::uint64_t carried_failures_ = 0;  // counted in a poll beyond its requests
};

}  // namespace healthgap::eval
