#pragma once

#include <array>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "config/config.h"
#include "eval/lb_view.h"
#include "eval/sample_window.h"
#include "probe/http_client.h"

namespace healthgap::eval {

enum class Verdict {
  kUnknown,        // not enough data on one side yet
  kHealthy,        // LB keeps it in rotation and the API works
  kMismatch,       // LB keeps it in rotation while the API fails: the health check lies
  kDown,           // LB took it out and the API fails: the LB is right
  kFalseNegative,  // LB took it out while the API works: capacity wrongly removed
};
inline constexpr std::array<Verdict, 5> kAllVerdicts = {Verdict::kUnknown, Verdict::kHealthy,
                                                        Verdict::kMismatch, Verdict::kDown,
                                                        Verdict::kFalseNegative};

// "unknown", "healthy", "mismatch", "down", "false-negative".
std::string_view ToString(Verdict verdict);

// The LB side as the verdict needs it: state plus the last health probe, for the explanation.
struct HealthSummary {
  LbState state = LbState::kUnknown;
  int last_status = 0;
  Duration last_latency{0};
  probe::ErrorKind last_error = probe::ErrorKind::kNone;
};

struct Decision {
  Verdict verdict = Verdict::kUnknown;
  // One line for humans, e.g. "health 200 in 2 ms while 38/40 API samples failed
  // (timeout: 38)". Empty for healthy. Never used as a label.
  std::string reason;
};

// Pure: the verdict from both views and the configured thresholds. Unknown while the LB state is
// unknown or the window holds fewer than min_samples; otherwise the API is failing iff
// api.error_ratio > max_error_ratio (a ratio exactly at the threshold is not failing).
Decision Decide(const HealthSummary& health, const WindowSummary& api,
                const config::Evaluation& thresholds);

// Building blocks of Decision::reason, exposed for tests.

// Human duration: "0.4 ms", "12 ms", "2.5 s", "75 s".
std::string FormatDuration(Duration d);

// The most frequent failure reasons, by count then enum order: "timeout: 30, status: 8".
// At most `limit` entries; empty when there are no failures.
std::string TopFailureReasons(const std::array<int, kFailureReasonCount>& failures_by_reason,
                              std::size_t limit = 3);

// The last health check in a few words: "200 in 2 ms", or the transport error alone
// ("connection_refused").
std::string DescribeLastHealthCheck(const HealthSummary& health);

}  // namespace healthgap::eval
