#pragma once

#include <chrono>
#include <optional>
#include <vector>

#include "common/clock.h"
#include "config/config.h"
#include "engine/snapshot.h"
#include "eval/lb_view.h"
#include "eval/outcome.h"
#include "eval/sample_window.h"
#include "probe/http_client.h"

namespace healthgap::engine {

struct PairedProbeOptions {
  int rounds = 1;
  Duration spacing{0};  // pause between rounds
  // Health checks that must all pass in a round for the LB view to count it as a pass; empty
  // means the target's own health check.
  std::vector<config::HealthCheck> health_checks;
  // Whole-run budget (e.g. Prometheus' scrape timeout): request timeouts are cut to what is
  // left of it, and rounds that cannot start in time are skipped.
  std::optional<Duration> budget;
  // CURLOPT_RESOLVE pins for every request (see probe::HttpRequest::resolve).
  std::vector<std::string> resolve;
  // Checks every redirect hop of every request (/probe: its allowlist).
  std::shared_ptr<const probe::RedirectGuard> redirect_guard;
};

struct PairedRound {
  std::vector<probe::HttpResult> health;  // parallel to the health checks
  std::vector<eval::Outcome> health_outcomes;
  std::vector<probe::HttpResult> samples;  // parallel to target.samples
  std::vector<eval::Outcome> sample_outcomes;
  eval::LbState lb_after = eval::LbState::kUnknown;
};

struct PairedProbeResult {
  // The target as /metrics shows it, from this run alone.
  TargetSnapshot snapshot;
  std::vector<PairedRound> rounds;
  std::vector<eval::WindowSummary> per_sample;  // parallel to target.samples
  int health_rounds_passed = 0;
  // Consecutive passes (failures) the LB view needed to put the target in (take it out of)
  // rotation: the target's thresholds, capped at the rounds.
  int healthy_threshold = 1;
  int unhealthy_threshold = 1;
};

class TargetState;

// Runs the rounds of a paired evaluation into `state` (which keeps any history it has, as /probe
// does across scrapes): each round sends every health check (fresh connections, as a load
// balancer) and every API sample of state.config() at once. Returns what each round saw.
// Blocks for at most rounds x (longest timeout + spacing), or the budget.
std::vector<PairedRound> RunPairedRounds(TargetState& state, const PairedProbeOptions& options,
                                         probe::HttpClient& client, const Clock& clock);

// A one-shot paired evaluation from a blank state, for `healthgap check`. A one-shot run
// cannot wait for an LB's usual 2-5 consecutive results, so the LB thresholds are capped at the
// number of rounds; every sample taken counts toward the verdict.
PairedProbeResult RunPairedProbe(const config::Target& target, const PairedProbeOptions& options,
                                 probe::HttpClient& client, const Clock& clock);

}  // namespace healthgap::engine
