#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/failure_reason.h"
#include "common/status_matcher.h"
#include "eval/detachment.h"
#include "eval/lb_view.h"
#include "eval/sample_window.h"

namespace healthgap::eval {

enum class Verdict {
  kUnknown,        // not enough data on one side yet
  kHealthy,        // LB keeps it in rotation and the API works
  kMismatch,       // LB keeps it in rotation while the API fails: the health check lies
  kDown,           // LB took it out and the API fails: the LB is right
  kFalseNegative,  // LB took it out while the API works: capacity wrongly removed
  kDegraded,       // LB keeps it in rotation, the API works, but the health body reports a
                   // failing dependency: the check knows and the LB does not look
};
inline constexpr std::array<Verdict, 6> kAllVerdicts = {
    Verdict::kUnknown, Verdict::kHealthy,       Verdict::kMismatch,
    Verdict::kDown,    Verdict::kFalseNegative, Verdict::kDegraded};

// "unknown", "healthy", "mismatch", "down", "false-negative", "degraded".
std::string_view ToString(Verdict verdict);

// Why the verdict is what it is, in one bounded word: the `cause` label of healthgap_verdict_info
// and the thing an alert description can quote.
enum class Cause {
  kNone,            // healthy
  kWaiting,         // unknown: not enough data yet
  kShallowCheck,    // mismatch: health passes fast while the API fails by status: the check does
                    // not exercise what the API needs (database, cache, queue)
  kDetachedHealth,  // mismatch: API requests time out or crawl while health answers fast:
                    // separate thread or process, deadlocked handlers
  kPoolExhaustion,  // mismatch: API requests wait long, then fail with a status, while health
                    // answers fast: the handlers' pool is exhausted, health has its own connection
  kCachedHealth,    // mismatch: the health answers come from a cache
  kDegradedBody,    // degraded, or a mismatch whose health body named the failing dependency
  kHealthFailing,   // false-negative: health fails while the API works
  kBothFailing,     // down: health and API fail
};
inline constexpr std::array<Cause, 9> kAllCauses = {
    Cause::kNone,           Cause::kWaiting,        Cause::kShallowCheck,
    Cause::kDetachedHealth, Cause::kPoolExhaustion, Cause::kCachedHealth,
    Cause::kDegradedBody,   Cause::kHealthFailing,  Cause::kBothFailing};

// "none", "waiting", "shallow_check", "detached_health", "pool_exhaustion", "cached_health",
// "degraded_body", "health_failing", "both_failing".
std::string_view ToString(Cause cause);

// The LB side as the verdict needs it: state plus the last health probe, for the explanation.
struct HealthSummary {
  LbState state = LbState::kUnknown;
  int last_status = 0;
  Duration last_latency{0};
  std::optional<FailureReason> last_error = std::nullopt;
  bool has_result = false;
  // What a passing check without an HTTP status did, for the explanation ("connected" for a
  // TCP check); empty for HTTP checks. A constant: a scrape builds no strings.
  std::string_view pass_without_status{};
};

// What the health responses themselves give away, beyond pass/fail: the evidence behind the
// cause. Everything optional; an empty Evidence gives the plain verdicts.
struct Evidence {
  // Components the primary check's last body reports as failing, "name (detail)" or "name".
  std::vector<std::string> failing_components;
  bool cached = false;                       // CacheDetector's verdict on the primary check
  std::vector<std::string> cache_evidence;   // its lines, most telling first
  DetachmentSignal detachment;               // health vs API latency
  HealthRole role = HealthRole::kReadiness;  // of the primary check
  std::string path;              // of the primary check, for the explanation ("" unknown)
  bool has_other_roles = false;  // a liveness check next to the readiness one
};

// When the API counts as failing: the config's evaluation settings (config::Evaluation) as the
// verdict needs them.
struct ApiThresholds {
  double max_error_ratio = 0;  // a window error ratio above this means the API is failing
  int min_samples = 1;         // fewer samples in the window: the verdict waits
};

// The user view's state, as the verdict needs it: whether the API is failing, or not known yet.
enum class ApiState {
  kWaiting,  // too few samples, or (in a sequential test) too little evidence either way
  kWorking,
  kFailing,
};

// The windowed rule: kWaiting below min_samples, else kFailing iff error_ratio >
// max_error_ratio.
ApiState JudgeWindow(const WindowSummary& api, const ApiThresholds& thresholds);

struct Decision {
  Verdict verdict = Verdict::kUnknown;
  // One line for humans, e.g. "health 200 in 2 ms while 38/40 API samples failed
  // (timeout: 38)". Empty for healthy. Never used as a label.
  std::string reason;
  Cause cause = Cause::kWaiting;  // bounded: the `cause` label of healthgap_verdict_info
};

// Pure: the verdict from both views and the configured thresholds. Unknown while the LB state is
// unknown or the window holds fewer than min_samples; otherwise the API is failing iff
// api.error_ratio > max_error_ratio (a ratio exactly at the threshold is not failing).
// With evidence: `degraded` when the LB keeps the target and the API works but the body reports
// a failing component; every non-healthy verdict gets a cause (see Cause) and a reason naming it.
// kVerdictOnly leaves Decision::reason empty (and builds no text): for /metrics.
enum class Explain { kWithReason, kVerdictOnly };
Decision Decide(const HealthSummary& health, const WindowSummary& api,
                const ApiThresholds& thresholds, const Evidence& evidence = {},
                Explain explain = Explain::kWithReason);
// The same with the API's state decided by the caller (a sequential test, a detector with
// hysteresis); `thresholds` then only words the waiting reason.
Decision Decide(const HealthSummary& health, const WindowSummary& api, ApiState api_state,
                const ApiThresholds& thresholds, const Evidence& evidence = {},
                Explain explain = Explain::kWithReason);

// Building blocks of Decision::reason, exposed for tests.

// The most frequent failure reasons, by count then enum order: "timeout: 30, status: 8".
// At most `limit` entries; empty when there are no failures.
std::string TopFailureReasons(const std::array<int, kFailureReasonCount>& failures_by_reason,
                              std::size_t limit = 3);

// The last health check in a few words: "200 in 2 ms", or the transport error alone
// ("connection_refused").
std::string DescribeLastHealthCheck(const HealthSummary& health);

}  // namespace healthgap::eval
