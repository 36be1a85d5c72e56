#include "app/chaos.h"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "app/signals.h"
#include "app/text_table.h"
#include "chaos/experiment.h"
#include "chaos/fault_proxy.h"
#include "common/duration_text.h"
#include "config/values.h"
#include "engine/paired_probe.h"
#include "engine/target_state.h"
#include "probe/curl_multi_client.h"
#include "probe/grpc_health_client.h"

namespace healthgap::app {
namespace {

// The balancer and the users, as `check` probes them: the health checks on the balancer's own
// cadence in a thread of their own (an API that hangs during a fault must not slow them down,
// as it does not slow a real balancer), into a state that lives for the whole run as the
// balancer's does; the API samples on the caller's rounds.
class BalancerAndUsersProber final : public chaos::RoundProber {
 public:
  BalancerAndUsersProber(const CheckPlan& plan, Duration health_interval, probe::HttpClient& client,
                         const Clock& clock)
      : balancer_(plan.target),
        users_(plan.target),
        health_interval_(health_interval),
        fixed_rate_(plan.health_checks.front().schedule == CheckSchedule::kFixedRate),
        client_(client),
        clock_(clock) {
    checks_.rounds = samples_.rounds = 1;
    checks_.health_checks = samples_.health_checks = plan.health_checks;
    checks_.first_round = {.health = true, .samples = false};
    samples_.first_round = {.health = false, .samples = true};
    thread_ = std::thread([this] { CheckLoop(); });
  }

  ~BalancerAndUsersProber() override {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();  // after at most the check in flight: its timeout
  }

  chaos::RoundObservation Round() override {
    const std::vector<engine::PairedRound> rounds =
        engine::RunPairedRounds(users_, samples_, client_, clock_);
    chaos::RoundObservation observation;
    for (const engine::PairedRound& round : rounds) {
      observation.api_requests += static_cast<int>(round.sample_outcomes.size());
      observation.api_failures +=
          static_cast<int>(std::count_if(round.sample_outcomes.begin(), round.sample_outcomes.end(),
                                         [](const eval::Outcome& o) { return !o.success; }));
    }
    std::lock_guard lock(mu_);
    observation.health.swap(completed_);
    observation.in_rotation = in_rotation_;
    return observation;
  }

 private:
  void CheckLoop() {
    TimePoint next = clock_.Now();
    while (true) {
      {
        std::unique_lock lock(mu_);
        wake_.wait_for(lock, next - clock_.Now(), [&] { return stop_; });
        if (stop_) return;
      }
      const TimePoint started = clock_.Now();
      const std::vector<engine::PairedRound> rounds =
          engine::RunPairedRounds(balancer_, checks_, client_, clock_);
      chaos::HealthResult check{.at = clock_.Now()};
      if (!rounds.empty()) {
        const engine::PairedRound& round = rounds.back();
        check.passed = !round.health_outcomes.empty() &&
                       std::all_of(round.health_outcomes.begin(), round.health_outcomes.end(),
                                   [](const eval::Outcome& o) { return o.success; });
        check.in_rotation = round.lb_after == eval::LbState::kHealthy;
      }
      {
        std::lock_guard lock(mu_);
        completed_.push_back(check);
        in_rotation_ = check.in_rotation;
      }
      // The balancer's own scheduling rule (common/lb_model.h).
      next = (fixed_rate_ ? started : check.at) + health_interval_;
    }
  }

  engine::TargetState balancer_;  // the check thread's
  engine::TargetState users_;     // the caller's
  Duration health_interval_;
  bool fixed_rate_;
  probe::HttpClient& client_;
  const Clock& clock_;
  engine::PairedProbeOptions checks_;
  engine::PairedProbeOptions samples_;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::vector<chaos::HealthResult> completed_;
  bool in_rotation_ = false;
  std::thread thread_;  // last: started once everything above exists
};

class ProxySwitch final : public chaos::FaultSwitch {
 public:
  explicit ProxySwitch(chaos::FaultProxy& proxy) : proxy_(proxy) {}
  void Apply(const chaos::Fault& fault) override { proxy_.SetFault(fault); }
  void Restore() override { proxy_.SetFault({}); }

 private:
  chaos::FaultProxy& proxy_;
};

std::string Seconds(std::optional<Duration> duration) {
  return duration ? HumanDuration(*duration) : "-";
}

nlohmann::json SecondsJson(std::optional<Duration> duration) {
  return duration ? nlohmann::json(ToSeconds(*duration)) : nlohmann::json(nullptr);
}

std::string Percent(double ratio) {
  char text[16];
  std::snprintf(text, sizeof text, "%.0f%%", ratio * 100);
  return text;
}

// What the verdict means for this dependency, in one sentence a human acts on.
std::string Explanation(const chaos::ExperimentResult& r, const chaos::ExperimentSettings& s) {
  const std::string api = std::to_string(r.api_failures) + " of " + std::to_string(r.api_requests) +
                          " API requests failed (" + Percent(r.api_failure_share.ratio) + ", " +
                          Percent(s.confidence) + " interval " + Percent(r.api_failure_share.low) +
                          "-" + Percent(r.api_failure_share.high) + ")";
  const std::string health = std::to_string(r.health_failures) + " of " +
                             std::to_string(r.health_rounds) + " health checks failed";
  switch (r.verdict) {
    case chaos::ChaosVerdict::kCovered:
      return "the health check noticed after " + Seconds(r.detected_after) +
             " and the LB took the backend out after " + Seconds(r.ejected_after) + "; " + api +
             ", " + std::to_string(r.api_failures_in_rotation) + " of them while still in rotation";
    case chaos::ChaosVerdict::kCoveredSlowly:
      return "the health check noticed after " + Seconds(r.detected_after) + " but the LB " +
             (r.ejected_after ? "took the backend out only after " + Seconds(r.ejected_after)
                              : std::string("never took the backend out")) +
             " (bound " + HumanDuration(s.max_ejection) + "); " + api +
             ": tighten the interval or the unhealthy threshold";
    case chaos::ChaosVerdict::kNotCovered:
      return "the health check kept passing (" + health + ") while " + api +
             ": make the readiness check verify " + r.dependency + " (docs/chaos.md)";
    case chaos::ChaosVerdict::kNoImpact:
      return health + " and " + api + ": users do not need " + r.dependency + " under this fault";
    case chaos::ChaosVerdict::kInconclusive:
      return health + "; " + api + ": too few requests to tell, run the fault longer";
    case chaos::ChaosVerdict::kNoSteadyState:
      return "not run: " + r.steady_state_problem;
    case chaos::ChaosVerdict::kInterrupted:
      return "interrupted; the fault was lifted";
  }
  return "";
}

nlohmann::json ToJson(const chaos::ExperimentResult& r, const chaos::ExperimentSettings& s) {
  return {{"dependency", r.dependency},
          {"fault", chaos::ToString(r.fault)},
          {"verdict", chaos::ToString(r.verdict)},
          {"explanation", Explanation(r, s)},
          {"steady_state_problem", r.steady_state_problem},
          {"fault_rounds", r.fault_rounds},
          {"health_rounds", r.health_rounds},
          {"health_failures", r.health_failures},
          {"detected_after_seconds", SecondsJson(r.detected_after)},
          {"ejected_after_seconds", SecondsJson(r.ejected_after)},
          {"api_requests", r.api_requests},
          {"api_failures", r.api_failures},
          {"api_failure_ratio", r.api_failure_share.ratio},
          {"api_failure_interval", {r.api_failure_share.low, r.api_failure_share.high}},
          {"api_failures_in_rotation", r.api_failures_in_rotation},
          {"recovered", r.recovered},
          {"recovered_after_seconds", SecondsJson(r.recovered_after)}};
}

std::string RecoveredText(const chaos::ExperimentResult& r) {
  if (r.recovered) return "after " + Seconds(r.recovered_after);
  const bool ended = r.verdict != chaos::ChaosVerdict::kNoSteadyState &&
                     r.verdict != chaos::ChaosVerdict::kInterrupted;
  return ended ? "no" : "-";
}

void PrintReport(const CheckPlan& plan, const std::vector<chaos::ExperimentResult>& results,
                 const chaos::ExperimentSettings& settings, Duration health_interval,
                 std::ostream& out) {
  const config::HealthCheck& check = plan.health_checks.front();
  out << "healthgap chaos: " << plan.target.base_url << ", LB " << check.lb << " (a check every "
      << HumanDuration(health_interval) << ", out after " << check.unhealthy_threshold
      << " failures, back after " << check.healthy_threshold << " passes), API sampled every "
      << HumanDuration(settings.interval) << "\n\n";
  std::vector<std::vector<std::string>> table{{"DEPENDENCY", "FAULT", "VERDICT", "HEALTH FAILED",
                                               "NOTICED", "LB OUT", "API FAILED", "IN ROTATION",
                                               "RECOVERED"}};
  for (const chaos::ExperimentResult& r : results) {
    const bool ran = r.verdict != chaos::ChaosVerdict::kNoSteadyState;
    table.push_back(
        {r.dependency, chaos::ToString(r.fault), std::string(chaos::ToString(r.verdict)),
         ran ? std::to_string(r.health_failures) + "/" + std::to_string(r.health_rounds) : "-",
         Seconds(r.detected_after), Seconds(r.ejected_after),
         ran ? std::to_string(r.api_failures) + "/" + std::to_string(r.api_requests) : "-",
         ran ? std::to_string(r.api_failures_in_rotation) : "-", RecoveredText(r)});
  }
  PrintTable(table, out);
  out << "\n";
  for (const chaos::ExperimentResult& r : results) {
    out << r.dependency << " (" << chaos::ToString(r.fault) << "): " << Explanation(r, settings)
        << (r.recovered || r.verdict == chaos::ChaosVerdict::kNoSteadyState ||
                    r.verdict == chaos::ChaosVerdict::kInterrupted
                ? ""
                : "; it did not recover within " + HumanDuration(settings.recovery))
        << "\n";
  }
}

struct Prepared {
  std::optional<CheckPlan> plan;
  std::vector<chaos::DependencyRoute> routes;
  std::vector<chaos::Fault> faults;
  std::string error;
};

Prepared Failed(std::string error) {
  Prepared prepared;
  prepared.error = std::move(error);
  return prepared;
}

Prepared Prepare(const ChaosOptions& options) {
  Prepared prepared;
  PlannedCheck planned = PlanCheck(options.target);
  if (!planned.plan) return Failed(planned.error);
  prepared.plan = std::move(planned.plan);
  if (options.dependencies.empty()) return Failed("name at least one --dependency");
  std::set<std::string> names;
  for (const std::string& text : options.dependencies) {
    std::string error;
    std::optional<chaos::DependencyRoute> route = chaos::ParseDependency(text, &error);
    if (!route) return Failed(error);
    if (!names.insert(route->name).second) {
      return Failed("--dependency " + route->name + " is named twice");
    }
    prepared.routes.push_back(*route);
  }
  for (const std::string& text : options.faults) {
    std::string error;
    std::optional<chaos::Fault> fault = chaos::ParseFault(text, &error);
    if (!fault) return Failed("--fault: " + error);
    if (fault->kind == chaos::FaultKind::kNone) return Failed("--fault none breaks nothing");
    prepared.faults.push_back(*fault);
  }
  const auto positive = [](std::chrono::milliseconds d) { return d.count() > 0; };
  if (!positive(options.sample_interval) || !positive(options.steady) ||
      !positive(options.fault_duration) || !positive(options.recovery) ||
      !positive(options.max_ejection) || (options.interval && !positive(*options.interval))) {
    return Failed("durations must be positive");
  }
  return prepared;
}

}  // namespace

int RunChaos(const ChaosOptions& options, probe::HttpClient& client, Clock& clock,
             std::ostream& out, std::ostream& err, const std::atomic<bool>* stop) {
  const Prepared prepared = Prepare(options);
  if (!prepared.error.empty()) {
    err << "healthgap chaos: " << prepared.error << "\n";
    return kChaosUsageError;
  }
  const CheckPlan& plan = *prepared.plan;
  std::vector<std::unique_ptr<chaos::FaultProxy>> proxies;
  for (const chaos::DependencyRoute& route : prepared.routes) {
    std::string error;
    proxies.push_back(chaos::FaultProxy::Start({.listen = route.listen,
                                                .upstream_host = route.upstream_host,
                                                .upstream_port = route.upstream_port,
                                                .allow_non_loopback = options.allow_non_loopback},
                                               &error));
    if (!proxies.back()) {
      err << "healthgap chaos: --dependency " << route.name << ": " << error << "\n";
      return kChaosUsageError;
    }
  }
  const Duration health_interval = options.interval.value_or(plan.health_checks.front().interval);
  chaos::ExperimentSettings settings;
  settings.interval = options.sample_interval;
  settings.steady = options.steady;
  settings.fault = options.fault_duration;
  // Long enough for the balancer to take the backend back: its healthy threshold of checks.
  const config::HealthCheck& check = plan.health_checks.front();
  settings.recovery = std::max<Duration>(
      options.recovery, (check.healthy_threshold + 1) * health_interval + check.timeout);
  settings.max_ejection = options.max_ejection;
  settings.max_error_ratio = plan.target.evaluation.max_error_ratio;
  settings.confidence = options.confidence;
  BalancerAndUsersProber prober(plan, health_interval, client, clock);

  std::vector<chaos::ExperimentResult> results;
  for (std::size_t i = 0; i < prepared.routes.size(); ++i) {
    for (const chaos::Fault& fault : prepared.faults) {
      if (stop && stop->load()) break;
      const std::string& name = prepared.routes[i].name;
      err << "chaos: " << name << " " << chaos::ToString(fault) << ": steady state, then "
          << HumanDuration(settings.fault) << " broken\n";
      ProxySwitch faults(*proxies[i]);
      results.push_back(chaos::RunExperiment(name, fault, faults, prober, clock, settings, stop));
      err << "chaos: " << name << " " << chaos::ToString(fault) << ": "
          << chaos::ToString(results.back().verdict) << "\n";
    }
  }

  if (options.format == "json") {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& r : results) list.push_back(ToJson(r, settings));
    out << nlohmann::json{{"target", plan.target.base_url},
                          {"lb", check.lb},
                          {"health_interval_seconds", ToSeconds(health_interval)},
                          {"unhealthy_threshold", check.unhealthy_threshold},
                          {"healthy_threshold", check.healthy_threshold},
                          {"sample_interval_seconds", ToSeconds(settings.interval)},
                          {"max_ejection_seconds", ToSeconds(settings.max_ejection)},
                          {"confidence", settings.confidence},
                          {"experiments", list}}
               .dump(2)
        << "\n";
  } else {
    PrintReport(plan, results, settings, health_interval, out);
  }
  const auto any = [&](auto predicate) {
    return std::any_of(results.begin(), results.end(), predicate);
  };
  if (any([](const auto& r) { return r.verdict == chaos::ChaosVerdict::kInterrupted; })) {
    return kChaosInterrupted;
  }
  if (any([](const auto& r) {
        return chaos::IsFailure(r.verdict) ||
               (!r.recovered && r.verdict != chaos::ChaosVerdict::kNoSteadyState);
      })) {
    return kChaosFailed;
  }
  if (any([](const auto& r) {
        return r.verdict == chaos::ChaosVerdict::kInconclusive ||
               r.verdict == chaos::ChaosVerdict::kNoSteadyState;
      })) {
    return kChaosInconclusive;
  }
  return kChaosPassed;
}

int RunChaosCommand(const ChaosOptions& options, std::ostream& out, std::ostream& err) {
  // Before any thread starts, so that Ctrl-C reaches the watcher below, which ends the run
  // between rounds: every fault is lifted before the proxies close.
  BlockTerminationSignals();
  std::atomic<bool> stop{false};
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!done.load()) {
      if (WaitForSignal(std::chrono::milliseconds(200)) != 0) stop = true;
    }
  });
  RealClock clock;
  int code = kChaosUsageError;
  {
    probe::CurlMultiClient http(clock);
    probe::GrpcHealthClient grpc(clock);
    probe::ProtocolRouter client(http, grpc);
    code = RunChaos(options, client, clock, out, err, &stop);
  }
  done = true;
  watcher.join();
  return code;
}

}  // namespace healthgap::app
