#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <vector>

#include "common/clock.h"
#include "config/config.h"
#include "engine/snapshot.h"
#include "eval/lb_view.h"
#include "eval/outcome.h"
#include "eval/proportion.h"
#include "eval/sample_window.h"
#include "probe/http_client.h"

namespace healthgap::engine {

struct PairedRound;

class TargetState;

struct PairedProbeOptions {
  int rounds = 1;       // RunPairedProbe: the most rounds the sequential test may take
  Duration spacing{0};  // pause between rounds
  // Health checks that must all pass in a round for the LB view to count it as a pass; empty
  // means the target's own health checks, each into its own LB view.
  std::vector<config::HealthCheck> health_checks;
  // Whole-run budget (e.g. Prometheus' scrape timeout): request timeouts are cut to what is
  // left of it, and rounds that cannot start in time are skipped.
  std::optional<Duration> budget;
  // CURLOPT_RESOLVE pins for every request (see probe::HttpRequest::resolve).
  std::vector<std::string> resolve;
  // Checks every redirect hop of every request (/probe: its allowlist).
  std::shared_ptr<const probe::RedirectGuard> redirect_guard;
  // What the next round sends, asked after each round: a side whose evidence is already clear
  // need not wait for the other (an API that times out would otherwise pace the health checks
  // to its timeout). RunPairedRounds stops when the answer is neither. Unset: both, always.
  struct NextRound {
    bool health = true;
    bool samples = true;
  };
  std::function<NextRound(const std::vector<PairedRound>&)> next_round;
  // What the first round sends: `chaos` samples the API more often than the balancer checks.
  NextRound first_round;
  // RunPairedProbe's sequential test: two-sided confidence of the intervals it decides on.
  double confidence = 0.99;
  // Called once the rounds are done, before the verdict: what the target's sources said
  // meanwhile (TargetState::RecordRealLb, RecordRealTraffic), which beats the emulation and the
  // samples as it does in `serve`.
  std::function<void(TargetState&, TimePoint now)> record_sources;
};

struct PairedRound {
  // Parallel to the health checks, or empty in a round that sent only samples (and the samples
  // likewise).
  std::vector<probe::HttpResult> health;
  std::vector<eval::Outcome> health_outcomes;
  std::vector<probe::HttpResult> samples;
  std::vector<eval::Outcome> sample_outcomes;
  eval::LbState lb_after = eval::LbState::kUnknown;
};

struct PairedProbeResult {
  // The target as /metrics shows it, from this run alone.
  TargetSnapshot snapshot;
  std::vector<PairedRound> rounds;
  std::vector<eval::WindowSummary> per_sample;  // parallel to target.samples
  std::vector<eval::WindowSummary> per_health;  // parallel to the health checks sent
  // Consecutive passes (failures) the LB view needed to put the target in (take it out of)
  // rotation: the target's thresholds, capped at the rounds.
  int healthy_threshold = 1;
  int unhealthy_threshold = 1;
  // The sequential test's evidence: the share of rounds whose health checks failed, and of API
  // samples that failed, with their intervals at `confidence`, each against the target's
  // max_error_ratio. The verdict rests on these two sides; both undecided-free means the run
  // stopped early.
  double confidence = 0.99;
  eval::ProportionEstimate health_failures;
  eval::ThresholdSide health_side = eval::ThresholdSide::kUndecided;
  eval::ProportionEstimate api_failures;
  eval::ThresholdSide api_side = eval::ThresholdSide::kUndecided;
  bool decided() const {
    return health_side != eval::ThresholdSide::kUndecided &&
           api_side != eval::ThresholdSide::kUndecided;
  }
};

// Runs the rounds of a paired evaluation into `state` (which keeps any history it has, as /probe
// does across scrapes): each round sends every health check (fresh connections, as a load
// balancer) and every API sample of state.config() at once. Returns what each round saw.
// Blocks for at most rounds x (longest timeout + spacing), or the budget.
std::vector<PairedRound> RunPairedRounds(TargetState& state, const PairedProbeOptions& options,
                                         probe::HttpClient& client, const Clock& clock);

// A one-shot paired evaluation from a blank state, for `healthgap check`: a sequential test.
// After each round it puts an interval (Wilson, at options.confidence) around the share of
// failed health rounds and of failed API samples, and stops as soon as each lies clearly on one
// side of the target's max_error_ratio; the verdict rests on those two sides, so a run that
// ends with either undecided (options.rounds or the budget spent) is inconclusive, not luck.
// The emulated LB still runs beside it (its thresholds capped at the rounds) for the report.
PairedProbeResult RunPairedProbe(const config::Target& target, const PairedProbeOptions& options,
                                 probe::HttpClient& client, const Clock& clock);

}  // namespace healthgap::engine
