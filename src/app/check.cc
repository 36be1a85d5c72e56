#include "app/check.h"

#include <utility>

#include "app/check_report.h"
#include "config/values.h"
#include "engine/paired_probe.h"

namespace healthgap::app {
namespace {

// The check as a config target: what RunPairedProbe runs.
config::Target CheckTarget(const CheckOptions& options, const std::string& base_url) {
  config::Target target;
  target.name = "check";
  target.base_url = base_url;
  // A one-shot check cannot wait for an LB's usual 3 failures; 2 in a row decide either way.
  target.health.healthy_threshold = 2;
  target.health.unhealthy_threshold = 2;
  target.health.expected_status = options.health_expected;
  target.health.timeout = options.timeout;
  target.health.path = options.health_paths.front();
  target.health.headers = options.headers;
  target.auth = options.auth;
  target.tls = options.tls;
  for (const auto& path : options.sample_paths) {
    config::ApiSample sample;
    sample.name = path;
    sample.path = path;
    sample.expected_status = options.api_expected;
    sample.timeout = options.timeout;
    sample.headers = options.headers;
    sample.conditions = options.sample_conditions;
    target.samples.push_back(sample);
  }
  target.evaluation.max_error_ratio = options.max_error_ratio;
  return target;
}

int ExitCodeFor(eval::Verdict verdict) {
  switch (verdict) {
    case eval::Verdict::kHealthy:
      return kCheckHealthy;
    case eval::Verdict::kMismatch:
      return kCheckMismatch;
    case eval::Verdict::kDown:
      return kCheckDown;
    case eval::Verdict::kFalseNegative:
      return kCheckFalseNegative;
    case eval::Verdict::kUnknown:
      return kCheckUnknown;
    case eval::Verdict::kDegraded:
      return kCheckDegraded;
  }
  return kCheckUnknown;
}

}  // namespace

std::chrono::milliseconds WorstCaseDuration(const CheckOptions& options) {
  return options.rounds * (options.timeout + options.spacing);
}

std::optional<std::string> ValidateCheckOptions(const CheckOptions& options) {
  if (auto url = config::NormalizeBaseUrl(options.base_url); !url.value) return url.error;
  if (options.health_paths.empty()) return "at least one health path is required";
  if (options.sample_paths.empty()) {
    return "at least one --sample path is required: without the API there is nothing to compare";
  }
  for (const auto* paths : {&options.health_paths, &options.sample_paths}) {
    for (const auto& path : *paths) {
      if (auto error = config::CheckRequestPath(path); !error.empty()) return error;
    }
  }
  if (options.rounds < 1 || options.rounds > kMaxCheckRounds) {
    return "--samples must be between 1 and " + std::to_string(kMaxCheckRounds);
  }
  if (options.timeout <= std::chrono::milliseconds::zero()) return "--timeout must be positive";
  if (options.spacing < std::chrono::milliseconds::zero()) return "--spacing must not be negative";
  if (!(options.max_error_ratio >= 0 && options.max_error_ratio <= 1)) {
    return "--max-error-ratio must be between 0 and 1";
  }
  if (options.health_expected.ranges.empty() || options.api_expected.ranges.empty()) {
    return "expected status patterns must not be empty";
  }
  for (const auto& [name, value] : options.headers) {
    if (auto error = config::CheckHeader(name, value); !error.empty()) return "--header: " + error;
  }
  if (options.tls.cert_file.empty() != options.tls.key_file.empty()) {
    return "--tls-cert and --tls-key go together";
  }
  return std::nullopt;
}

engine::PairedProbeResult RunCheckProbes(const CheckOptions& options, const std::string& base_url,
                                         probe::HttpClient& client, Clock& clock) {
  const config::Target target = CheckTarget(options, base_url);
  engine::PairedProbeOptions run_options;
  run_options.rounds = options.rounds;
  run_options.spacing = options.spacing;
  for (const auto& path : options.health_paths) {
    config::HealthCheck check = target.health;
    check.path = path;
    run_options.health_checks.push_back(check);
  }
  return engine::RunPairedProbe(target, run_options, client, clock);
}

int RunCheck(const CheckOptions& options, probe::HttpClient& client, Clock& clock,
             std::ostream& out) {
  if (auto error = ValidateCheckOptions(options)) {
    out << "healthgap check: " << *error << "\n";
    return kCheckUsageError;
  }
  const std::string base_url = *config::NormalizeBaseUrl(options.base_url).value;
  PrintCheckHeader(options, base_url, out);
  const engine::PairedProbeResult run = RunCheckProbes(options, base_url, client, clock);
  PrintCheckReport(options, run, out);
  return ExitCodeFor(run.snapshot.decision.verdict);
}

}  // namespace healthgap::app
