#pragma once

// One chaos experiment: does the health check notice when a dependency breaks? Steady state
// first (health passes, the LB has the backend in rotation, the API works), then the fault for
// a while, then the fault lifted until everything is back. Meanwhile the health checks as the
// balancer sends them, on its cadence, the emulated balancer on their results, and a round of
// API samples every interval as users send them. The network and time are seams: a RoundProber and
// a FaultSwitch, and a Clock, so the phases and the verdict are tested without either.

#include <atomic>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chaos/fault.h"
#include "common/clock.h"
#include "eval/proportion.h"

namespace healthgap::chaos {

// One health check of the balancer's, run on its own cadence (not the users').
struct HealthResult {
  TimePoint at;  // when it completed: when the balancer learned
  bool passed = false;
  bool in_rotation = false;  // the emulated LB, after it
};

// What one round of API samples saw, and the balancer's checks that completed meanwhile.
struct RoundObservation {
  std::vector<HealthResult> health;  // since the previous round, oldest first
  bool in_rotation = false;          // the emulated LB now
  int api_requests = 0;
  int api_failures = 0;
};

class RoundProber {
 public:
  virtual ~RoundProber() = default;
  // Sends one round of API samples and waits for it; returns it with the health checks that
  // completed since the previous call.
  virtual RoundObservation Round() = 0;
};

class FaultSwitch {
 public:
  virtual ~FaultSwitch() = default;
  virtual void Apply(const Fault& fault) = 0;
  virtual void Restore() = 0;
};

struct ExperimentSettings {
  Duration interval = std::chrono::seconds(1);  // between the starts of API sample rounds
  // Steady state: at least this long, and until the LB has the backend in rotation (at most
  // `recovery` longer).
  Duration steady = std::chrono::seconds(5);
  Duration fault = std::chrono::seconds(30);     // how long the dependency stays broken
  Duration recovery = std::chrono::seconds(60);  // the most to wait for everything to be back
  // An LB ejection later than this after the fault started is "covered_slowly".
  Duration max_ejection = std::chrono::seconds(30);
  // The share of failed API requests above which the fault hurts users, and the confidence of
  // the interval that decides it (a handful of requests that could go either way is no verdict).
  double max_error_ratio = 0.2;
  double confidence = 0.99;
};

enum class ChaosVerdict {
  kCovered,        // the health check noticed and the LB took the backend out in time
  kCoveredSlowly,  // it noticed, but the LB took it out later than max_ejection, or not at all
  kNotCovered,     // the API failed while the health check kept passing: the shallow check
  kNoImpact,       // neither failed: users do not need this dependency under this fault
  kInconclusive,   // too few API requests to tell whether users were hurt
  kNoSteadyState,  // before the fault the target was not healthy: nothing to compare against
  kInterrupted,    // stopped (Ctrl-C) before the experiment ended
};
std::string_view ToString(ChaosVerdict verdict);
// Not covered, covered slowly, or a target that did not come back: what fails a chaos run.
bool IsFailure(ChaosVerdict verdict);

struct ExperimentResult {
  std::string dependency;
  Fault fault;
  ChaosVerdict verdict = ChaosVerdict::kInconclusive;
  std::string steady_state_problem;  // kNoSteadyState: what was wrong
  // During the fault.
  int fault_rounds = 0;                    // rounds of API samples
  int health_rounds = 0;                   // the balancer's checks
  int health_failures = 0;                 // of those, the failed ones
  std::optional<Duration> detected_after;  // first failed health check, from the fault's start
  std::optional<Duration> ejected_after;   // the LB took the backend out, from the fault's start
  int api_requests = 0;
  int api_failures = 0;
  eval::ProportionEstimate api_failure_share;  // at settings.confidence
  // The users' cost of the health check's blindness: requests that failed while the LB still
  // had the backend in rotation.
  int api_failures_in_rotation = 0;
  // After the fault was lifted: health passing, the LB routing to it and the API answering.
  bool recovered = false;
  std::optional<Duration> recovered_after;
};

// Runs the experiment; `stop`, when set, ends it between rounds (kInterrupted), the fault
// always restored before returning. Blocks for about steady + fault + recovery at most, plus
// one round.
ExperimentResult RunExperiment(std::string_view dependency, const Fault& fault, FaultSwitch& faults,
                               RoundProber& prober, const Clock& clock,
                               const ExperimentSettings& settings,
                               const std::atomic<bool>* stop = nullptr);

}  // namespace healthgap::chaos
