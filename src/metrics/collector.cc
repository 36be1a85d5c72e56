#include "metrics/collector.h"

#include <prometheus/text_serializer.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <deque>
#include <initializer_list>
#include <limits>
#include <span>
#include <sstream>
#include <string_view>
#include <utility>

#include "config/values.h"
#include "eval/lb_view.h"
#include "eval/outcome.h"
#include "eval/verdict.h"
#include "metrics/names.h"
#include "metrics/text_format.h"

namespace healthgap::metrics {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

// Labels healthgap sets itself; a configured label of the same name would make duplicates. The
// loader rejects them already; this keeps a scrape valid whatever the snapshot holds.
bool IsOwnLabel(const std::string& name) {
  return std::ranges::find(config::kReservedLabelNames, name) !=
         std::end(config::kReservedLabelNames);
}

// Sorted by name so the exposition is deterministic and matches Prometheus' own ordering.
Labels With(const Labels& base,
            std::initializer_list<std::pair<std::string_view, std::string_view>> extra = {}) {
  Labels labels;
  labels.reserve(base.size() + extra.size());  // one allocation, not a copy then a regrowth
  labels.insert(labels.end(), base.begin(), base.end());
  for (const auto& [name, value] : extra) labels.push_back({std::string(name), std::string(value)});
  std::sort(labels.begin(), labels.end());
  return labels;
}

Labels TargetLabels(const engine::TargetSnapshot& target) {
  Labels labels = {{"target", target.name}};
  for (const auto& [name, value] : target.labels) {
    if (IsValidLabelName(name) && !IsOwnLabel(name)) labels.push_back({name, value});
  }
  return labels;
}

ClientMetric Gauge(Labels labels, double value) {
  ClientMetric metric;
  metric.label = std::move(labels);
  metric.gauge.value = value;
  return metric;
}

ClientMetric Counter(Labels labels, double value) {
  ClientMetric metric;
  metric.label = std::move(labels);
  metric.counter.value = value;
  return metric;
}

ClientMetric Histogram(Labels labels, const LatencyHistogram& histogram) {
  ClientMetric metric;
  metric.label = std::move(labels);
  metric.histogram = ToCumulativeHistogram(histogram);
  return metric;
}

// Families in names.h order; series are appended per target while walking the snapshot. A deque,
// so references returned by Add stay valid as more families are added.
class Families {
 public:
  MetricFamily& Add(const char* name, const char* help, MetricType type) {
    families_.push_back({name, help, type, {}});
    return families_.back();
  }
  std::vector<MetricFamily> Take() && {
    std::vector<MetricFamily> out;
    for (MetricFamily& family : families_) {
      if (!family.metric.empty()) out.push_back(std::move(family));
    }
    return out;
  }

 private:
  std::deque<MetricFamily> families_;
};

void AddFailureCounters(MetricFamily& family, const Labels& base,
                        const std::array<std::uint64_t, eval::kFailureReasonCount>& failures) {
  // Every reason, zeros included, so rate() sees the first failure as an increase.
  for (eval::FailureReason reason : eval::kAllFailureReasons) {
    family.metric.push_back(
        Counter(With(base, {{"reason", eval::ToString(reason)}}),
                static_cast<double>(failures[static_cast<std::size_t>(reason)])));
  }
}

}  // namespace

bool IsValidLabelName(const std::string& name) {
  if (name.empty() || name.starts_with("__")) return false;
  auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!letter(name[0])) return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return letter(c) || (c >= '0' && c <= '9'); });
}

prometheus::ClientMetric::Histogram ToCumulativeHistogram(const LatencyHistogram& histogram) {
  prometheus::ClientMetric::Histogram out;
  out.sample_count = histogram.count();
  out.sample_sum = histogram.sum();
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kLatencyBucketsSeconds.size(); ++i) {
    cumulative += histogram.counts()[i];
    out.bucket.push_back({cumulative, kLatencyBucketsSeconds[i]});
  }
  out.bucket.push_back({histogram.count(), std::numeric_limits<double>::infinity()});
  return out;
}

namespace {

std::vector<engine::HealthCheckSnapshot> ChecksOf(const engine::TargetSnapshot& target) {
  if (!target.checks.empty()) return target.checks;
  engine::HealthCheckSnapshot primary;
  primary.primary = true;
  primary.last = target.last_health;
  primary.probes_total = target.health_probes_total;
  primary.failures_total = target.health_failures_total;
  primary.latency = target.health_latency;
  primary.lb_state = target.lb.state;
  return {primary};
}

// Every per-target family, into `families`.
void AddTargetFamilies(std::span<const engine::TargetSnapshot> targets, Families& families) {
  auto& probe_success =
      families.Add(names::kProbeSuccess, "1 if the last health check succeeded, 0 if it failed.",
                   MetricType::Gauge);
  auto& probe_duration =
      families.Add(names::kProbeDurationSeconds, "Duration of the last health check in seconds.",
                   MetricType::Gauge);
  auto& probe_status = families.Add(
      names::kProbeHttpStatusCode,
      "HTTP status code of the last health check, 0 if no response arrived.", MetricType::Gauge);
  auto& probe_phases = families.Add(
      names::kProbeHttpDurationSeconds,
      "Duration of the last health check by phase (resolve, connect, tls, processing, transfer).",
      MetricType::Gauge);
  auto& health_total =
      families.Add(names::kHealthProbesTotal, "Health checks completed.", MetricType::Counter);
  auto& health_failures = families.Add(names::kHealthProbeFailuresTotal,
                                       "Health checks failed, by reason.", MetricType::Counter);
  auto& health_latency = families.Add(names::kHealthProbeDurationSeconds,
                                      "Health check duration in seconds.", MetricType::Histogram);
  auto& lb_healthy = families.Add(
      names::kLbHealthy, "1 while the emulated load balancer keeps the target in rotation, else 0.",
      MetricType::Gauge);
  auto& lb_state = families.Add(
      names::kLbState, "Emulated load balancer state, one-hot over unknown, healthy and unhealthy.",
      MetricType::Gauge);
  auto& api_total =
      families.Add(names::kApiRequestsTotal, "API sample requests completed.", MetricType::Counter);
  auto& api_failures = families.Add(names::kApiRequestFailuresTotal,
                                    "API sample requests failed, by reason.", MetricType::Counter);
  auto& api_latency = families.Add(names::kApiRequestDurationSeconds,
                                   "API sample request duration in seconds, failures included.",
                                   MetricType::Histogram);
  auto& api_ratio =
      families.Add(names::kApiErrorRatio,
                   "Share of failed API samples in the sliding window, 0 when the window is empty.",
                   MetricType::Gauge);
  auto& api_window = families.Add(names::kApiWindowSamples, "API samples in the sliding window.",
                                  MetricType::Gauge);
  auto& verdict = families.Add(
      names::kVerdict,
      "Verdict, one-hot over unknown, healthy, mismatch (health passes while the API fails), "
      "down, false-negative and degraded (health passes, its body reports a failing dependency).",
      MetricType::Gauge);
  auto& verdict_info =
      families.Add(names::kVerdictInfo, "Always 1: the current verdict and its bounded cause.",
                   MetricType::Gauge);
  auto& check_info = families.Add(
      names::kHealthCheckInfo,
      "Always 1 per health check: its role (check), LB preset (lb) and whether it is the primary "
      "check the LB view and verdict follow.",
      MetricType::Gauge);
  auto& check_success = families.Add(names::kHealthCheckSuccess,
                                     "1 if the last probe of this health check succeeded, else 0.",
                                     MetricType::Gauge);
  auto& check_lb_healthy = families.Add(
      names::kHealthCheckLbHealthy,
      "1 while this health check's own emulated LB view keeps the target in rotation, else 0.",
      MetricType::Gauge);
  auto& component_status = families.Add(
      names::kHealthComponentStatus,
      "Component status reported by the last health body, one-hot over pass, warn and fail.",
      MetricType::Gauge);
  auto& components_dropped = families.Add(
      names::kHealthComponentsDropped,
      "Components of the last health body not exported (beyond 32 per check).", MetricType::Gauge);
  auto& cached = families.Add(names::kHealthCached,
                              "1 if this health check's answers come from a cache, else 0.",
                              MetricType::Gauge);
  auto& cache_evidence = families.Add(
      names::kHealthCacheEvidence,
      "1 per kind of cache evidence present: age_header, cache_control, date_stuck, body_frozen.",
      MetricType::Gauge);
  auto& latency_ratio = families.Add(
      names::kHealthApiLatencyRatio,
      "API p50 latency over the primary health check's p50 latency; 0 without data on a side.",
      MetricType::Gauge);

  for (const engine::TargetSnapshot& target : targets) {
    const Labels base = TargetLabels(target);
    const engine::HealthProbeSnapshot& last = target.last_health;
    // Like blackbox_exporter, probe_* describe a probe that happened; before the first result
    // there is none, and healthgap_lb_state{state="unknown"} says so.
    if (last.has_result) {
      probe_success.metric.push_back(Gauge(With(base), last.success ? 1 : 0));
      probe_duration.metric.push_back(Gauge(With(base), ToSeconds(last.duration)));
      probe_status.metric.push_back(Gauge(With(base), last.status_code));
      const std::pair<std::string_view, double> phases[] = {{"resolve", last.phases.resolve},
                                                            {"connect", last.phases.connect},
                                                            {"tls", last.phases.tls},
                                                            {"processing", last.phases.processing},
                                                            {"transfer", last.phases.transfer}};
      for (const auto& [phase, seconds] : phases) {
        probe_phases.metric.push_back(Gauge(With(base, {{"phase", phase}}), seconds));
      }
    }
    // Health check history, per check (label `check`). A snapshot built without checks (from
    // the primary's fields alone) counts as one readiness check.
    for (const engine::HealthCheckSnapshot& check : ChecksOf(target)) {
      const Labels check_base = With(base, {{"check", engine::ToString(check.role)}});
      health_total.metric.push_back(Counter(check_base, static_cast<double>(check.probes_total)));
      AddFailureCounters(health_failures, check_base, check.failures_total);
      health_latency.metric.push_back(Histogram(check_base, check.latency));
    }

    lb_healthy.metric.push_back(Gauge(With(base), target.lb.state == eval::LbState::kHealthy));
    for (eval::LbState state :
         {eval::LbState::kUnknown, eval::LbState::kHealthy, eval::LbState::kUnhealthy}) {
      lb_state.metric.push_back(
          Gauge(With(base, {{"state", eval::ToString(state)}}), target.lb.state == state));
    }

    for (const engine::SampleSnapshot& sample : target.samples) {
      const Labels sample_base = With(base, {{"sample", sample.name}});
      api_total.metric.push_back(Counter(sample_base, static_cast<double>(sample.requests_total)));
      AddFailureCounters(api_failures, sample_base, sample.failures_total);
      api_latency.metric.push_back(Histogram(sample_base, sample.latency));
    }
    api_ratio.metric.push_back(Gauge(With(base), target.api_window.error_ratio));
    api_window.metric.push_back(Gauge(With(base), target.api_window.total));

    for (eval::Verdict v : eval::kAllVerdicts) {
      verdict.metric.push_back(
          Gauge(With(base, {{"verdict", eval::ToString(v)}}), target.decision.verdict == v));
    }
    verdict_info.metric.push_back(
        Gauge(With(base, {{"verdict", eval::ToString(target.decision.verdict)},
                          {"cause", eval::ToString(target.decision.cause)}}),
              1));
    latency_ratio.metric.push_back(Gauge(With(base), target.detachment.latency_ratio));

    for (const engine::HealthCheckSnapshot& check : ChecksOf(target)) {
      const Labels check_base = With(base, {{"check", engine::ToString(check.role)}});
      check_info.metric.push_back(Gauge(
          With(check_base, {{"lb", check.lb}, {"primary", check.primary ? "true" : "false"}}), 1));
      if (check.last.has_result) {
        check_success.metric.push_back(Gauge(check_base, check.last.success ? 1 : 0));
      }
      check_lb_healthy.metric.push_back(
          Gauge(check_base, check.lb_state == eval::LbState::kHealthy));
      for (const engine::ComponentSnapshot& component : check.components) {
        for (eval::ComponentStatus status :
             {eval::ComponentStatus::kPass, eval::ComponentStatus::kWarn,
              eval::ComponentStatus::kFail}) {
          component_status.metric.push_back(Gauge(
              With(check_base, {{"component", component.name}, {"status", eval::ToString(status)}}),
              component.status == status));
        }
      }
      components_dropped.metric.push_back(
          Gauge(check_base, static_cast<double>(check.components_dropped)));
      cached.metric.push_back(Gauge(check_base, check.cache.cached ? 1 : 0));
      const auto& signals = check.cache.signals;
      for (eval::CacheSignal signal :
           {eval::CacheSignal::kAgeHeader, eval::CacheSignal::kCacheControl,
            eval::CacheSignal::kDateStuck, eval::CacheSignal::kBodyFrozen}) {
        cache_evidence.metric.push_back(
            Gauge(With(check_base, {{"kind", eval::ToString(signal)}}),
                  std::find(signals.begin(), signals.end(), signal) != signals.end()));
      }
    }
  }
}

}  // namespace

std::vector<MetricFamily> BuildTargetFamilies(std::span<const engine::TargetSnapshot> targets) {
  Families families;
  AddTargetFamilies(targets, families);
  return std::move(families).Take();
}

std::vector<MetricFamily> BuildFamilies(const engine::EngineSnapshot& snapshot,
                                        const ExporterStatus& status) {
  Families families;
  AddTargetFamilies(snapshot.targets, families);
  const engine::EngineStats& stats = snapshot.stats;
  auto& sent =
      families.Add(names::kProbesSentTotal,
                   "Requests sent by the exporter, by kind (health or api).", MetricType::Counter);
  sent.metric.push_back(
      Counter({{"kind", "health"}}, static_cast<double>(stats.health_probes_sent)));
  sent.metric.push_back(Counter({{"kind", "api"}}, static_cast<double>(stats.api_samples_sent)));
  auto& skipped =
      families.Add(names::kProbesSkippedTotal,
                   "Scheduled runs not sent, by reason: in_flight (the job's previous run had not "
                   "completed) or late (the scheduler fell more than an interval behind).",
                   MetricType::Counter);
  skipped.metric.push_back(
      Counter({{"reason", "in_flight"}}, static_cast<double>(stats.skipped_in_flight)));
  skipped.metric.push_back(Counter({{"reason", "late"}}, static_cast<double>(stats.skipped_late)));
  families.Add(names::kProbesInFlight, "Requests sent and not yet completed.", MetricType::Gauge)
      .metric.push_back(Gauge({}, static_cast<double>(stats.in_flight)));
  families
      .Add(names::kSchedulingLagSeconds,
           "How late probes started against their schedule, in seconds.", MetricType::Histogram)
      .metric.push_back(Histogram({}, stats.scheduling_lag));
  auto& probe_requests =
      families.Add(names::kProbeRequestsTotal,
                   "/probe requests by result: ok, refused (target not in probe.allow), invalid.",
                   MetricType::Counter);
  for (const auto& [result, count] :
       {std::pair<const char*, std::uint64_t>{"ok", status.probe_requests_ok},
        {"refused", status.probe_requests_refused},
        {"invalid", status.probe_requests_invalid}}) {
    probe_requests.metric.push_back(Counter({{"result", result}}, static_cast<double>(count)));
  }
  families.Add(names::kTargets, "Configured targets.", MetricType::Gauge)
      .metric.push_back(Gauge({}, static_cast<double>(snapshot.targets.size())));
  families
      .Add(names::kBuildInfo, "Always 1; the version label carries the healthgap version.",
           MetricType::Gauge)
      .metric.push_back(Gauge({{"version", status.version}}, 1));
  families
      .Add(names::kConfigLastReloadSuccessful,
           "1 if the last configuration reload succeeded, else 0.", MetricType::Gauge)
      .metric.push_back(Gauge({}, status.last_reload_successful ? 1 : 0));
  families
      .Add(names::kConfigLastReloadSuccessTimestampSeconds,
           "Unix time of the last successful configuration load or reload.", MetricType::Gauge)
      .metric.push_back(Gauge({}, status.last_reload_success_timestamp_seconds));
  return std::move(families).Take();
}

SnapshotCollector::SnapshotCollector(std::function<engine::EngineSnapshot()> snapshot,
                                     std::function<ExporterStatus()> status)
    : snapshot_(std::move(snapshot)), status_(std::move(status)) {}

std::vector<MetricFamily> SnapshotCollector::Collect() const {
  return BuildFamilies(snapshot_(), status_());
}

std::string SerializeText(const std::vector<MetricFamily>& families) {
  std::string out;
  AppendText(families, out);
  return out;
}

}  // namespace healthgap::metrics
