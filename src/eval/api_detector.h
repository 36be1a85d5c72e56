#pragma once

#include <cstddef>

#include "common/clock.h"
#include "common/ring_buffer.h"
#include "eval/proportion.h"
#include "eval/verdict.h"

namespace healthgap::eval {

// When the user view changes state. An outage and a recovery are told by runs (a run of
// consecutive failures this long cannot come from an API failing a few percent of requests),
// a partial failure by the window's interval (it lies wholly above the threshold).
struct DetectorSettings {
  double max_error_ratio = 0.2;
  int min_samples = 5;      // fewer in the window and no run decided: waiting
  int onset_run = 6;        // consecutive failures that turn working into failing
  int recovery_run = 9;     // consecutive successes that turn failing into working, at least
  double confidence = 0.9;  // of the window's interval
  // The evidence kept, newest first: as SampleWindow's bound, so a long window on a fast
  // sample cannot grow a target's memory without end.
  std::size_t max_samples = 10'000;
};

// The user view's state from API sample outcomes, with hysteresis: the window restarts at each
// change, so an outage that is over does not keep the target failing for a window, and a
// recovery does not carry the outage's successes-to-be into the next judgement. While a run is
// under way but not yet decisive the detector is unsettled: the engine then samples faster
// (as HAProxy's fastinter does), so an outage and a recovery are decided within about two
// sample intervals. Pure; not thread-safe.
class ApiDetector {
 public:
  ApiDetector(Duration window, const DetectorSettings& settings);

  // One sample outcome, completed at `at` (completion order).
  void Record(TimePoint at, bool success);

  ApiState state() const { return state_; }
  // The evidence for the current state: the share of failures since the last change (within
  // the window), with its interval at the settings' confidence. Evaluates the window at `now`:
  // with no sample left in it the state is back to waiting.
  ProportionEstimate Evidence(TimePoint now);
  // A run against the current state is under way: sample faster to decide it.
  bool unsettled() const;
  // Consecutive failures (successes) ending with the newest sample.
  int failure_run() const { return failure_run_; }
  int success_run() const { return success_run_; }

 private:
  void Expire(TimePoint now);
  void ChangeTo(ApiState state, int run);
  // Consecutive successes that end the current failing state.
  int RecoveryRun() const;

  struct Sample {
    TimePoint at;
    bool success;
  };
  Duration window_;
  DetectorSettings settings_;
  double z_;
  ApiState state_ = ApiState::kWaiting;
  RingBuffer<Sample> segment_;  // since the last change, at most a window old; ascending
  int segment_failures_ = 0;
  int failure_run_ = 0;
  int success_run_ = 0;
};

}  // namespace healthgap::eval
