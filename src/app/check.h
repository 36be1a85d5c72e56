#pragma once

// `healthgap check URL`: the one-shot, human answer to "does this target's health check tell
// the truth?". Probes the health endpoint the way a load balancer does and samples the real API
// the way users do, a few rounds, then prints both views and the verdict.

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
  kCheckUsageError = 2,  // bad URL, path, duration, status pattern, or no --sample
  kCheckDown = 3,
  kCheckFalseNegative = 4,
  kCheckUnknown = 5,   // inconclusive, e.g. the health check flaps so the LB never decides
  kCheckDegraded = 6,  // health passes and the API works, but the health body reports a
                       // failing dependency
};

// A one-shot check, not a monitor: `serve` is for that.
inline constexpr int kMaxCheckRounds = 1000;

struct CheckOptions {
  std::string base_url;  // scheme://host[:port][/prefix]
  std::vector<std::string> health_paths{"/health"};
  std::vector<std::string> sample_paths;  // at least one
  int rounds = 5;
  std::chrono::milliseconds timeout{2000};  // per request, health and API alike
  std::chrono::milliseconds spacing{200};   // pause between rounds
  config::StatusMatcher health_expected{{{200, 399}}};
  config::StatusMatcher api_expected;  // 2xx
  double max_error_ratio = 0.2;
  // Sent with every request, health and API alike, as `serve` sends a target's.
  std::vector<std::pair<std::string, std::string>> headers;  // --header
  config::TargetAuth auth;                                   // --bearer-token-file, --basic-auth
  config::TlsConfig tls;  // --tls-ca, --tls-cert, --tls-key, --server-name, --insecure
  // --fail-if-body-matches, --fail-if-body-not-matches: on the API samples, as in `serve`.
  config::ResponseConditions sample_conditions;
};

// Upper bound on how long RunCheck takes: every round waits at most one timeout (all requests
// of a round run concurrently) plus the spacing.
std::chrono::milliseconds WorstCaseDuration(const CheckOptions& options);

// Why `options` cannot run, or nullopt when they can. RunCheck checks this itself, so options
// built in code get the same validation as options from the command line.
std::optional<std::string> ValidateCheckOptions(const CheckOptions& options);

// The rounds of probes and samples for valid `options` against `base_url` (normalised).
engine::PairedProbeResult RunCheckProbes(const CheckOptions& options, const std::string& base_url,
                                         probe::HttpClient& client, Clock& clock);

// Validates, runs the check with `client` and prints the report (app/check_report.h) to `out`.
// Returns a CheckExitCode. Blocks for at most about WorstCaseDuration(options), even when the
// target hangs; `clock` paces the rounds.
int RunCheck(const CheckOptions& options, probe::HttpClient& client, Clock& clock,
             std::ostream& out);

}  // namespace healthgap::app
