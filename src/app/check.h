#pragma once

// `healthgap check URL`: the one-shot, human answer to "does this target's health check tell
// the truth?". Probes the health endpoint the way a load balancer does and samples the real API
// the way users do, round after round until the evidence is clear on both sides (a sequential
// test, engine/paired_probe.h), then prints both views, the estimates and the verdict.

#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "common/clock.h"
#include "config/config.h"
#include "engine/paired_probe.h"
#include "probe/http_client.h"

namespace healthgap::app {

// Exit codes of `healthgap check`, one per verdict so scripts can branch without parsing.
enum CheckExitCode : int {
  kCheckHealthy = 0,
  kCheckMismatch = 1,    // health passes while the API fails: the case healthgap exists for
  kCheckUsageError = 2,  // bad URL, path, duration, status pattern, no --sample, bad --config
  kCheckDown = 3,
  kCheckFalseNegative = 4,
  kCheckUnknown = 5,   // inconclusive: the rounds or the time ran out before the error ratio of
                       // either side lay clearly above or below the threshold
  kCheckDegraded = 6,  // health passes and the API works, but the health body reports a
                       // failing dependency
};

// A one-shot check, not a monitor: `serve` is for that.
inline constexpr int kMaxCheckRounds = 1000;

struct CheckOptions {
  std::string base_url;  // scheme://host[:port][/prefix]
  // --health: paths (HTTP, or the --lb preset's type), tcp://HOST[:PORT] or
  // grpc://HOST[:PORT][/SERVICE] on the target's host.
  std::vector<std::string> health_paths{"/health"};
  // --health-type: every check's type instead of the preset's (tcp and grpc on the URL's port).
  std::optional<config::HealthCheckType> health_type;
  std::vector<std::string> sample_paths;  // at least one
  // --max-rounds: the sequential test stops earlier once both sides are clear.
  int rounds = 300;
  std::chrono::milliseconds max_duration{60'000};  // --max-duration: of the whole run
  double confidence = 0.99;                        // --confidence: of the intervals
  std::chrono::milliseconds spacing{100};          // pause between rounds
  // --lb: the balancer whose health-check settings (thresholds, timeout, status matcher) the LB
  // view emulates; "custom" is serve's own defaults, so check and serve agree on a target.
  std::string lb = "custom";
  // --timeout: every request's, instead of the preset's (health) and serve's 5 s (API).
  std::optional<std::chrono::milliseconds> timeout;
  std::optional<config::StatusMatcher> health_expected;  // --health-status, over the preset's
  config::StatusMatcher api_expected;                    // 2xx
  double max_error_ratio = 0.2;
  // Sent with every request, health and API alike, as `serve` sends a target's.
  std::vector<std::pair<std::string, std::string>> headers;  // --header
  config::TargetAuth auth;                                   // --bearer-token-file, --basic-auth
  config::TlsConfig tls;  // --tls-ca, --tls-cert, --tls-key, --server-name, --insecure
  // --fail-if-body-matches, --fail-if-body-not-matches: on the API samples, as in `serve`.
  config::ResponseConditions sample_conditions;
  // --config FILE --target NAME: the configured target exactly as `serve` probes it (its URL,
  // primary health check, samples, thresholds, auth, TLS and conditions) instead of the flags
  // above; only rounds, time, confidence and spacing still apply.
  std::string config_file;
  std::string target_name;
};

// A check ready to run: what each round sends and how the report describes it.
struct CheckPlan {
  config::Target target;
  // Sent every round; all must pass for the LB view to count the round as a pass.
  std::vector<config::HealthCheck> health_checks;
  int rounds = 1;  // at most
  std::chrono::milliseconds max_duration{60'000};
  double confidence = 0.99;
  std::chrono::milliseconds spacing{0};
  std::string origin;  // "target NAME of FILE" for --config, else empty
  // --config: the sources the target names (lb_source, traffic_source), read at the start and
  // at the end of the check; their word decides as in `serve`.
  std::vector<config::Source> sources;
};

// The plan for `options`, or why they cannot run (a bad flag, a config file that does not load,
// with its file:line, or no such target in it).
struct PlannedCheck {
  std::optional<CheckPlan> plan;
  std::string error;
};
PlannedCheck PlanCheck(const CheckOptions& options);

// Upper bound on how long the check takes: every round waits at most its longest request
// timeout (all requests of a round run concurrently) plus the spacing, and the whole run at
// most max_duration.
std::chrono::milliseconds WorstCaseDuration(const CheckPlan& plan);

// The rounds of probes and samples of `plan`; `record_sources`, if set, adds what the
// target's sources said before the verdict (engine::PairedProbeOptions::record_sources).
engine::PairedProbeResult RunCheckProbes(
    const CheckPlan& plan, probe::HttpClient& client, Clock& clock,
    std::function<void(engine::TargetState&, TimePoint)> record_sources = {});

// Plans, runs the check with `client` and prints the report (app/check_report.h) to `out`.
// Returns a CheckExitCode. Blocks for at most about WorstCaseDuration, even when the target
// hangs; `clock` paces the rounds.
int RunCheck(const CheckOptions& options, probe::HttpClient& client, Clock& clock,
             std::ostream& out);

}  // namespace healthgap::app
