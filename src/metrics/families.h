#pragma once

// Every family healthgap exports, defined once and written through a Writer: metrics/collector.cc
// writes the text with it (TextWriter), tests/support/family_builder.h builds prometheus-cpp's
// data model with it, to hold the text to prometheus-cpp's TextSerializer. A Writer takes a
// family (Family(name, help, type)), then its series (Sample, Histogram), family after family.
// Internal to metrics/ and its tests.

#include <algorithm>
#include <array>
#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

#include "config/values.h"
#include "engine/snapshot.h"
#include "eval/lb_view.h"
#include "eval/outcome.h"
#include "eval/verdict.h"
#include "metrics/collector.h"
#include "metrics/names.h"
#include "metrics/text_format.h"

namespace healthgap::metrics::families {

using prometheus::MetricType;

// Labels healthgap sets itself; a configured label of the same name would make duplicates. The
// loader rejects them already; this keeps a scrape valid whatever the snapshot holds.
inline bool IsOwnLabel(std::string_view name) {
  return std::ranges::find(config::kReservedLabelNames, name) !=
         std::end(config::kReservedLabelNames);
}

// What every family sees of a target: its summary (`->`) and the labels all its series share
// (`target` and the valid configured labels).
class PreparedSummary {
 public:
  PreparedSummary(const engine::TargetSummary& summary, const LabelSet& labels)
      : summary_(summary), labels_(labels) {}

  const engine::TargetSummary* operator->() const { return &summary_; }
  const LabelSet& labels() const { return labels_; }

 private:
  const engine::TargetSummary& summary_;
  const LabelSet& labels_;
};

// A target with its health checks and samples too, as they stand.
class PreparedTarget : public PreparedSummary {
 public:
  PreparedTarget(const engine::TargetView& view, const LabelSet& labels)
      : PreparedSummary(view.summary, labels), view_(view) {}

  std::span<const engine::HealthCheckSnapshot> checks() const { return view_.checks; }
  const engine::HealthCheckSnapshot& primary() const { return view_.checks.front(); }
  std::span<const engine::SampleSnapshot> samples() const { return view_.samples; }

 private:
  const engine::TargetView& view_;
};

// The fleet with each target's shared labels worked out once (they view its summary's
// strings, which stay put between walks), walked once per family.
class PreparedFleet {
 public:
  explicit PreparedFleet(const engine::FleetView& fleet) : fleet_(fleet) {
    labels_.reserve(fleet.size());
    for (std::size_t i = 0; i < fleet.size(); ++i) {
      const engine::TargetSummary& summary = fleet.summary(i);
      std::vector<Label> labels = {{"target", summary.name}};
      for (const auto& [name, value] : summary.labels) {
        if (IsValidLabelName(name) && !IsOwnLabel(name)) labels.push_back({name, value});
      }
      labels_.emplace_back(std::move(labels));
    }
  }

  // visit(target) for every target. A visit that takes a PreparedSummary reads only what the
  // scrape worked out when it began, so the walk leaves the live state (and the lock the
  // engine's I/O threads take on every completion) alone; one that takes a PreparedTarget
  // reads the checks and samples in place.
  template <class Visit>
  void ForEach(Visit&& visit) const {
    if constexpr (std::is_invocable_v<Visit&, const PreparedSummary&>) {
      for (std::size_t i = 0; i < labels_.size(); ++i) {
        visit(PreparedSummary(fleet_.summary(i), labels_[i]));
      }
    } else {
      fleet_.ForEach([&](std::size_t i, const engine::TargetView& view) {
        visit(PreparedTarget(view, labels_[i]));
      });
    }
  }

 private:
  const engine::FleetView& fleet_;
  std::vector<LabelSet> labels_;
};

// What PreparedFleet::ForEach hands `visit`: the summary alone when that is all it takes.
template <class Visit>
using VisitedTarget = std::conditional_t<std::is_invocable_v<Visit&, const PreparedSummary&>,
                                         PreparedSummary, PreparedTarget>;

// The exporter's own series have no shared labels.
inline const LabelSet kNoLabels;

template <class Writer>
void FailureCounters(Writer& out, const LabelSet& shared, Label owner,
                     const std::array<std::uint64_t, kFailureReasonCount>& failures,
                     const FailureReasonSet& possible) {
  // Every reason the job can fail with, zeros included, so rate() sees the first failure as an
  // increase; any other once it has happened.
  for (FailureReason reason : kAllFailureReasons) {
    const std::uint64_t count = failures[static_cast<std::size_t>(reason)];
    if (count == 0 && !Contains(possible, reason)) continue;
    out.Sample(shared, {owner, {"reason", healthgap::ToString(reason)}},
               static_cast<double>(count));
  }
}

inline double OneIf(bool condition) { return condition ? 1 : 0; }

// One series per target, valued `value(snapshot)`; none for a target where it is nullopt.
template <class Writer, class Value>
void EachTarget(Writer& out, const PreparedFleet& targets, Value&& value) {
  targets.ForEach([&](const VisitedTarget<Value>& t) {
    if (const std::optional<double> v = value(t)) out.Sample(t.labels(), {}, *v);
  });
}

// One series per health check of every target, labelled with its role (`check`) and valued
// `value(check)`; none for a check where it is nullopt.
template <class Writer, class Value>
void EachCheck(Writer& out, const PreparedFleet& targets, Value&& value) {
  targets.ForEach([&](const PreparedTarget& t) {
    for (const engine::HealthCheckSnapshot& check : t.checks()) {
      if (const std::optional<double> v = value(check)) {
        out.Sample(t.labels(), {{"check", engine::ToString(check.role)}}, *v);
      }
    }
  });
}

// Like blackbox_exporter, probe_* describe a probe that happened; before the first result there
// is none, and healthgap_lb_state{state="unknown"} says so.
template <class Field>
auto IfProbed(Field field) {
  return [field](const PreparedTarget& t) -> std::optional<double> {
    if (!t.primary().last.has_result) return std::nullopt;
    return field(t.primary().last);
  };
}

// One series per sample of every target, labelled `sample` and valued `value(sample)`; none
// for a sample where it is nullopt.
template <class Writer, class Value>
void EachSample(Writer& out, const PreparedFleet& targets, Value&& value) {
  targets.ForEach([&](const PreparedTarget& t) {
    for (const engine::SampleSnapshot& sample : t.samples()) {
      if (const std::optional<double> v = value(sample)) {
        out.Sample(t.labels(), {{"sample", sample.name}}, *v);
      }
    }
  });
}

// The TLS handshake of the last health probe, when it made one.
template <class Field>
auto IfHandshake(Field field) {
  return [field](const PreparedTarget& t) -> std::optional<double> {
    const std::optional<probe::TlsInfo>& tls = t.primary().last.tls;
    if (!tls) return std::nullopt;
    return field(*tls);
  };
}

// Every per-target family, family by family (the text format wants a family's series together).
template <class Writer>
void WriteTargetFamilies(const engine::FleetView& fleet, Writer& out) {
  const PreparedFleet targets(fleet);

  using engine::HealthCheckSnapshot;
  using engine::HealthProbeSnapshot;

  out.Family(names::kProbeSuccess, "1 if the last health check succeeded, 0 if it failed.",
             MetricType::Gauge);
  EachTarget(out, targets, IfProbed([](const HealthProbeSnapshot& p) { return OneIf(p.success); }));
  out.Family(names::kProbeDurationSeconds, "Duration of the last health check in seconds.",
             MetricType::Gauge);
  EachTarget(out, targets,
             IfProbed([](const HealthProbeSnapshot& p) { return ToSeconds(p.duration); }));
  out.Family(names::kProbeHttpStatusCode,
             "HTTP status code of the last health check, 0 if no response arrived.",
             MetricType::Gauge);
  EachTarget(out, targets, IfProbed([](const HealthProbeSnapshot& p) {
               return static_cast<double>(p.status_code);
             }));
  out.Family(
      names::kProbeHttpDurationSeconds,
      "Duration of the last health check by phase (resolve, connect, tls, processing, transfer).",
      MetricType::Gauge);
  targets.ForEach([&](const PreparedTarget& t) {
    if (!t.primary().last.has_result) return;
    const probe::PhaseTimings& phases = t.primary().last.phases;
    const std::pair<std::string_view, double> by_phase[] = {{"resolve", phases.resolve},
                                                            {"connect", phases.connect},
                                                            {"tls", phases.tls},
                                                            {"processing", phases.processing},
                                                            {"transfer", phases.transfer}};
    for (const auto& [phase, seconds] : by_phase)
      out.Sample(t.labels(), {{"phase", phase}}, seconds);
  });

  out.Family(names::kProbeHttpVersion,
             "HTTP version of the last health check's response (1, 1.1, 2, 3).", MetricType::Gauge);
  EachTarget(out, targets, [](const PreparedTarget& t) -> std::optional<double> {
    const std::optional<HttpVersion>& version = t.primary().last.http_version;
    if (!version) return std::nullopt;
    return VersionNumber(*version);
  });
  out.Family(names::kProbeIpProtocol, "IP protocol of the last health check's connection (4, 6).",
             MetricType::Gauge);
  EachTarget(out, targets, [](const PreparedTarget& t) -> std::optional<double> {
    const std::optional<IpProtocol>& protocol = t.primary().last.ip_protocol;
    if (!protocol) return std::nullopt;
    return *protocol == IpProtocol::kIp4 ? 4 : 6;
  });
  out.Family(names::kProbeSslEarliestCertExpiry,
             "Unix time the earliest certificate the health check's server presented expires.",
             MetricType::Gauge);
  EachTarget(out, targets, IfHandshake([](const probe::TlsInfo& tls) -> std::optional<double> {
               return tls.earliest_cert_expiry;
             }));
  out.Family(names::kProbeSslLastChainExpiry,
             "Unix time the verified chain of the health check's server expires (its earliest "
             "certificate, root included).",
             MetricType::Gauge);
  EachTarget(out, targets,
             IfHandshake([](const probe::TlsInfo& tls) { return tls.last_chain_expiry; }));
  out.Family(names::kProbeTlsVersionInfo, "Always 1: the TLS version of the last health check.",
             MetricType::Gauge);
  targets.ForEach([&](const PreparedTarget& t) {
    const std::optional<probe::TlsInfo>& tls = t.primary().last.tls;
    if (tls && tls->version) out.Sample(t.labels(), {{"version", VersionLabel(*tls->version)}}, 1);
  });

  // Health check history, per check (label `check`).
  out.Family(names::kHealthProbesTotal, "Health checks completed.", MetricType::Counter);
  EachCheck(out, targets, [](const HealthCheckSnapshot& check) {
    return static_cast<double>(check.probes_total);
  });
  out.Family(names::kHealthProbeFailuresTotal, "Health checks failed, by reason.",
             MetricType::Counter);
  targets.ForEach([&](const PreparedTarget& t) {
    for (const engine::HealthCheckSnapshot& check : t.checks()) {
      FailureCounters(out, t.labels(), {"check", engine::ToString(check.role)},
                      check.failures_total, check.possible_failures);
    }
  });
  out.Family(names::kHealthProbeDurationSeconds, "Health check duration in seconds.",
             MetricType::Histogram);
  targets.ForEach([&](const PreparedTarget& t) {
    for (const engine::HealthCheckSnapshot& check : t.checks()) {
      out.Histogram(t.labels(), {{"check", engine::ToString(check.role)}}, check.latency);
    }
  });

  out.Family(names::kLbHealthy,
             "1 while the load balancer keeps the target in rotation, else 0: the real "
             "balancer's own view when its lb_source answers, else the emulated one "
             "(healthgap_view_source says which).",
             MetricType::Gauge);
  EachTarget(out, targets, [](const PreparedSummary& t) {
    return OneIf(t->lb.state == eval::LbState::kHealthy);
  });
  out.Family(names::kLbState,
             "Emulated load balancer state, one-hot over unknown, healthy and unhealthy.",
             MetricType::Gauge);
  targets.ForEach([&](const PreparedSummary& t) {
    for (eval::LbState state :
         {eval::LbState::kUnknown, eval::LbState::kHealthy, eval::LbState::kUnhealthy}) {
      out.Sample(t.labels(), {{"state", eval::ToString(state)}}, OneIf(t->lb.state == state));
    }
  });

  out.Family(names::kLbSourceHealthy,
             "1 while the real balancer (the target's lb_source) has the target's server in "
             "rotation, else 0; absent while it has not answered with that server.",
             MetricType::Gauge);
  targets.ForEach([&](const PreparedSummary& t) {
    if (!t->real_lb || t->real_lb->server.empty()) return;
    out.Sample(t.labels(), {{"source", t->real_lb->source}}, OneIf(t->real_lb->in_rotation));
  });
  out.Family(names::kLbEmulationDrift,
             "1 while the emulated load balancer and the real one (the target's lb_source) "
             "disagree on whether the target is in rotation, else 0; absent until both know.",
             MetricType::Gauge);
  targets.ForEach([&](const PreparedTarget& t) {
    const eval::LbState emulated = t.primary().lb_state;
    if (!t->real_lb || !t->real_lb->fresh || emulated == eval::LbState::kUnknown) return;
    out.Sample(t.labels(), {{"source", t->real_lb->source}},
               OneIf((emulated == eval::LbState::kHealthy) != t->real_lb->in_rotation));
  });

  out.Family(names::kViewSource,
             "1 for the source that decided each side of the verdict: view lb (emulated, or "
             "the lb_source's type) and view api (synthetic, or the traffic_source's type).",
             MetricType::Gauge);
  targets.ForEach([&](const PreparedSummary& t) {
    out.Sample(t.labels(), {{"view", "lb"}, {"source", t->lb_view_source}}, 1);
    out.Sample(t.labels(), {{"view", "api"}, {"source", t->api_view_source}}, 1);
  });
  out.Family(names::kTrafficRequestsTotal,
             "Real users' requests to the target's server, by its traffic_source, counted "
             "since healthgap began reading it (per upstream attempt).",
             MetricType::Counter);
  targets.ForEach([&](const PreparedSummary& t) {
    if (!t->real_traffic) return;
    out.Sample(t.labels(), {{"source", t->real_traffic->source}},
               static_cast<double>(t->real_traffic->requests_total));
  });
  out.Family(names::kTrafficFailuresTotal,
             "Real users' requests to the target's server that failed (5xx, no response).",
             MetricType::Counter);
  targets.ForEach([&](const PreparedSummary& t) {
    if (!t->real_traffic) return;
    out.Sample(t.labels(), {{"source", t->real_traffic->source}},
               static_cast<double>(t->real_traffic->failures_total));
  });
  out.Family(names::kTrafficRequestRate,
             "Real users' requests per second to the target's server over the evaluation "
             "window; below the traffic_source's min_request_rate the samples decide.",
             MetricType::Gauge);
  targets.ForEach([&](const PreparedSummary& t) {
    if (!t->real_traffic || !t->real_traffic->fresh) return;
    out.Sample(t.labels(), {{"source", t->real_traffic->source}},
               t->real_traffic->window.request_rate);
  });
  out.Family(names::kTrafficErrorRatio,
             "Share of real users' requests to the target's server that failed over the "
             "evaluation window; absent without requests in it.",
             MetricType::Gauge);
  targets.ForEach([&](const PreparedSummary& t) {
    if (!t->real_traffic || !t->real_traffic->fresh || t->real_traffic->window.requests == 0) {
      return;
    }
    const eval::TrafficSummary& window = t->real_traffic->window;
    out.Sample(t.labels(), {{"source", t->real_traffic->source}},
               static_cast<double>(window.failures) / static_cast<double>(window.requests));
  });

  out.Family(names::kApiRequestsTotal, "API sample requests completed.", MetricType::Counter);
  targets.ForEach([&](const PreparedTarget& t) {
    for (const engine::SampleSnapshot& sample : t.samples()) {
      out.Sample(t.labels(), {{"sample", sample.name}}, static_cast<double>(sample.requests_total));
    }
  });
  out.Family(names::kApiRequestFailuresTotal, "API sample requests failed, by reason.",
             MetricType::Counter);
  targets.ForEach([&](const PreparedTarget& t) {
    for (const engine::SampleSnapshot& sample : t.samples()) {
      FailureCounters(out, t.labels(), {"sample", sample.name}, sample.failures_total,
                      sample.possible_failures);
    }
  });
  out.Family(names::kApiRequestDurationSeconds,
             "API sample request duration in seconds, failures included.", MetricType::Histogram);
  targets.ForEach([&](const PreparedTarget& t) {
    for (const engine::SampleSnapshot& sample : t.samples()) {
      out.Histogram(t.labels(), {{"sample", sample.name}}, sample.latency);
    }
  });
  out.Family(names::kApiSslEarliestCertExpiry,
             "Unix time the earliest certificate a sample's server presented at its last TLS "
             "handshake expires.",
             MetricType::Gauge);
  EachSample(out, targets, [](const engine::SampleSnapshot& sample) -> std::optional<double> {
    if (!sample.tls) return std::nullopt;
    return sample.tls->earliest_cert_expiry;
  });
  out.Family(names::kApiSslLastChainExpiry,
             "Unix time the chain verified at a sample's last TLS handshake expires.",
             MetricType::Gauge);
  EachSample(out, targets, [](const engine::SampleSnapshot& sample) -> std::optional<double> {
    if (!sample.tls) return std::nullopt;
    return sample.tls->last_chain_expiry;
  });
  out.Family(names::kApiTlsVersionInfo, "Always 1: the TLS version of a sample's last handshake.",
             MetricType::Gauge);
  targets.ForEach([&](const PreparedTarget& t) {
    for (const engine::SampleSnapshot& sample : t.samples()) {
      if (sample.tls && sample.tls->version) {
        out.Sample(t.labels(),
                   {{"sample", sample.name}, {"version", VersionLabel(*sample.tls->version)}}, 1);
      }
    }
  });
  out.Family(names::kApiErrorRatio,
             "Share of failed API samples in the sliding window, 0 when the window is empty.",
             MetricType::Gauge);
  EachTarget(out, targets, [](const PreparedSummary& t) { return t->api_window.error_ratio; });
  out.Family(names::kApiWindowSamples, "API samples in the sliding window.", MetricType::Gauge);
  EachTarget(out, targets,
             [](const PreparedSummary& t) { return static_cast<double>(t->api_window.total); });
  out.Family(names::kApiEvidenceSamples,
             "API samples (or real requests, when a traffic_source decides) the user view's "
             "current state rests on: those since it last changed, within the window.",
             MetricType::Gauge);
  EachTarget(out, targets,
             [](const PreparedSummary& t) { return static_cast<double>(t->api_evidence.trials); });
  out.Family(names::kApiEvidenceErrorRatio,
             "Failure share of those samples (bound=estimate) and its 90% Wilson interval "
             "(bound=lower, bound=upper); 0 and 1 bound it without samples.",
             MetricType::Gauge);
  targets.ForEach([&](const PreparedSummary& t) {
    const eval::ProportionEstimate& evidence = t->api_evidence;
    out.Sample(t.labels(), {{"bound", "estimate"}}, evidence.ratio);
    out.Sample(t.labels(), {{"bound", "lower"}}, evidence.low);
    out.Sample(t.labels(), {{"bound", "upper"}}, evidence.high);
  });

  out.Family(
      names::kVerdict,
      "Verdict, one-hot over unknown, healthy, mismatch (health passes while the API fails), "
      "down, false-negative and degraded (health passes, its body reports a failing dependency).",
      MetricType::Gauge);
  targets.ForEach([&](const PreparedSummary& t) {
    for (eval::Verdict verdict : eval::kAllVerdicts) {
      out.Sample(t.labels(), {{"verdict", eval::ToString(verdict)}},
                 OneIf(t->decision.verdict == verdict));
    }
  });
  out.Family(names::kVerdictInfo, "Always 1: the current verdict and its bounded cause.",
             MetricType::Gauge);
  targets.ForEach([&](const PreparedSummary& t) {
    out.Sample(t.labels(),
               {{"verdict", eval::ToString(t->decision.verdict)},
                {"cause", eval::ToString(t->decision.cause)}},
               1);
  });

  out.Family(names::kHealthCheckInfo,
             "Always 1 per health check: its role (check), LB preset (lb), whether it is the "
             "primary check the LB view and verdict follow, its type (http, tcp, grpc) and its "
             "URL without the query (tcp://HOST:PORT, grpc://HOST:PORT[/SERVICE]).",
             MetricType::Gauge);
  targets.ForEach([&](const PreparedTarget& t) {
    for (const engine::HealthCheckSnapshot& check : t.checks()) {
      out.Sample(t.labels(),
                 {{"check", engine::ToString(check.role)},
                  {"lb", check.lb},
                  {"primary", check.primary ? "true" : "false"},
                  {"type", config::ToString(check.type)},
                  {"url", check.url}},
                 1);
    }
  });
  out.Family(names::kHealthCheckSuccess,
             "1 if the last probe of this health check succeeded, else 0.", MetricType::Gauge);
  EachCheck(out, targets, [](const HealthCheckSnapshot& check) -> std::optional<double> {
    if (!check.last.has_result) return std::nullopt;
    return OneIf(check.last.success);
  });
  out.Family(names::kHealthCheckLbHealthy,
             "1 while this health check's own emulated LB view keeps the target in rotation, "
             "else 0.",
             MetricType::Gauge);
  EachCheck(out, targets, [](const HealthCheckSnapshot& check) {
    return OneIf(check.lb_state == eval::LbState::kHealthy);
  });
  out.Family(names::kHealthComponentStatus,
             "Component status reported by the last health body, one-hot over pass, warn and "
             "fail.",
             MetricType::Gauge);
  targets.ForEach([&](const PreparedTarget& t) {
    for (const engine::HealthCheckSnapshot& check : t.checks()) {
      for (const engine::ComponentSnapshot& component : check.components) {
        for (eval::ComponentStatus status :
             {eval::ComponentStatus::kPass, eval::ComponentStatus::kWarn,
              eval::ComponentStatus::kFail}) {
          out.Sample(t.labels(),
                     {{"check", engine::ToString(check.role)},
                      {"component", component.name},
                      {"status", eval::ToString(status)}},
                     OneIf(component.status == status));
        }
      }
    }
  });
  out.Family(names::kHealthComponentsDropped,
             "Components of the last health body not exported (beyond 32 per check).",
             MetricType::Gauge);
  EachCheck(out, targets, [](const HealthCheckSnapshot& check) {
    return static_cast<double>(check.components_dropped);
  });
  out.Family(names::kHealthCached, "1 if this health check's answers come from a cache, else 0.",
             MetricType::Gauge);
  EachCheck(out, targets,
            [](const HealthCheckSnapshot& check) { return OneIf(check.cache.cached); });
  out.Family(names::kHealthCacheEvidence,
             "1 per kind of cache evidence present: age_header, cache_control, date_stuck, "
             "body_frozen.",
             MetricType::Gauge);
  targets.ForEach([&](const PreparedTarget& t) {
    for (const engine::HealthCheckSnapshot& check : t.checks()) {
      const auto& signals = check.cache.signals;
      for (eval::CacheSignal signal :
           {eval::CacheSignal::kAgeHeader, eval::CacheSignal::kCacheControl,
            eval::CacheSignal::kDateStuck, eval::CacheSignal::kBodyFrozen}) {
        out.Sample(t.labels(),
                   {{"check", engine::ToString(check.role)}, {"kind", eval::ToString(signal)}},
                   OneIf(std::ranges::find(signals, signal) != signals.end()));
      }
    }
  });
  out.Family(names::kHealthApiLatencyRatio,
             "API p50 latency over the primary health check's p50 latency; 0 without data on a "
             "side.",
             MetricType::Gauge);
  EachTarget(out, targets, [](const PreparedSummary& t) { return t->detachment.latency_ratio; });
}

// The exporter's own families.
template <class Writer>
void WriteSelfFamilies(const engine::EngineStats& stats,
                       std::span<const engine::SourceSnapshot> sources, std::size_t targets,
                       const ExporterStatus& status, Writer& out) {
  out.Family(names::kProbesSentTotal, "Requests sent by the exporter, by kind (health or api).",
             MetricType::Counter);
  out.Sample(kNoLabels, {{"kind", "health"}}, static_cast<double>(stats.health_probes_sent));
  out.Sample(kNoLabels, {{"kind", "api"}}, static_cast<double>(stats.api_samples_sent));
  out.Family(names::kProbesSkippedTotal,
             "Scheduled runs not sent, by reason: in_flight (the job's previous run had not "
             "completed), late (the scheduler fell more than an interval behind) or capacity "
             "(--probe.max-in-flight requests were in flight).",
             MetricType::Counter);
  out.Sample(kNoLabels, {{"reason", "in_flight"}}, static_cast<double>(stats.skipped_in_flight));
  out.Sample(kNoLabels, {{"reason", "late"}}, static_cast<double>(stats.skipped_late));
  out.Sample(kNoLabels, {{"reason", "capacity"}}, static_cast<double>(stats.skipped_capacity));
  out.Family(names::kSourceUp,
             "1 while the last poll of a sources entry got an answer healthgap could read.",
             MetricType::Gauge);
  for (const engine::SourceSnapshot& source : sources) {
    out.Sample(kNoLabels, {{"source", source.name}}, OneIf(source.up));
  }
  out.Family(names::kSourcePollsTotal, "Polls of a sources entry, by result (ok, error).",
             MetricType::Counter);
  for (const engine::SourceSnapshot& source : sources) {
    out.Sample(kNoLabels, {{"source", source.name}, {"result", "ok"}},
               static_cast<double>(source.polls_total - source.failures_total));
    out.Sample(kNoLabels, {{"source", source.name}, {"result", "error"}},
               static_cast<double>(source.failures_total));
  }
  out.Family(names::kProbesInFlight, "Requests sent and not yet completed.", MetricType::Gauge);
  out.Sample(kNoLabels, {}, static_cast<double>(stats.in_flight));
  out.Family(names::kSchedulingLagSeconds,
             "How late probes started against their schedule, in seconds.", MetricType::Histogram);
  out.Histogram(kNoLabels, {}, stats.scheduling_lag);
  out.Family(names::kProbeRequestsTotal,
             "/probe requests by result: ok, refused (target not in probe.allow), invalid.",
             MetricType::Counter);
  out.Sample(kNoLabels, {{"result", "ok"}}, static_cast<double>(status.probe_requests_ok));
  out.Sample(kNoLabels, {{"result", "refused"}},
             static_cast<double>(status.probe_requests_refused));
  out.Sample(kNoLabels, {{"result", "invalid"}},
             static_cast<double>(status.probe_requests_invalid));
  out.Family(names::kTargets, "Configured targets.", MetricType::Gauge);
  out.Sample(kNoLabels, {}, static_cast<double>(targets));
  out.Family(names::kBuildInfo, "Always 1; the version label carries the healthgap version.",
             MetricType::Gauge);
  out.Sample(kNoLabels, {{"version", status.version}}, 1);
  out.Family(names::kConfigLastReloadSuccessful,
             "1 if the last configuration reload succeeded, else 0.", MetricType::Gauge);
  out.Sample(kNoLabels, {}, OneIf(status.last_reload_successful));
  out.Family(names::kConfigLastReloadSuccessTimestampSeconds,
             "Unix time of the last successful configuration load or reload.", MetricType::Gauge);
  out.Sample(kNoLabels, {}, status.last_reload_success_timestamp_seconds);
}

}  // namespace healthgap::metrics::families
