#include "eval/verdict.h"

#include <algorithm>
#include <cstdio>
#include <utility>
#include <vector>

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
  return std::to_string(count) + "/" + std::to_string(api.total) + " API samples";
}

std::string FailedSamples(const WindowSummary& api) {
  std::string text = Samples(api, api.failures) + " failed";
  const std::string top = TopFailureReasons(api.failures_by_reason);
  if (!top.empty()) text += " (" + top + ")";
  return text;
}

std::string WaitingReason(const HealthSummary& health, const WindowSummary& api,
                          const config::Evaluation& thresholds) {
  std::vector<std::string> missing;
  if (health.state == LbState::kUnknown)
    missing.emplace_back("load balancer state not decided yet");
  if (api.total < thresholds.min_samples) {
    missing.push_back(std::to_string(api.total) + "/" + std::to_string(thresholds.min_samples) +
                      " API samples in window");
  }
  std::string text = "waiting for data: ";
  for (std::size_t i = 0; i < missing.size(); ++i) {
    if (i > 0) text += ", ";
    text += missing[i];
  }
  return text;
}

}  // namespace

std::string_view ToString(Verdict verdict) {
  switch (verdict) {
    case Verdict::kUnknown:
      return "unknown";
    case Verdict::kHealthy:
      return "healthy";
    case Verdict::kMismatch:
      return "mismatch";
    case Verdict::kDown:
      return "down";
    case Verdict::kFalseNegative:
      return "false-negative";
  }
  return "unknown";
}

std::string FormatDuration(Duration d) {
  const double seconds = ToSeconds(d);
  if (seconds < 0.001) return Format("%.1f ms", seconds * 1e3);
  if (seconds < 1) return Format("%.0f ms", seconds * 1e3);
  if (seconds < 10) {
    std::string text = Format("%.1f", seconds);
    if (text.ends_with(".0")) text.resize(text.size() - 2);
    return text + " s";
  }
  return Format("%.0f s", seconds);
}

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
  if (auto reason = ReasonForError(health.last_error)) return std::string(ToString(*reason));
  if (health.last_status == 0) return "no result yet";
  return std::to_string(health.last_status) + " in " + FormatDuration(health.last_latency);
}

Decision Decide(const HealthSummary& health, const WindowSummary& api,
                const config::Evaluation& thresholds) {
  if (health.state == LbState::kUnknown || api.total < thresholds.min_samples) {
    return {Verdict::kUnknown, WaitingReason(health, api, thresholds)};
  }
  const bool api_failing = api.error_ratio > thresholds.max_error_ratio;
  const std::string last_check = DescribeLastHealthCheck(health);
  if (health.state == LbState::kHealthy) {
    if (!api_failing) return {Verdict::kHealthy, ""};
    return {Verdict::kMismatch, "health check " + last_check + " while " + FailedSamples(api)};
  }
  if (api_failing) {
    return {Verdict::kDown, "health check failing (" + last_check + ") and " + FailedSamples(api)};
  }
  return {Verdict::kFalseNegative, "health check failing (" + last_check + ") while " +
                                       Samples(api, api.total - api.failures) + " succeeded"};
}

}  // namespace healthgap::eval
