#include "eval/lb_view.h"

#include <algorithm>
#include <limits>

namespace healthgap::eval {

std::string_view ToString(LbState state) {
  switch (state) {
    case LbState::kUnknown:
      return "unknown";
    case LbState::kHealthy:
      return "healthy";
    case LbState::kUnhealthy:
      return "unhealthy";
  }
  return "unknown";
}

// A threshold below 1 would make a state reachable without any result; treat it as 1.
LbView::LbView(int healthy_threshold, int unhealthy_threshold)
    : healthy_threshold_(std::max(1, healthy_threshold)),
      unhealthy_threshold_(std::max(1, unhealthy_threshold)) {}

void LbView::Record(bool success) {
  // Saturate rather than overflow on a target that stays up for decades.
  constexpr int kMax = std::numeric_limits<int>::max();
  if (success) {
    consecutive_failures_ = 0;
    if (consecutive_successes_ < kMax) ++consecutive_successes_;
    if (consecutive_successes_ >= healthy_threshold_) state_ = LbState::kHealthy;
  } else {
    consecutive_successes_ = 0;
    if (consecutive_failures_ < kMax) ++consecutive_failures_;
    if (consecutive_failures_ >= unhealthy_threshold_) state_ = LbState::kUnhealthy;
  }
}

}  // namespace healthgap::eval
