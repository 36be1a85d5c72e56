#include "eval/lb_view.h"

#include <algorithm>
#include <limits>

#include "common/enum_names.h"

namespace healthgap::eval {

constexpr std::array<EnumName<LbState>, 3> kLbStateNames = {{
    {LbState::kUnknown, "unknown"},
    {LbState::kHealthy, "healthy"},
    {LbState::kUnhealthy, "unhealthy"},
}};
static_assert(ListsValuesInOrder(kLbStateNames));

std::string_view ToString(LbState state) { return NameOf(kLbStateNames, state); }

// A threshold below 1 would make a state reachable without any result; treat it as 1.
LbView::LbView(int healthy_threshold, int unhealthy_threshold, LbStart start)
    : healthy_threshold_(std::max(1, healthy_threshold)),
      unhealthy_threshold_(std::max(1, unhealthy_threshold)),
      start_(start) {
  switch (start) {
    case LbStart::kUndecided:
      break;
    case LbStart::kInRotationUntilFirstFailure:
    case LbStart::kInRotation:
      state_ = LbState::kHealthy;
      break;
    case LbStart::kOutOfRotation:
    case LbStart::kOutOfRotationUntilFirstPass:
      state_ = LbState::kUnhealthy;
      break;
  }
}

void LbView::Record(bool success) {
  const bool first = starting_;
  starting_ = false;
  // Saturate rather than overflow on a target that stays up for decades.
  constexpr int kMax = std::numeric_limits<int>::max();
  if (success) {
    consecutive_failures_ = 0;
    if (consecutive_successes_ < kMax) ++consecutive_successes_;
    if (consecutive_successes_ >= healthy_threshold_ ||
        (first && start_ == LbStart::kOutOfRotationUntilFirstPass) ||
        (first && start_ == LbStart::kInRotationUntilFirstFailure)) {
      state_ = LbState::kHealthy;
    }
  } else {
    consecutive_successes_ = 0;
    if (consecutive_failures_ < kMax) ++consecutive_failures_;
    if (consecutive_failures_ >= unhealthy_threshold_ ||
        (first && start_ == LbStart::kInRotationUntilFirstFailure)) {
      state_ = LbState::kUnhealthy;
    }
  }
}

LbPhase LbView::phase() const {
  if (starting_) return LbPhase::kTransitional;
  if (state_ == LbState::kHealthy && consecutive_failures_ == 0) return LbPhase::kFullyUp;
  if (state_ == LbState::kUnhealthy && consecutive_successes_ == 0) return LbPhase::kFullyDown;
  return LbPhase::kTransitional;
}

}  // namespace healthgap::eval
