#pragma once

#include <string_view>

namespace healthgap::eval {

// What the load balancer believes about the target.
enum class LbState {
  kUnknown,    // not enough consecutive results yet (ALB's "initial")
  kHealthy,    // in rotation
  kUnhealthy,  // out of rotation
};

// "unknown", "healthy", "unhealthy".
std::string_view ToString(LbState state);

// The health-check state machine every load balancer implements: `healthy_threshold` consecutive
// successes put a target in rotation, `unhealthy_threshold` consecutive failures take it out.
// Pure; not thread-safe.
class LbView {
 public:
  LbView(int healthy_threshold, int unhealthy_threshold);

  void Record(bool success);

  LbState state() const { return state_; }
  int consecutive_successes() const { return consecutive_successes_; }
  int consecutive_failures() const { return consecutive_failures_; }

 private:
  int healthy_threshold_;
  int unhealthy_threshold_;
  LbState state_ = LbState::kUnknown;
  int consecutive_successes_ = 0;
  int consecutive_failures_ = 0;
};

}  // namespace healthgap::eval
