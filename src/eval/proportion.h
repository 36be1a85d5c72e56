#pragma once

// How sure a ratio of failures is: the Wilson score interval, and which side of a threshold
// it lies on. What `check` keeps sampling for, and what /metrics reports beside each window's
// error ratio, so "2 failures of 3" and "200 of 1,000" no longer look alike.

namespace healthgap::eval {

// The normal quantile z for a two-sided `confidence` in (0, 1): 0.95 gives 1.96, 0.99 gives
// 2.576. Clamped to [0.5, 0.999999].
double ZForConfidence(double confidence);

struct ProportionEstimate {
  int events = 0;  // failures
  int trials = 0;
  double ratio = 0;  // events / trials; 0 without trials
  double low = 0;    // the interval; [0, 1] without trials
  double high = 1;
};

// The Wilson score interval for `events` of `trials` at normal quantile `z`. Unlike the normal
// approximation it stays inside [0, 1] and is honest at 0 and at n events of n, the common
// cases here (a healthy API, an outage), and it is sound from a handful of trials on.
ProportionEstimate WilsonInterval(int events, int trials, double z);

// Where a ratio lies against a threshold it must not exceed (a ratio at the threshold is not
// above it, as in the verdict).
enum class ThresholdSide {
  kUndecided,  // the interval contains the threshold: more trials needed
  kBelow,      // the whole interval is at or below the threshold
  kAbove,      // the whole interval is above it
};
// With threshold 0 ("any failure fails") nothing but a failure can decide: kAbove on the first
// one, kBelow never, as no finite sample proves a ratio of exactly 0.
ThresholdSide CompareToThreshold(const ProportionEstimate& estimate, double threshold);

}  // namespace healthgap::eval
