#include "chaos/experiment.h"

#include <algorithm>
#include <array>

#include "common/enum_names.h"

namespace healthgap::chaos {
namespace {

// Starts a round every interval, as a balancer's fixed-rate checker; a round that ran longer
// than the interval is followed at once, never by a burst of catch-up rounds.
class Pacer {
 public:
  Pacer(const Clock& clock, Duration interval) : clock_(clock), interval_(interval) {}

  void WaitForNextRound() {
    const TimePoint now = clock_.Now();
    if (next_ && *next_ > now) clock_.SleepFor(*next_ - now);
    next_ = std::max(next_.value_or(now), clock_.Now() - interval_) + interval_;
  }

 private:
  const Clock& clock_;
  Duration interval_;
  std::optional<TimePoint> next_;
};

// Restores the dependency however the experiment ends.
class AppliedFault {
 public:
  AppliedFault(FaultSwitch& faults, const Fault& fault) : faults_(faults) { faults_.Apply(fault); }
  ~AppliedFault() { Lift(); }
  AppliedFault(const AppliedFault&) = delete;
  AppliedFault& operator=(const AppliedFault&) = delete;
  void Lift() {
    if (applied_) faults_.Restore();
    applied_ = false;
  }

 private:
  FaultSwitch& faults_;
  bool applied_ = true;
};

std::string Share(int events, int trials) {
  return std::to_string(events) + " of " + std::to_string(trials);
}

constexpr std::array<EnumName<ChaosVerdict>, 7> kVerdictNames{{
    {ChaosVerdict::kCovered, "covered"},
    {ChaosVerdict::kCoveredSlowly, "covered_slowly"},
    {ChaosVerdict::kNotCovered, "not_covered"},
    {ChaosVerdict::kNoImpact, "no_impact"},
    {ChaosVerdict::kInconclusive, "inconclusive"},
    {ChaosVerdict::kNoSteadyState, "no_steady_state"},
    {ChaosVerdict::kInterrupted, "interrupted"},
}};
static_assert(ListsValuesInOrder(kVerdictNames));

}  // namespace

std::string_view ToString(ChaosVerdict verdict) { return NameOf(kVerdictNames, verdict); }

bool IsFailure(ChaosVerdict verdict) {
  return verdict == ChaosVerdict::kNotCovered || verdict == ChaosVerdict::kCoveredSlowly;
}

ExperimentResult RunExperiment(std::string_view dependency, const Fault& fault, FaultSwitch& faults,
                               RoundProber& prober, const Clock& clock,
                               const ExperimentSettings& settings, const std::atomic<bool>* stop) {
  ExperimentResult result;
  result.dependency = std::string(dependency);
  result.fault = fault;
  const auto stopped = [&] { return stop && stop->load(); };
  Pacer pacer(clock, settings.interval);

  // Steady state: long enough, and the balancer routing to the backend.
  const TimePoint steady_start = clock.Now();
  RoundObservation last;
  bool health_passing = false;  // the latest check's result
  int checks = 0;
  int health_failures = 0;
  int api_requests = 0;
  int api_failures = 0;
  while (!stopped()) {
    pacer.WaitForNextRound();
    last = prober.Round();
    for (const HealthResult& check : last.health) {
      ++checks;
      health_failures += check.passed ? 0 : 1;
      health_passing = check.passed;
    }
    api_requests += last.api_requests;
    api_failures += last.api_failures;
    const Duration elapsed = clock.Now() - steady_start;
    if (elapsed >= settings.steady && last.in_rotation && health_passing) break;
    if (elapsed >= settings.steady + settings.recovery) break;
  }
  if (stopped()) {
    result.verdict = ChaosVerdict::kInterrupted;
    return result;
  }
  if (health_failures > 0) {
    result.steady_state_problem =
        "the health check failed " + Share(health_failures, checks) + " times before the fault";
  } else if (!last.in_rotation) {
    result.steady_state_problem = "the LB did not put the backend in rotation before the fault";
  } else if (api_requests == 0 ||
             static_cast<double>(api_failures) > settings.max_error_ratio * api_requests) {
    result.steady_state_problem =
        "the API failed " + Share(api_failures, api_requests) + " requests before the fault";
  }
  if (!result.steady_state_problem.empty()) {
    result.verdict = ChaosVerdict::kNoSteadyState;
    return result;
  }

  // The fault.
  AppliedFault applied(faults, fault);
  const TimePoint fault_start = clock.Now();
  bool routed = true;  // the balancer's state when the round went out
  while (!stopped() && clock.Now() - fault_start < settings.fault) {
    pacer.WaitForNextRound();
    const RoundObservation round = prober.Round();
    ++result.fault_rounds;
    for (const HealthResult& check : round.health) {
      health_passing = check.passed;
      if (check.at < fault_start) continue;  // completed before the fault: not its evidence
      ++result.health_rounds;
      if (!check.passed) {
        ++result.health_failures;
        if (!result.detected_after) result.detected_after = check.at - fault_start;
      }
      if (!check.in_rotation && !result.ejected_after) {
        result.ejected_after = check.at - fault_start;
      }
    }
    result.api_requests += round.api_requests;
    result.api_failures += round.api_failures;
    if (routed) result.api_failures_in_rotation += round.api_failures;
    routed = round.in_rotation;
  }
  applied.Lift();

  // Recovery: everything back, as in the steady state.
  const TimePoint restored = clock.Now();
  while (!stopped() && clock.Now() - restored < settings.recovery) {
    pacer.WaitForNextRound();
    const RoundObservation round = prober.Round();
    for (const HealthResult& check : round.health) health_passing = check.passed;
    if (health_passing && round.in_rotation && round.api_failures == 0) {
      result.recovered = true;
      result.recovered_after = clock.Now() - restored;
      break;
    }
  }

  result.api_failure_share = eval::WilsonInterval(result.api_failures, result.api_requests,
                                                  eval::ZForConfidence(settings.confidence));
  if (stopped()) {
    result.verdict = ChaosVerdict::kInterrupted;
  } else if (result.detected_after) {
    result.verdict = result.ejected_after && *result.ejected_after <= settings.max_ejection
                         ? ChaosVerdict::kCovered
                         : ChaosVerdict::kCoveredSlowly;
  } else {
    switch (eval::CompareToThreshold(result.api_failure_share, settings.max_error_ratio)) {
      case eval::ThresholdSide::kAbove:
        result.verdict = ChaosVerdict::kNotCovered;
        break;
      case eval::ThresholdSide::kBelow:
        result.verdict = ChaosVerdict::kNoImpact;
        break;
      case eval::ThresholdSide::kUndecided:
        result.verdict = ChaosVerdict::kInconclusive;
        break;
    }
  }
  return result;
}

}  // namespace healthgap::chaos
