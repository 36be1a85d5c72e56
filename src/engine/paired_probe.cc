#include "engine/paired_probe.h"

#include <algorithm>

#include "engine/requests.h"
#include "engine/response_view.h"
#include "engine/target_state.h"
#include "probe/blocking.h"

namespace healthgap::engine {

namespace {

// The run's own view of the target: thresholds a one-shot can reach, a window spanning the run.
config::Target OneShotTarget(const config::Target& target, int rounds) {
  config::Target adjusted = target;
  adjusted.health.healthy_threshold = std::min(target.health.healthy_threshold, rounds);
  adjusted.health.unhealthy_threshold = std::min(target.health.unhealthy_threshold, rounds);
  adjusted.evaluation.min_samples = rounds * static_cast<int>(target.samples.size());
  adjusted.evaluation.window = std::chrono::hours(24);
  return adjusted;
}

}  // namespace

std::vector<PairedRound> RunPairedRounds(TargetState& state, const PairedProbeOptions& options,
                                         probe::HttpClient& client, const Clock& clock) {
  const config::Target& target = state.config();
  // Without explicit checks: each of the target's checks, recorded into its own LB view.
  const bool own_checks = options.health_checks.empty();
  std::vector<config::HealthCheck> health_checks = options.health_checks;
  if (own_checks) {
    for (std::size_t i = 0; i < state.health_check_count(); ++i) {
      health_checks.push_back(state.health_check(i));
    }
  }
  std::vector<PairedRound> rounds;
  const TimePoint started = clock.Now();
  for (int round = 0; round < std::max(1, options.rounds); ++round) {
    if (round > 0 && options.spacing.count() > 0) clock.SleepFor(options.spacing);
    std::vector<probe::HttpRequest> requests;
    for (const auto& check : health_checks) requests.push_back(HealthRequest(target, check));
    for (const auto& sample : target.samples) requests.push_back(SampleRequest(target, sample));
    for (auto& request : requests) {
      request.resolve = options.resolve;
      request.redirect_guard = options.redirect_guard;
    }
    if (options.budget) {
      const Duration left = *options.budget - (clock.Now() - started);
      const auto left_ms = std::chrono::duration_cast<std::chrono::milliseconds>(left);
      if (left_ms.count() <= 0) break;
      for (auto& request : requests) request.timeout = std::min(request.timeout, left_ms);
    }

    std::vector<probe::HttpResult> results = probe::SendAllAndWait(client, std::move(requests));
    const TimePoint now = clock.Now();
    const auto wall = clock.WallNow();
    PairedRound& out = rounds.emplace_back();
    out.health.assign(results.begin(), results.begin() + health_checks.size());
    out.samples.assign(results.begin() + health_checks.size(), results.end());

    // The LB sees one result per round; the first failing check (else the last) stands for it.
    std::size_t quoted = health_checks.size() - 1;
    bool passed = true;
    for (std::size_t i = 0; i < health_checks.size(); ++i) {
      out.health_outcomes.push_back(ClassifyHealth(out.health[i], health_checks[i]));
      if (passed && !out.health_outcomes[i].success) {
        passed = false;
        quoted = i;
      }
    }
    if (own_checks) {
      for (std::size_t i = 0; i < health_checks.size(); ++i) {
        state.Record(Judge(Job::Health(i), out.health[i], out.health_outcomes[i], now, wall));
      }
    } else {
      state.Record(
          Judge(Job::Health(0), out.health[quoted], out.health_outcomes[quoted], now, wall));
    }
    out.lb_after = state.lb_state();
    for (std::size_t i = 0; i < out.samples.size(); ++i) {
      const JudgedResult judged = Judge(target, Job::Sample(i), out.samples[i], now, wall);
      state.Record(judged);
      out.sample_outcomes.push_back(judged.outcome);
    }
  }
  return rounds;
}

PairedProbeResult RunPairedProbe(const config::Target& target, const PairedProbeOptions& options,
                                 probe::HttpClient& client, const Clock& clock) {
  const int rounds = std::max(1, options.rounds);
  const config::Target adjusted = OneShotTarget(target, rounds);
  TargetState state(adjusted);
  PairedProbeResult result;
  result.healthy_threshold = adjusted.health.healthy_threshold;
  result.unhealthy_threshold = adjusted.health.unhealthy_threshold;
  result.rounds = RunPairedRounds(state, options, client, clock);

  std::vector<eval::SampleWindow> per_sample(target.samples.size(),
                                             eval::SampleWindow(adjusted.evaluation.window));
  for (const PairedRound& round : result.rounds) {
    bool passed = true;
    for (const auto& outcome : round.health_outcomes) passed = passed && outcome.success;
    if (passed) ++result.health_rounds_passed;
    for (std::size_t i = 0; i < round.samples.size(); ++i) {
      // Rounds are seconds apart at most, all inside the day-long one-shot window.
      per_sample[i].Add(
          eval::SampleRecord{clock.Now(), round.sample_outcomes[i], round.samples[i].total});
    }
  }
  const TimePoint now = clock.Now();
  result.snapshot = state.Snapshot(now);
  for (auto& window : per_sample) result.per_sample.push_back(window.Summarize(now));
  return result;
}

}  // namespace healthgap::engine
