#include "app/check.h"

#include <algorithm>
#include <charconv>
#include <utility>

#include "app/check_report.h"
#include "app/source_poller.h"
#include "config/health_endpoint.h"
#include "config/lb_presets.h"
#include "config/loader.h"
#include "config/values.h"
#include "engine/paired_probe.h"

namespace healthgap::app {
namespace {

// The check as `serve` would configure it from the flags: the LB preset's health check (serve's
// own defaults for "custom"), serve's sample defaults, and what the flags override.
config::Target TargetFromFlags(const CheckOptions& options, const config::LbPreset& preset,
                               const std::string& base_url) {
  config::Target target;
  target.name = "check";
  target.base_url = base_url;
  config::HealthCheck health;
  health.path = options.health_paths.front();
  target.health = config::ApplyLbPreset(health, preset);
  if (options.timeout) target.health.timeout = *options.timeout;
  if (options.health_expected) target.health.expected_status = *options.health_expected;
  target.health.headers = options.headers;
  target.auth = options.auth;
  target.tls = options.tls;
  for (const auto& path : options.sample_paths) {
    config::ApiSample sample;
    sample.name = path;
    sample.path = path;
    sample.expected_status = options.api_expected;
    if (options.timeout) sample.timeout = *options.timeout;
    sample.headers = options.headers;
    sample.conditions = options.sample_conditions;
    target.samples.push_back(sample);
  }
  target.evaluation.max_error_ratio = options.max_error_ratio;
  return target;
}

// A --health value as a check of `base`: a path (an HTTP check, or the preset's type), or
// tcp://HOST[:PORT] or grpc://HOST[:PORT][/SERVICE] on the target's own host. Returns an error,
// or "" with `check` set.
std::string ApplyHealthFlag(const std::string& value, const config::Target& target,
                            config::HealthCheck& check) {
  const auto scheme_end = value.find("://");
  if (scheme_end == std::string::npos) {
    if (auto error = config::CheckRequestPath(value); !error.empty()) return "--health: " + error;
    if (check.type != config::HealthCheckType::kGrpc) check.path = value;
    return "";
  }
  const std::string scheme = value.substr(0, scheme_end);
  if (scheme != "tcp" && scheme != "grpc") {
    return "--health takes a path, tcp://HOST:PORT or grpc://HOST:PORT[/SERVICE], got " + value;
  }
  std::string rest = value.substr(scheme_end + 3);
  std::string service;
  if (const auto slash = rest.find('/'); slash != std::string::npos) {
    service = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  if (scheme == "tcp" && !service.empty()) return "--health tcp://HOST:PORT takes no path";
  // The check connects to the target's host (as a load balancer checks the instance it
  // routes to); only the port may differ.
  const config::HealthEndpoint own = config::EndpointOf(target, check);
  const config::Authority authority = config::SplitAuthority(rest);
  if (authority.host != own.host) {
    return "--health " + value + " must name the target's host " + own.host +
           " (a health check probes the instance it routes to)";
  }
  if (!authority.port.empty()) {
    const std::string& port = authority.port;
    int number = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (ec != std::errc() || end != port.data() + port.size() || number < 1 || number > 65535) {
      return "--health " + value + ": invalid port " + port;
    }
    check.port = number;
  }
  const bool was_grpc = check.type == config::HealthCheckType::kGrpc;
  check.type = scheme == "tcp" ? config::HealthCheckType::kTcp : config::HealthCheckType::kGrpc;
  if (check.type == config::HealthCheckType::kGrpc) {
    check.grpc.service = service;
    // A gRPC preset's method stays (aws-alb-grpc's); an HTTP check's path is no method.
    if (!was_grpc) check.path = std::string(config::GrpcCheckSettings::kHealthCheckMethod);
  }
  return "";
}

std::optional<std::string> ValidateRounds(const CheckOptions& options) {
  if (options.rounds < 1 || options.rounds > kMaxCheckRounds) {
    return "--max-rounds must be between 1 and " + std::to_string(kMaxCheckRounds);
  }
  if (options.spacing < std::chrono::milliseconds::zero()) return "--spacing must not be negative";
  if (options.max_duration <= std::chrono::milliseconds::zero()) {
    return "--max-duration must be positive";
  }
  if (!(options.confidence >= 0.5 && options.confidence <= 0.9999)) {
    return "--confidence must be between 0.5 and 0.9999";
  }
  return std::nullopt;
}

std::optional<std::string> ValidateFlags(const CheckOptions& options) {
  if (options.base_url.empty()) {
    return "a target URL (or --config FILE --target NAME) is required";
  }
  if (auto url = config::NormalizeBaseUrl(options.base_url); !url.value) return url.error;
  if (options.health_paths.empty()) return "at least one health path is required";
  if (options.sample_paths.empty()) {
    return "at least one --sample path is required: without the API there is nothing to compare";
  }
  for (const auto& path : options.sample_paths) {
    if (auto error = config::CheckRequestPath(path); !error.empty()) return error;
  }
  if (!config::FindLbPreset(options.lb)) {
    return "--lb must be one of " + config::LbPresetNames() + ", got \"" + options.lb + "\"";
  }
  if (options.timeout && *options.timeout <= std::chrono::milliseconds::zero()) {
    return "--timeout must be positive";
  }
  if (!(options.max_error_ratio >= 0 && options.max_error_ratio <= 1)) {
    return "--max-error-ratio must be between 0 and 1";
  }
  if ((options.health_expected && options.health_expected->ranges.empty()) ||
      options.api_expected.ranges.empty()) {
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

// The target named in options.config_file, loaded as `serve` loads it.
PlannedCheck PlanConfiguredCheck(const CheckOptions& options) {
  if (!options.base_url.empty()) {
    return {std::nullopt,
            "--config takes the URL from the configured target: drop " + options.base_url};
  }
  if (options.target_name.empty()) return {std::nullopt, "--config needs --target NAME"};
  const config::LoadResult loaded = config::LoadFile(options.config_file);
  if (!loaded.config) return {std::nullopt, loaded.error->Format()};
  std::string names;
  for (const config::Target& target : loaded.config->targets) {
    if (target.name == options.target_name) {
      std::vector<config::Source> sources;
      for (const config::Source& source : loaded.config->sources) {
        if ((target.lb_source && target.lb_source->source == source.name) ||
            (target.traffic_source && target.traffic_source->source == source.name)) {
          sources.push_back(source);
        }
      }
      return {CheckPlan{.target = target,
                        .health_checks = {target.health},
                        .rounds = options.rounds,
                        .max_duration = options.max_duration,
                        .confidence = options.confidence,
                        .spacing = options.spacing,
                        .origin = "target " + target.name + " of " + options.config_file,
                        .sources = std::move(sources)},
              ""};
    }
    names += (names.empty() ? "" : ", ") + target.name;
  }
  return {std::nullopt, options.config_file + " has no target \"" + options.target_name +
                            "\" (its targets: " + (names.empty() ? "none" : names) + ")"};
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

PlannedCheck PlanCheck(const CheckOptions& options) {
  if (auto error = ValidateRounds(options)) return {std::nullopt, *error};
  if (!options.config_file.empty()) return PlanConfiguredCheck(options);
  if (!options.target_name.empty()) return {std::nullopt, "--target goes with --config FILE"};
  if (auto error = ValidateFlags(options)) return {std::nullopt, *error};
  const std::string base_url = *config::NormalizeBaseUrl(options.base_url).value;
  CheckPlan plan{.target = TargetFromFlags(options, *config::FindLbPreset(options.lb), base_url),
                 .health_checks = {},
                 .rounds = options.rounds,
                 .max_duration = options.max_duration,
                 .confidence = options.confidence,
                 .spacing = options.spacing,
                 .origin = "",
                 .sources = {}};
  if (options.health_type) {
    plan.target.health.type = *options.health_type;
    if (*options.health_type == config::HealthCheckType::kGrpc) {
      plan.target.health.path = std::string(config::GrpcCheckSettings::kHealthCheckMethod);
    }
  }
  for (const auto& value : options.health_paths) {
    config::HealthCheck check = plan.target.health;
    if (auto error = ApplyHealthFlag(value, plan.target, check); !error.empty()) {
      return {std::nullopt, error};
    }
    plan.health_checks.push_back(check);
  }
  plan.target.health = plan.health_checks.front();
  return {std::move(plan), ""};
}

std::chrono::milliseconds WorstCaseDuration(const CheckPlan& plan) {
  std::chrono::milliseconds longest{0};
  for (const auto& check : plan.health_checks) longest = std::max(longest, check.timeout);
  for (const auto& sample : plan.target.samples) longest = std::max(longest, sample.timeout);
  return std::min(plan.max_duration, plan.rounds * (longest + plan.spacing));
}

engine::PairedProbeResult RunCheckProbes(
    const CheckPlan& plan, probe::HttpClient& client, Clock& clock,
    std::function<void(engine::TargetState&, TimePoint)> record_sources) {
  engine::PairedProbeOptions run_options;
  run_options.record_sources = std::move(record_sources);
  run_options.rounds = plan.rounds;
  run_options.spacing = plan.spacing;
  run_options.health_checks = plan.health_checks;
  run_options.budget = plan.max_duration;
  run_options.confidence = plan.confidence;
  return engine::RunPairedProbe(plan.target, run_options, client, clock);
}

namespace {

// The target's sources for one check: each read when the check starts and again before the
// verdict, so the balancer's word is the latest and the traffic is what users sent meanwhile.
class CheckSources {
 public:
  CheckSources(const std::vector<config::Source>& sources, const Clock& clock) {
    for (const config::Source& source : sources) {
      Entry& entry = entries_.emplace_back();
      entry.source = source;
      std::string error;
      entry.reader = MakeReader(source, &error);
      entry.started = clock.Now();
      if (entry.reader) entry.start = entry.reader->Read();
    }
  }

  void Record(engine::TargetState& state, TimePoint now) {
    const config::Target& target = state.config();
    const std::string address = config::EndpointOf(target, config::HealthCheck{}).HostPort();
    for (Entry& entry : entries_) {
      if (!entry.reader) continue;
      const sources::SourceReading end = entry.reader->Read();
      if (!end.error.empty() || !entry.start.error.empty()) continue;
      const std::string_view type = config::ToString(entry.source.type);
      const Duration fresh = now - entry.started + entry.source.interval;
      if (target.lb_source && target.lb_source->source == entry.source.name) {
        const sources::ServerReading* server =
            sources::FindServer(end, target.lb_source->backend, target.lb_source->server, address);
        if (server && server->in_rotation) {
          state.RecordRealLb(entry.source.name, type,
                             {.server = sources::DisplayName(*server),
                              .in_rotation = *server->in_rotation,
                              .state = server->state},
                             now, fresh);
        }
      }
      if (target.traffic_source && target.traffic_source->source == entry.source.name) {
        const config::TrafficSourceRef& ref = *target.traffic_source;
        const sources::ServerReading* before =
            sources::FindServer(entry.start, ref.backend, ref.server, address);
        const sources::ServerReading* after =
            sources::FindServer(end, ref.backend, ref.server, address);
        if (!after || !after->traffic) continue;
        // A log counts from the check's start: a server it first saw meanwhile starts at zero.
        const bool seen_before = before && before->traffic;
        if (!seen_before && !after->counted_from_zero) continue;  // nothing to diff against
        const bool from_zero = !seen_before;
        if (seen_before) {
          state.RecordRealTraffic(entry.source.name, type, sources::DisplayName(*after),
                                  before->traffic, false, entry.started, fresh);
        }
        state.RecordRealTraffic(entry.source.name, type, sources::DisplayName(*after),
                                after->traffic, from_zero, now, fresh);
      }
    }
  }

 private:
  struct Entry {
    config::Source source;
    std::unique_ptr<sources::SourceReader> reader;
    sources::SourceReading start;
    TimePoint started{};
  };
  std::vector<Entry> entries_;
};

}  // namespace

int RunCheck(const CheckOptions& options, probe::HttpClient& client, Clock& clock,
             std::ostream& out) {
  const PlannedCheck planned = PlanCheck(options);
  if (!planned.plan) {
    out << "healthgap check: " << planned.error << "\n";
    return kCheckUsageError;
  }
  PrintCheckHeader(*planned.plan, out);
  CheckSources sources(planned.plan->sources, clock);
  const engine::PairedProbeResult run = RunCheckProbes(
      *planned.plan, client, clock,
      [&](engine::TargetState& state, TimePoint now) { sources.Record(state, now); });
  PrintCheckReport(*planned.plan, run, out);
  return ExitCodeFor(run.snapshot.decision.verdict);
}

}  // namespace healthgap::app
