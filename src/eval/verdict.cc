#include "eval/verdict.h"

#include <algorithm>
#include <cstdio>
#include <utility>
#include <vector>

#include "common/duration_text.h"
#include "common/enum_names.h"

namespace healthgap::eval {
namespace {

// printf-style formatting for short numeric fragments; std::format is not in Debian 12's GCC.
template <typename... Args>
std::string Format(const char* format, Args... args) {
  char buffer[64];
  const int n = std::snprintf(buffer, sizeof buffer, format, args...);
  return std::string(buffer, static_cast<std::size_t>(std::clamp(n, 0, 63)));
}

std::string Samples(const WindowSummary& api, int count) {
  return std::to_string(count) + "/" + std::to_string(api.total) +
         (api.counted == WindowSummary::Counted::kRealRequests ? " real requests" : " API samples");
}

std::string FailedSamples(const WindowSummary& api) {
  std::string text = Samples(api, api.failures) + " failed";
  const std::string top = TopFailureReasons(api.failures_by_reason);
  if (!top.empty()) text += " (" + top + ")";
  return text;
}

std::string WaitingReason(const HealthSummary& health, const WindowSummary& api, ApiState api_state,
                          const ApiThresholds& thresholds) {
  std::vector<std::string> missing;
  if (health.state == LbState::kUnknown)
    missing.emplace_back("load balancer state not decided yet");
  if (api.total < thresholds.min_samples) {
    missing.push_back(std::to_string(api.total) + "/" + std::to_string(thresholds.min_samples) +
                      " API samples in window");
  } else if (api_state == ApiState::kWaiting) {
    missing.push_back(Samples(api, api.failures) + " failed, too few to tell working from failing");
  }
  std::string text = "waiting for data: ";
  for (std::size_t i = 0; i < missing.size(); ++i) {
    if (i > 0) text += ", ";
    text += missing[i];
  }
  return text;
}

// "health check ", "readiness check /ready (the endpoint that should have caught it) ", ...
std::string CheckName(const Evidence& evidence) {
  if (!evidence.has_other_roles && evidence.role == HealthRole::kReadiness) {
    return "health check ";
  }
  std::string name =
      evidence.role == HealthRole::kReadiness ? "readiness check " : "liveness check ";
  if (!evidence.path.empty()) name += evidence.path + " ";
  return name;
}

std::string Joined(const std::vector<std::string>& items, std::size_t limit) {
  std::string text;
  for (std::size_t i = 0; i < items.size() && i < limit; ++i) {
    if (i > 0) text += ", ";
    text += items[i];
  }
  if (items.size() > limit) text += " and " + std::to_string(items.size() - limit) + " more";
  return text;
}

int Count(const WindowSummary& api, FailureReason reason) {
  return api.failures_by_reason[static_cast<std::size_t>(reason)];
}

// Strongest evidence first: a cache or the body's own words are proof; latency is inference.
Cause MismatchCause(const WindowSummary& api, const Evidence& evidence) {
  if (evidence.cached) return Cause::kCachedHealth;
  if (!evidence.failing_components.empty()) return Cause::kDegradedBody;
  const int stalled = Count(api, FailureReason::kTimeout) + Count(api, FailureReason::kSlow);
  if (stalled * 2 >= api.failures) return Cause::kDetachedHealth;
  if (evidence.detachment.detached) return Cause::kPoolExhaustion;
  return Cause::kShallowCheck;
}

std::string ExplainMismatch(Cause cause, const HealthSummary& health, const WindowSummary& api,
                            const Evidence& evidence) {
  switch (cause) {
    case Cause::kCachedHealth:
      return "health answers come from a cache (" + Joined(evidence.cache_evidence, 2) + ")";
    case Cause::kDegradedBody:
      return "its own body reports failing: " + Joined(evidence.failing_components, 3) +
             ", yet the status code says healthy";
    case Cause::kDetachedHealth: {
      std::string text = "API requests stall";
      if (evidence.detachment.detached) {
        text += Format(" (latency %.0fx the health check's)", evidence.detachment.latency_ratio);
      }
      return text + " while health answers in " + HumanDuration(health.last_latency) +
             ": health check likely runs apart from request handlers (separate thread, "
             "deadlock)";
    }
    case Cause::kPoolExhaustion:
      return "API requests wait " + HumanDuration(api.latency_p50) +
             " then fail while health answers in " + HumanDuration(health.last_latency) +
             ": likely an exhausted connection pool the health check does not use";
    default:
      return "the health check does not exercise what the API needs (shallow check)";
  }
}

}  // namespace

constexpr std::array<EnumName<Verdict>, 6> kVerdictNames = {{
    {Verdict::kUnknown, "unknown"},
    {Verdict::kHealthy, "healthy"},
    {Verdict::kMismatch, "mismatch"},
    {Verdict::kDown, "down"},
    {Verdict::kFalseNegative, "false-negative"},
    {Verdict::kDegraded, "degraded"},
}};
static_assert(ListsValuesInOrder(kVerdictNames));

std::string_view ToString(Verdict verdict) { return NameOf(kVerdictNames, verdict); }

constexpr std::array<EnumName<Cause>, 9> kCauseNames = {{
    {Cause::kNone, "none"},
    {Cause::kWaiting, "waiting"},
    {Cause::kShallowCheck, "shallow_check"},
    {Cause::kDetachedHealth, "detached_health"},
    {Cause::kPoolExhaustion, "pool_exhaustion"},
    {Cause::kCachedHealth, "cached_health"},
    {Cause::kDegradedBody, "degraded_body"},
    {Cause::kHealthFailing, "health_failing"},
    {Cause::kBothFailing, "both_failing"},
}};
static_assert(ListsValuesInOrder(kCauseNames));

std::string_view ToString(Cause cause) { return NameOf(kCauseNames, cause); }

std::string TopFailureReasons(const std::array<int, kFailureReasonCount>& failures_by_reason,
                              std::size_t limit) {
  std::vector<std::pair<int, FailureReason>> counted;
  for (FailureReason reason : kAllFailureReasons) {
    const int count = failures_by_reason[static_cast<std::size_t>(reason)];
    if (count > 0) counted.emplace_back(count, reason);
  }
  // Stable: equal counts keep enum order, so the text is deterministic.
  std::stable_sort(counted.begin(), counted.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  if (counted.size() > limit) counted.resize(limit);
  std::string text;
  for (const auto& [count, reason] : counted) {
    if (!text.empty()) text += ", ";
    text += std::string(ToString(reason)) + ": " + std::to_string(count);
  }
  return text;
}

std::string DescribeLastHealthCheck(const HealthSummary& health) {
  if (health.last_error) return std::string(ToString(*health.last_error));
  if (!health.has_result && health.last_status == 0) return "no result yet";
  const std::string answer = health.last_status != 0 ? std::to_string(health.last_status)
                             : health.pass_without_status.empty()
                                 ? std::string("passed")
                                 : std::string(health.pass_without_status);
  return answer + " in " + HumanDuration(health.last_latency);
}

ApiState JudgeWindow(const WindowSummary& api, const ApiThresholds& thresholds) {
  if (api.total < thresholds.min_samples) return ApiState::kWaiting;
  return api.error_ratio > thresholds.max_error_ratio ? ApiState::kFailing : ApiState::kWorking;
}

Decision Decide(const HealthSummary& health, const WindowSummary& api,
                const ApiThresholds& thresholds, const Evidence& evidence, Explain explain) {
  return Decide(health, api, JudgeWindow(api, thresholds), thresholds, evidence, explain);
}

Decision Decide(const HealthSummary& health, const WindowSummary& api, ApiState api_state,
                const ApiThresholds& thresholds, const Evidence& evidence, Explain explain) {
  // The reason is text for humans; /metrics asks for the verdict and cause alone, so a scrape
  // of thousands of targets builds no strings.
  auto decided = [explain](Verdict verdict, Cause cause, auto reason) {
    return Decision{verdict, explain == Explain::kWithReason ? reason() : std::string(), cause};
  };
  if (health.state == LbState::kUnknown || api_state == ApiState::kWaiting) {
    return decided(Verdict::kUnknown, Cause::kWaiting,
                   [&] { return WaitingReason(health, api, api_state, thresholds); });
  }
  const bool api_failing = api_state == ApiState::kFailing;
  if (health.state == LbState::kHealthy) {
    if (!api_failing) {
      if (evidence.failing_components.empty()) return {Verdict::kHealthy, "", Cause::kNone};
      return decided(Verdict::kDegraded, Cause::kDegradedBody, [&] {
        return CheckName(evidence) + DescribeLastHealthCheck(health) +
               " but its body reports failing: " + Joined(evidence.failing_components, 3) + "; " +
               Samples(api, api.total - api.failures) + " succeeded";
      });
    }
    const Cause cause = MismatchCause(api, evidence);
    return decided(Verdict::kMismatch, cause, [&] {
      std::string reason = CheckName(evidence) + DescribeLastHealthCheck(health) + " while " +
                           FailedSamples(api) + ": " +
                           ExplainMismatch(cause, health, api, evidence);
      if (evidence.role == HealthRole::kLiveness) {
        reason +=
            "; only a liveness check is configured, which says the process is up, not that it "
            "can serve: add a readiness check";
      }
      return reason;
    });
  }
  if (api_failing) {
    return decided(Verdict::kDown, Cause::kBothFailing, [&] {
      return CheckName(evidence) + "failing (" + DescribeLastHealthCheck(health) + ") and " +
             FailedSamples(api);
    });
  }
  return decided(Verdict::kFalseNegative, Cause::kHealthFailing, [&] {
    return CheckName(evidence) + "failing (" + DescribeLastHealthCheck(health) + ") while " +
           Samples(api, api.total - api.failures) + " succeeded";
  });
}

}  // namespace healthgap::eval
