#pragma once

// Which HTTP status codes count as success: parsed by config/ ("200", "2xx", "200-399"),
// applied by eval/.

#include <vector>

namespace healthgap {

// Inclusive range of HTTP status codes, e.g. 200-399.
struct StatusRange {
  int low = 200;
  int high = 299;
  bool operator==(const StatusRange&) const = default;
};

struct StatusMatcher {
  std::vector<StatusRange> ranges{{200, 299}};
  bool Matches(int status) const {
    for (const auto& r : ranges) {
      if (status >= r.low && status <= r.high) return true;
    }
    return false;
  }
  bool operator==(const StatusMatcher&) const = default;
};

// What a health endpoint is for: readiness (may this instance get traffic? what load balancers
// probe) or liveness (is the process alive? restart it if not). Configured by config/, named in
// eval/'s verdicts.
enum class HealthRole { kReadiness, kLiveness };

}  // namespace healthgap
