#include "engine/target_state.h"

#include <utility>

#include "eval/verdict.h"

namespace healthgap::engine {

namespace {

void CountFailure(std::array<std::uint64_t, eval::kFailureReasonCount>& counters,
                  const eval::Outcome& outcome) {
  if (outcome.reason) ++counters[static_cast<std::size_t>(*outcome.reason)];
}

}  // namespace

TargetState::TargetState(const config::Target& target)
    : config_(target),
      lb_(target.health.healthy_threshold, target.health.unhealthy_threshold),
      window_(target.evaluation.window) {
  for (const auto& sample : target.samples) {
    samples_.emplace_back().name = sample.name;
  }
}

bool TargetState::Adopt(const config::Target& target) {
  if (target.health.healthy_threshold != config_.health.healthy_threshold ||
      target.health.unhealthy_threshold != config_.health.unhealthy_threshold ||
      target.evaluation.window != config_.evaluation.window ||
      target.samples.size() != config_.samples.size()) {
    return false;
  }
  for (std::size_t i = 0; i < target.samples.size(); ++i) {
    if (target.samples[i].name != config_.samples[i].name) return false;
  }
  config_ = target;
  return true;
}

void TargetState::RecordHealth(const probe::HttpResult& result,
                               std::chrono::system_clock::time_point at) {
  RecordHealth(result, eval::Classify(result, config_.health.expected_status), at);
}

void TargetState::RecordHealth(const probe::HttpResult& result, const eval::Outcome& outcome,
                               std::chrono::system_clock::time_point at) {
  lb_.Record(outcome.success);
  ++health_probes_total_;
  CountFailure(health_failures_total_, outcome);
  health_latency_.Observe(ToSeconds(result.total));
  last_health_ = HealthProbeSnapshot{
      .has_result = true,
      .success = outcome.success,
      .status_code = result.status_code,
      .error = result.error,
      .phases = result.phases,
      .duration = result.total,
      .at = at,
  };
  Remember("health", outcome, result, at);
}

eval::Outcome TargetState::RecordSample(std::size_t index, const probe::HttpResult& result,
                                        TimePoint now, std::chrono::system_clock::time_point at) {
  if (index >= config_.samples.size()) return {};
  const config::ApiSample& sample = config_.samples[index];
  const eval::Outcome outcome =
      eval::Classify(result, sample.expected_status, sample.latency_budget);
  SampleSnapshot& counters = samples_[index];
  ++counters.requests_total;
  CountFailure(counters.failures_total, outcome);
  counters.latency.Observe(ToSeconds(result.total));
  window_.Add(eval::SampleRecord{now, outcome, result.total});
  Remember(sample.name, outcome, result, at);
  return outcome;
}

void TargetState::Remember(std::string what, const eval::Outcome& outcome,
                           const probe::HttpResult& result,
                           std::chrono::system_clock::time_point at) {
  if (recent_.size() == kRecentProbes) recent_.pop_front();
  recent_.push_back(RecentProbe{
      .at = at,
      .what = std::move(what),
      .success = outcome.success,
      .status_code = result.status_code,
      .error = result.error,
      .reason = outcome.reason,
      .duration = result.total,
  });
}

TargetSnapshot TargetState::Snapshot(TimePoint now) {
  TargetSnapshot out;
  out.name = config_.name;
  out.base_url = config_.base_url;
  out.labels = config_.labels;
  out.last_health = last_health_;
  out.health_probes_total = health_probes_total_;
  out.health_failures_total = health_failures_total_;
  out.health_latency = health_latency_;
  out.lb = eval::HealthSummary{
      .state = lb_.state(),
      .last_status = last_health_.status_code,
      .last_latency = last_health_.duration,
      .last_error = last_health_.error,
  };
  out.api_window = window_.Summarize(now);
  out.decision = eval::Decide(out.lb, out.api_window, config_.evaluation);
  out.samples = samples_;
  out.recent.assign(recent_.begin(), recent_.end());
  return out;
}

}  // namespace healthgap::engine
