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
  adjusted.evaluation.window = std::chrono::hours(24);
  return adjusted;
}

// Failed health rounds (a round fails when any of its checks does) and failed API samples.
struct RoundCounts {
  int health_failed = 0;
  int health_rounds = 0;
  int samples_failed = 0;
  int samples = 0;
};

RoundCounts CountRounds(const std::vector<PairedRound>& rounds) {
  RoundCounts counts;
  for (const PairedRound& round : rounds) {
    if (!round.health_outcomes.empty()) ++counts.health_rounds;
    for (const auto& outcome : round.health_outcomes) {
      if (!outcome.success) {
        ++counts.health_failed;
        break;
      }
    }
    for (const auto& outcome : round.sample_outcomes) {
      ++counts.samples;
      if (!outcome.success) ++counts.samples_failed;
    }
  }
  return counts;
}

// The sequential test's state after `rounds`, into `result`.
void JudgeSides(const std::vector<PairedRound>& rounds, double z, double threshold,
                PairedProbeResult& result) {
  const RoundCounts counts = CountRounds(rounds);
  result.health_failures = eval::WilsonInterval(counts.health_failed, counts.health_rounds, z);
  result.health_side = eval::CompareToThreshold(result.health_failures, threshold);
  result.api_failures = eval::WilsonInterval(counts.samples_failed, counts.samples, z);
  result.api_side = eval::CompareToThreshold(result.api_failures, threshold);
}

// The last round that sent samples had one time out.
bool SamplesStalled(const std::vector<PairedRound>& rounds) {
  for (auto round = rounds.rbegin(); round != rounds.rend(); ++round) {
    if (round->sample_outcomes.empty()) continue;
    return std::any_of(
        round->sample_outcomes.begin(), round->sample_outcomes.end(),
        [](const eval::Outcome& outcome) { return outcome.reason == FailureReason::kTimeout; });
  }
  return false;
}

DecidedSides SidesOf(const PairedProbeResult& result) {
  DecidedSides sides;
  if (result.health_side == eval::ThresholdSide::kBelow) sides.health = eval::LbState::kHealthy;
  if (result.health_side == eval::ThresholdSide::kAbove) sides.health = eval::LbState::kUnhealthy;
  if (result.api_side == eval::ThresholdSide::kBelow) sides.api = eval::ApiState::kWorking;
  if (result.api_side == eval::ThresholdSide::kAbove) sides.api = eval::ApiState::kFailing;
  return sides;
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
    PairedProbeOptions::NextRound next = options.first_round;
    if (round > 0)
      next = options.next_round ? options.next_round(rounds) : PairedProbeOptions::NextRound{};
    if (!next.health && !next.samples) break;
    if (round > 0 && options.spacing.count() > 0) clock.SleepFor(options.spacing);
    std::vector<probe::HttpRequest> requests;
    const std::size_t health_sent = next.health ? health_checks.size() : 0;
    for (std::size_t i = 0; i < health_sent; ++i) {
      requests.push_back(HealthRequest(target, health_checks[i]));
    }
    if (next.samples) {
      for (const auto& sample : target.samples) requests.push_back(SampleRequest(target, sample));
    }
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
    const auto health_end = results.begin() + static_cast<std::ptrdiff_t>(health_sent);
    out.health.assign(results.begin(), health_end);
    out.samples.assign(health_end, results.end());

    // The LB sees one result per round; the first failing check (else the last) stands for it.
    std::size_t quoted = health_sent == 0 ? 0 : health_sent - 1;
    bool passed = true;
    for (std::size_t i = 0; i < health_sent; ++i) {
      out.health_outcomes.push_back(ClassifyHealth(out.health[i], health_checks[i]));
      if (passed && !out.health_outcomes[i].success) {
        passed = false;
        quoted = i;
      }
    }
    if (own_checks) {
      for (std::size_t i = 0; i < health_sent; ++i) {
        state.Record(Judge(Job::Health(i), out.health[i], out.health_outcomes[i], now, wall));
      }
    } else if (health_sent > 0) {
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
  result.confidence = options.confidence;
  const double z = eval::ZForConfidence(options.confidence);
  const double threshold = target.evaluation.max_error_ratio;
  PairedProbeOptions sequential = options;
  sequential.next_round = [&](const std::vector<PairedRound>& rounds) {
    JudgeSides(rounds, z, threshold, result);
    const bool health_open = result.health_side == eval::ThresholdSide::kUndecided;
    const bool api_open = result.api_side == eval::ThresholdSide::kUndecided;
    // A clear API side keeps sampling while the health side needs rounds anyway: the cause
    // wants more than the verdict (pool exhaustion needs 10 samples), and it costs no time,
    // unless the samples stall, which would pace the health checks to their timeout.
    return PairedProbeOptions::NextRound{
        .health = health_open, .samples = api_open || (health_open && !SamplesStalled(rounds))};
  };
  result.rounds = RunPairedRounds(state, sequential, client, clock);
  JudgeSides(result.rounds, z, threshold, result);

  // Every result of the run, in day-long windows (a run lasts a minute at most).
  // The first round sends every check; later ones may send none.
  const std::size_t checks = result.rounds.empty() ? 0 : result.rounds.front().health.size();
  std::vector<eval::SampleWindow> per_sample(target.samples.size(),
                                             eval::SampleWindow(adjusted.evaluation.window));
  std::vector<eval::SampleWindow> per_health(checks,
                                             eval::SampleWindow(adjusted.evaluation.window));
  const TimePoint now = clock.Now();
  for (const PairedRound& round : result.rounds) {
    for (std::size_t i = 0; i < round.samples.size(); ++i) {
      per_sample[i].Add(eval::SampleRecord{now, round.sample_outcomes[i], round.samples[i].total});
    }
    for (std::size_t i = 0; i < round.health.size(); ++i) {
      per_health[i].Add(eval::SampleRecord{now, round.health_outcomes[i], round.health[i].total});
    }
  }
  if (options.record_sources) options.record_sources(state, now);
  result.snapshot = state.Snapshot(now, SnapshotScope::kFull, SidesOf(result));
  for (auto& window : per_sample) result.per_sample.push_back(window.Summarize(now));
  for (auto& window : per_health) result.per_health.push_back(window.Summarize(now));
  return result;
}

}  // namespace healthgap::engine
