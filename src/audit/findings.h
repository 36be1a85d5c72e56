#pragma once

// What a pool's health checking costs users, and what in it goes against the reference's
// prevention rules (interval 10 s or less, unhealthy after 2-3 consecutive failures, a timeout
// below the interval, an application-level check, separate liveness and readiness) and the
// known anti-patterns (no check at all, TCP-only checks, matchers that pass redirects and
// client errors, identical liveness and readiness probes: kube-score's
// container-probes-identical, Kyverno's ensure-probes-different).

#include <string>
#include <vector>

#include "audit/pool.h"

namespace healthgap::audit {

enum class Severity { kInfo, kWarning, kCritical };
// "info", "warning", "critical".
std::string_view ToString(Severity severity);

struct Finding {
  Severity severity = Severity::kWarning;
  std::string rule;  // bounded: "interval-above-10s", "no-health-check", ...
  std::string file;
  int line = 0;
  std::string pool;  // "backend app", "upstream app", "Deployment shop/web"
  std::string message;
  std::string fix;
};

// How long a broken server keeps getting traffic, and what that costs users.
struct Timing {
  bool never_out = false;          // nothing takes a broken server out
  Millis out{0};                   // worst case from the failure to out of rotation
  Millis back{0};                  // worst case from the recovery to back in rotation
  double requests_per_server = 0;  // the pool's --rps shared by its servers
  double failed_requests = 0;      // sent to the broken server before it is out
  std::string how;                 // the arithmetic, in the balancer's words
};

// "200", "200-399", "200,204": a matcher as the findings and the table write it.
std::string RangesText(const StatusMatcher& matcher);

// `rps`: requests per second the whole pool receives.
Timing TimingOf(const Pool& pool, double rps);

std::vector<Finding> FindingsFor(const Pool& pool);

}  // namespace healthgap::audit
