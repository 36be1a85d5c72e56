#include "engine/target_state.h"

#include <algorithm>
#include <utility>

#include "config/health_endpoint.h"
#include "engine/response_view.h"
#include "eval/verdict.h"

namespace healthgap::engine {

namespace {

void CountFailure(std::array<std::uint64_t, kFailureReasonCount>& counters,
                  const eval::Outcome& outcome) {
  if (outcome.reason) ++counters[static_cast<std::size_t>(*outcome.reason)];
}

std::string_view Header(const probe::HttpResult& result, std::string_view name) {
  for (const auto& [key, value] : result.headers) {
    if (key == name) return value;
  }
  return {};
}

eval::CacheDetectorOptions CacheOptions(const config::HealthCheck& check) {
  eval::CacheDetectorOptions options;
  options.probe_interval = check.interval;
  return options;
}

// History carries over a reload only if every check keeps its role and LB thresholds.
bool SameLbSemantics(const config::HealthCheck& a, const config::HealthCheck& b) {
  return a.role == b.role && a.healthy_threshold == b.healthy_threshold &&
         a.unhealthy_threshold == b.unhealthy_threshold && a.lb_start == b.lb_start;
}

// The health check `index` of `target`, as Job::Health numbers them; nullptr if none.
const config::HealthCheck* HealthCheckOf(const config::Target& target, std::size_t index) {
  if (index == 0) return &target.health;
  return index <= target.other_health_checks.size() ? &target.other_health_checks[index - 1]
                                                    : nullptr;
}

}  // namespace

JudgedResult Judge(Job job, probe::HttpResult result, eval::Outcome outcome, TimePoint now,
                   std::chrono::system_clock::time_point at) {
  JudgedResult judged{.job = job,
                      .result = std::move(result),
                      .outcome = outcome,
                      .body = {},
                      .cache_facts = std::nullopt,
                      .now = now,
                      .at = at};
  // A response without a body says nothing about components or caches, and neither does a TCP
  // reply or a gRPC call (no HTTP status: 0).
  if (job.kind == Job::Kind::kHealth && judged.result.error == std::nullopt &&
      judged.result.status_code != 0) {
    judged.body = eval::ParseHealthBody(judged.result.body, Header(judged.result, "content-type"));
    judged.cache_facts = eval::FactsFrom(ResponseOf(judged.result), now);
  }
  return judged;
}

JudgedResult Judge(const config::Target& target, Job job, probe::HttpResult result, TimePoint now,
                   std::chrono::system_clock::time_point at) {
  eval::Outcome outcome;
  if (job.kind == Job::Kind::kHealth) {
    if (const config::HealthCheck* check = HealthCheckOf(target, job.index)) {
      outcome = ClassifyHealth(result, *check);
    }
  } else if (job.index < target.samples.size()) {
    const config::ApiSample& sample = target.samples[job.index];
    outcome = eval::Classify(ResponseOf(result), sample.expected_status, sample.latency_budget,
                             sample.conditions);
  }
  return Judge(job, std::move(result), outcome, now, at);
}

namespace {

// What any connection can fail with; every TLS or DNS failure is possible wherever a redirect,
// a proxy or the target's own URL can bring a handshake or a host name in.
FailureReasonSet TransportFailures() {
  FailureReasonSet reasons;
  for (FailureReason reason :
       {FailureReason::kTimeout, FailureReason::kConnectionRefused, FailureReason::kConnectionReset,
        FailureReason::kDns, FailureReason::kTls, FailureReason::kOther}) {
    Add(reasons, reason);
  }
  return reasons;
}

// An HTTP exchange judged by eval::Classify.
FailureReasonSet HttpFailures(const config::HttpSettings& http,
                              const ResponseConditions& conditions,
                              std::optional<config::Millis> latency_budget) {
  FailureReasonSet reasons = TransportFailures();
  Add(reasons, FailureReason::kTooLarge);
  Add(reasons, FailureReason::kBadResponse);
  Add(reasons, FailureReason::kStatus);
  if (http.follow_redirects) Add(reasons, FailureReason::kRedirectLoop);
  if (!conditions.fail_if_header_matches.empty() ||
      !conditions.fail_if_header_not_matches.empty()) {
    Add(reasons, FailureReason::kHeaderMismatch);
  }
  if (conditions.NeedsBody()) Add(reasons, FailureReason::kBodyMismatch);
  if (latency_budget) Add(reasons, FailureReason::kSlow);
  return reasons;
}

}  // namespace

FailureReasonSet PossibleFailures(const config::HealthCheck& check) {
  switch (check.type) {
    case config::HealthCheckType::kTcp: {
      FailureReasonSet reasons = TransportFailures();
      if (check.tcp.expect) Add(reasons, FailureReason::kBodyMismatch);
      return reasons;
    }
    case config::HealthCheckType::kGrpc: {
      FailureReasonSet reasons = TransportFailures();
      for (FailureReason reason :
           {FailureReason::kBadResponse, FailureReason::kGrpcNotServing,
            FailureReason::kGrpcServiceUnknown, FailureReason::kGrpcUnimplemented,
            FailureReason::kGrpcUnavailable, FailureReason::kGrpcStatus}) {
        Add(reasons, reason);
      }
      return reasons;
    }
    case config::HealthCheckType::kHttp:
      break;
  }
  return HttpFailures(check.http, check.conditions, std::nullopt);
}

FailureReasonSet PossibleFailures(const config::ApiSample& sample) {
  return HttpFailures(sample.http, sample.conditions, sample.latency_budget);
}

TargetState::Check::Check(const config::HealthCheck& check)
    : config(&check),
      lb(check.healthy_threshold, check.unhealthy_threshold, check.lb_start),
      cache(CacheOptions(check)) {}

TargetState::TargetState(const config::Target& target)
    : config_(std::make_shared<const config::Target>(target)),
      window_(target.evaluation.window),
      detector_(target.evaluation.window,
                eval::DetectorSettings{.max_error_ratio = target.evaluation.max_error_ratio,
                                       .min_samples = target.evaluation.min_samples}) {
  checks_.emplace_back(config_->health);
  for (const auto& check : config_->other_health_checks) checks_.emplace_back(check);
  shown_checks_.resize(checks_.size());
  for (std::size_t i = 0; i < checks_.size(); ++i) ShowConfig(i);
  for (const auto& sample : target.samples) {
    SampleSnapshot& shown = samples_.emplace_back();
    shown.name = sample.name;
    shown.possible_failures = PossibleFailures(sample);
  }
  job_running_.assign(checks_.size() + samples_.size(), 0);
}

std::optional<std::size_t> TargetState::JobSlot(Job job) const {
  const std::size_t count = job.kind == Job::Kind::kHealth ? checks_.size() : samples_.size();
  if (job.index >= count) return std::nullopt;
  return job.kind == Job::Kind::kHealth ? job.index : checks_.size() + job.index;
}

bool TargetState::TryStartJob(Job job) {
  const std::optional<std::size_t> slot = JobSlot(job);
  if (!slot || job_running_[*slot]) return false;
  job_running_[*slot] = 1;
  return true;
}

void TargetState::FinishJob(Job job) {
  if (const std::optional<std::size_t> slot = JobSlot(job)) job_running_[*slot] = 0;
}

const config::HealthCheck& TargetState::health_check(std::size_t check) const {
  return *checks_[check].config;
}

Duration TargetState::NextCheckDelay(std::size_t check) const {
  const Check& state = checks_.at(check);
  const config::HealthCheck& config = *state.config;
  switch (state.lb.phase()) {
    case eval::LbPhase::kFullyUp:
      return config.interval;
    case eval::LbPhase::kFullyDown:
      return config.down_interval.value_or(config.interval);
    case eval::LbPhase::kTransitional:
      break;
  }
  return config.fast_interval.value_or(config.interval);
}

void TargetState::RecordRealLb(const std::string& source, std::string_view type,
                               const RealLbReport& report, TimePoint at, Duration stale_after) {
  real_lb_ = RealLb{source, type, report, at, stale_after};
}

void TargetState::RecordRealTraffic(const std::string& source, std::string_view type,
                                    const std::string& server,
                                    std::optional<sources::TrafficCounters> counters,
                                    bool counted_from_zero, TimePoint at, Duration stale_after) {
  if (!real_traffic_ || real_traffic_->source != source) {
    real_traffic_.emplace(
        config_->evaluation.window,
        eval::TrafficSettings{
            .max_error_ratio = config_->evaluation.max_error_ratio,
            .min_request_rate =
                config_->traffic_source ? config_->traffic_source->min_request_rate : 0,
        });
    real_traffic_->source = source;
  }
  RealTraffic& traffic = *real_traffic_;
  traffic.type = type;
  traffic.stale_after = stale_after;
  if (!counters || server != traffic.server || !traffic.last) {
    // Another server (or none), or none before: no counters of this one's to diff against.
    traffic.server = counters ? server : std::string();
    traffic.last = counted_from_zero ? std::optional(sources::TrafficCounters{}) : counters;
    if (!counters) return;
    if (!counted_from_zero) {
      // The baseline: nothing counted yet, but the span the view's rate is over starts here.
      traffic.at = at;
      traffic.view.Add(at, 0, 0);
      return;
    }
  }
  // `last` is now the same server's previous reading, or zero for a count from zero.
  traffic.at = at;
  sources::TrafficCounters delta = *counters;
  if (counters->requests >= traffic.last->requests &&
      counters->failures >= traffic.last->failures) {
    delta.requests -= traffic.last->requests;
    delta.failures -= traffic.last->failures;
  }  // else the source restarted: all it counted since is new
  traffic.last = counters;
  traffic.requests_total += delta.requests;
  traffic.failures_total += delta.failures;
  traffic.view.Add(at, delta.requests, delta.failures);
}

Duration TargetState::NextSampleDelay(std::size_t sample) const {
  const Duration interval = config_->samples.at(sample).interval;
  return detector_.unsettled() ? interval / kConfirmationSpeedup : interval;
}

bool TargetState::Adopt(const config::Target& target) {
  if (target.other_health_checks.size() + 1 != checks_.size() ||
      !SameLbSemantics(target.health, config_->health) ||
      target.evaluation != config_->evaluation ||
      target.samples.size() != config_->samples.size()) {
    return false;
  }
  for (std::size_t i = 0; i < target.other_health_checks.size(); ++i) {
    if (!SameLbSemantics(target.other_health_checks[i], config_->other_health_checks[i])) {
      return false;
    }
  }
  for (std::size_t i = 0; i < target.samples.size(); ++i) {
    if (target.samples[i].name != config_->samples[i].name) return false;
  }
  if (target.lb_source != config_->lb_source) real_lb_.reset();
  if (target.traffic_source != config_->traffic_source) real_traffic_.reset();
  config_ = std::make_shared<const config::Target>(target);
  checks_[0].config = &config_->health;
  for (std::size_t i = 0; i < config_->other_health_checks.size(); ++i) {
    checks_[i + 1].config = &config_->other_health_checks[i];
  }
  for (std::size_t i = 0; i < checks_.size(); ++i) ShowConfig(i);
  for (std::size_t i = 0; i < samples_.size(); ++i) {
    samples_[i].possible_failures = PossibleFailures(config_->samples[i]);
  }
  return true;
}

bool TargetState::Record(const JudgedResult& judged) {
  if (!JobSlot(judged.job)) return false;
  const probe::HttpResult& result = judged.result;
  const eval::Outcome& outcome = judged.outcome;
  if (judged.job.kind == Job::Kind::kSample) {
    SampleSnapshot& counters = samples_[judged.job.index];
    ++counters.requests_total;
    CountFailure(counters.failures_total, outcome);
    counters.latency.Observe(ToSeconds(result.total));
    if (result.tls) counters.tls = result.tls;
    window_.Add(eval::SampleRecord{judged.now, outcome, result.total});
    detector_.Record(judged.now, outcome.success);
    Remember(judged);
    return false;
  }
  Check& check = checks_[judged.job.index];
  HealthCheckSnapshot& shown = shown_checks_[judged.job.index];
  check.lb.Record(outcome.success);
  shown.lb_state = check.lb.state();
  ++shown.probes_total;
  CountFailure(shown.failures_total, outcome);
  shown.latency.Observe(ToSeconds(result.total));
  const std::string detail = result.error ? result.error_message : std::string();
  const bool new_failure =
      result.error && (shown.last.error != result.error || shown.last.error_detail != detail);
  shown.last = HealthProbeSnapshot{
      .has_result = true,
      .success = outcome.success,
      .status_code = result.status_code,
      // Without an HTTP status to show (a gRPC call judged by its code), the judgement's reason
      // says what failed.
      .error = result.error || result.status_code != 0 || outcome.success ? result.error
                                                                          : outcome.reason,
      .error_detail = detail,
      .phases = result.phases,
      .duration = result.total,
      .at = judged.at,
      .tls = result.tls,
      .http_version = result.http_version,
      .ip_protocol = result.ip_protocol,
  };
  if (outcome.success) check.fast_latencies.Add(result.total);
  check.body = judged.body;  // no stale components after a failed probe either
  shown.body_format = check.body.format;
  shown.body_error = check.body.error;
  shown.components.clear();
  shown.components_dropped = 0;
  for (const eval::ComponentReport& component : check.body.components) {
    if (shown.components.size() == kMaxComponents) {
      ++shown.components_dropped;
      continue;
    }
    shown.components.push_back({component.name, component.status, component.detail});
  }
  if (judged.cache_facts) shown.cache = check.cache.Observe(*judged.cache_facts);
  Remember(judged);
  return new_failure;
}

void TargetState::Remember(const JudgedResult& judged) {
  if (recent_.size() == kRecentProbes) recent_.pop_front();
  const bool transport_failed = judged.result.error && !judged.result.error_message.empty();
  recent_.push_back(Recent{
      .at = judged.at,
      .duration = judged.result.total,
      .error_detail = transport_failed
                          ? std::make_shared<const std::string>(judged.result.error_message)
                          : nullptr,
      .job_index = static_cast<std::uint32_t>(judged.job.index),
      .job_kind = judged.job.kind,
      .success = judged.outcome.success,
      .error = judged.result.error,
      .reason = judged.outcome.reason,
      .status_code = judged.result.status_code,
  });
}

RecentProbe TargetState::Shown(const Recent& recent) const {
  std::string what;
  if (recent.job_kind == Job::Kind::kSample) {
    what = config_->samples[recent.job_index].name;
  } else if (recent.job_index == 0) {
    what = "health";
  } else {
    what = "health/" + std::string(ToString(checks_[recent.job_index].config->role));
  }
  return RecentProbe{
      .at = recent.at,
      .what = std::move(what),
      .success = recent.success,
      .status_code = recent.status_code,
      .error = recent.error,
      .reason = recent.reason,
      .duration = recent.duration,
      .error_detail = recent.error_detail ? *recent.error_detail : std::string(),
  };
}

void TargetState::ShowConfig(std::size_t check) {
  const config::HealthCheck& config = *checks_[check].config;
  HealthCheckSnapshot& shown = shown_checks_[check];
  shown.role = config.role;
  shown.type = config.type;
  shown.path = config.path;
  shown.url = config::DisplayUrl(*config_, config);
  shown.lb = config.lb;
  shown.primary = check == 0;
  shown.lb_state = checks_[check].lb.state();
  shown.possible_failures = PossibleFailures(config);
}

eval::Evidence TargetState::EvidenceFor(const eval::WindowSummary& api) const {
  const Check& primary = checks_.front();
  const HealthCheckSnapshot& shown = shown_checks_.front();
  eval::Evidence evidence;
  evidence.role = primary.config->role;
  evidence.path = primary.config->path;
  evidence.has_other_roles = checks_.size() > 1;
  // The body contradicts the status only when the status passed.
  if (shown.last.success) {
    for (const eval::ComponentReport& component : primary.body.components) {
      if (component.status != eval::ComponentStatus::kFail) continue;
      evidence.failing_components.push_back(component.detail.empty()
                                                ? component.name
                                                : component.name + " (" + component.detail + ")");
    }
    if (evidence.failing_components.empty() &&
        primary.body.overall == eval::ComponentStatus::kFail) {
      evidence.failing_components.emplace_back("overall status");
    }
  }
  evidence.cached = shown.cache.cached;
  evidence.cache_evidence = shown.cache.evidence;

  eval::DetachmentInput input;
  input.health_samples = primary.fast_latencies.size();
  input.health_p50 = primary.fast_latencies.P50();
  input.health_status = shown.last.status_code;
  input.api_total = api.total;
  input.api_timeouts = api.failures_by_reason[static_cast<std::size_t>(FailureReason::kTimeout)];
  input.api_p50 = api.latency_p50;
  input.api_p99 = api.latency_p99;
  for (const auto& sample : config_->samples) {
    input.api_timeout = std::max<Duration>(input.api_timeout, sample.timeout);
  }
  evidence.detachment = eval::ComputeDetachment(input);
  return evidence;
}

TargetSnapshot TargetState::Snapshot(TimePoint now, SnapshotScope scope,
                                     std::optional<DecidedSides> sides) {
  TargetSnapshot out;
  static_cast<TargetSummary&>(out) = Summarize(now, scope, sides);
  out.checks = shown_checks_;
  out.samples = samples_;
  if (scope == SnapshotScope::kFull) {
    out.recent.reserve(recent_.size());
    for (const Recent& recent : recent_) out.recent.push_back(Shown(recent));
  }
  return out;
}

TargetSummary TargetState::Summarize(TimePoint now, SnapshotScope scope,
                                     std::optional<DecidedSides> sides) {
  TargetSummary out;
  out.name = config_->name;
  out.base_url = config_->base_url;
  out.labels = config_->labels;
  const HealthCheckSnapshot& primary = shown_checks_.front();
  out.lb = eval::HealthSummary{
      .state = primary.lb_state,
      .last_status = primary.last.status_code,
      .last_latency = primary.last.duration,
      .last_error = primary.last.error,
      .has_result = primary.last.has_result,
      .pass_without_status = primary.type == config::HealthCheckType::kTcp    ? "connected"
                             : primary.type == config::HealthCheckType::kGrpc ? "gRPC OK"
                                                                              : "",
  };
  out.api_window = window_.Summarize(now);
  const eval::Evidence evidence = EvidenceFor(out.api_window);
  out.detachment = evidence.detachment;
  const eval::ApiThresholds thresholds = ThresholdsOf(config_->evaluation);
  out.api_evidence = detector_.Evidence(now);
  eval::ApiState api_state = sides ? sides->api : detector_.state();
  if (real_traffic_) {
    RealTraffic& traffic = *real_traffic_;
    auto shown = std::make_shared<RealTrafficSnapshot>();
    RealTrafficSnapshot& real = *shown;
    out.real_traffic = shown;
    real.source = traffic.source;
    real.type = traffic.type;
    real.server = traffic.server;
    real.requests_total = traffic.requests_total;
    real.failures_total = traffic.failures_total;
    real.window = traffic.view.Summarize(now);
    real.fresh = !traffic.server.empty() && now - traffic.at <= traffic.stale_after;
    // Real users beat synthetic samples, when there are enough of them to say something.
    real.decides = real.fresh && !real.window.idle && real.window.state != eval::ApiState::kWaiting;
    if (real.decides) {
      api_state = real.window.state;
      out.api_view_source = traffic.type;
      out.api_evidence = real.window.evidence;
      eval::WindowSummary& api = out.api_window;
      const auto clamp = [](std::uint64_t n) {
        return static_cast<int>(std::min<std::uint64_t>(n, 1'000'000'000));
      };
      api.total = clamp(real.window.requests);
      api.failures = clamp(real.window.failures);
      api.error_ratio = api.total > 0 ? static_cast<double>(api.failures) / api.total : 0;
      api.failures_by_reason = {};
      api.failures_by_reason[static_cast<std::size_t>(FailureReason::kStatus)] = api.failures;
      api.counted = eval::WindowSummary::Counted::kRealRequests;
    }
  }
  if (sides) out.lb.state = sides->health;
  if (real_lb_) {
    const RealLb& real = *real_lb_;
    out.real_lb = std::make_shared<const RealLbSnapshot>(RealLbSnapshot{
        .source = real.source,
        .type = real.type,
        .server = real.report.server,
        .in_rotation = real.report.in_rotation,
        .state = real.report.state,
        .fresh = !real.report.server.empty() && now - real.at <= real.stale_after,
    });
    // The balancer's own word beats the emulation of it.
    if (out.real_lb->fresh) {
      out.lb.state = real.report.in_rotation ? eval::LbState::kHealthy : eval::LbState::kUnhealthy;
      out.lb_view_source = real.type;
    }
  }
  out.decision = eval::Decide(
      out.lb, out.api_window, api_state, thresholds, evidence,
      scope == SnapshotScope::kMetrics ? eval::Explain::kVerdictOnly : eval::Explain::kWithReason);
  return out;
}

}  // namespace healthgap::engine
