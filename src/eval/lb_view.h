#pragma once

#include <string_view>

#include "common/lb_model.h"

namespace healthgap::eval {

// What the load balancer believes about the target.
enum class LbState {
  kUnknown,    // not enough consecutive results yet (ALB's "initial")
  kHealthy,    // in rotation
  kUnhealthy,  // out of rotation
};

// "unknown", "healthy", "unhealthy".
std::string_view ToString(LbState state);

// How settled the state is, for a balancer that checks more or less often by it (HAProxy's
// inter, fastinter, downinter).
enum class LbPhase {
  kFullyUp,       // in rotation, no failure since the last pass
  kTransitional,  // starting, or between the thresholds on the way in or out
  kFullyDown,     // out of rotation, no pass since the last failure
};

// The health-check state machine every load balancer implements: `healthy_threshold` consecutive
// successes put a target in rotation, `unhealthy_threshold` consecutive failures take it out,
// starting as `start` says (common/lb_model.h). Pure; not thread-safe.
class LbView {
 public:
  LbView(int healthy_threshold, int unhealthy_threshold, LbStart start = LbStart::kUndecided);

  void Record(bool success);

  LbState state() const { return state_; }
  LbPhase phase() const;
  int consecutive_successes() const { return consecutive_successes_; }
  int consecutive_failures() const { return consecutive_failures_; }

 private:
  int healthy_threshold_;
  int unhealthy_threshold_;
  LbStart start_;
  bool starting_ = true;  // no result recorded yet
  LbState state_ = LbState::kUnknown;
  int consecutive_successes_ = 0;
  int consecutive_failures_ = 0;
};

}  // namespace healthgap::eval
