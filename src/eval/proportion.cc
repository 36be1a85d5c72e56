#include "eval/proportion.h"

#include <algorithm>
#include <cmath>

namespace healthgap::eval {

double ZForConfidence(double confidence) {
  const double c = std::clamp(confidence, 0.5, 0.999999);
  // Two-sided: the z with P(|Z| > z) = 1 - c, i.e. erfc(z / sqrt 2) = 1 - c; erfc falls
  // monotonically, so bisection converges to double precision in about 60 steps.
  double low = 0;
  double high = 10;
  for (int i = 0; i < 100; ++i) {
    const double mid = (low + high) / 2;
    if (std::erfc(mid / std::sqrt(2.0)) > 1 - c) {
      low = mid;
    } else {
      high = mid;
    }
  }
  return (low + high) / 2;
}

ProportionEstimate WilsonInterval(int events, int trials, double z) {
  ProportionEstimate estimate;
  estimate.events = events;
  estimate.trials = trials;
  if (trials <= 0) return estimate;
  const double n = trials;
  const double p = static_cast<double>(events) / n;
  const double z2 = z * z;
  const double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const double half = z / (1 + z2 / n) * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n));
  estimate.ratio = p;
  // Exact at the edges: 0 failures cannot have a ratio below 0, n of n none above 1.
  estimate.low = events == 0 ? 0.0 : std::max(0.0, centre - half);
  estimate.high = events == trials ? 1.0 : std::min(1.0, centre + half);
  return estimate;
}

ThresholdSide CompareToThreshold(const ProportionEstimate& estimate, double threshold) {
  if (estimate.trials <= 0) return ThresholdSide::kUndecided;
  if (estimate.low > threshold) return ThresholdSide::kAbove;
  if (threshold > 0 && estimate.high <= threshold) return ThresholdSide::kBelow;
  return ThresholdSide::kUndecided;
}

}  // namespace healthgap::eval
