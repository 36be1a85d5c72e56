#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/histogram.h"
#include "config/config.h"
#include "eval/cache_evidence.h"
#include "eval/detachment.h"
#include "eval/health_body.h"
#include "eval/lb_view.h"
#include "eval/outcome.h"
#include "eval/proportion.h"
#include "eval/traffic_view.h"
#include "eval/verdict.h"
#include "probe/http_client.h"

namespace healthgap::engine {

// A consistent copy of one target's state, taken at scrape time. Everything /metrics, the
// status page and `check` show comes from here.
struct HealthProbeSnapshot {
  bool has_result = false;  // false until the first health probe completes
  bool success = false;
  int status_code = 0;
  std::optional<FailureReason> error = std::nullopt;
  // What went wrong in the transport's own words ("SSL certificate problem: ..."), "" when a
  // response arrived: for logs, the status page and `check`, never a label.
  std::string error_detail;
  probe::PhaseTimings phases;
  Duration duration{0};
  std::chrono::system_clock::time_point at{};  // wall time the probe completed
  // This probe's TLS handshake; nullopt for plain http and for a handshake that failed, so,
  // as with blackbox_exporter, the certificate series describe the probe that just happened.
  std::optional<probe::TlsInfo> tls = std::nullopt;
  std::optional<HttpVersion> http_version = std::nullopt;  // probe_http_version
  std::optional<IpProtocol> ip_protocol = std::nullopt;    // probe_ip_protocol
};

// One component a health body reported (database, redis, ...).
struct ComponentSnapshot {
  std::string name;  // sanitised, safe as a label value
  eval::ComponentStatus status = eval::ComponentStatus::kPass;
  std::string detail;  // human, never a label
};

// One health check of a target (readiness or liveness) with its own LB view.
struct HealthCheckSnapshot {
  config::HealthRole role = config::HealthRole::kReadiness;
  config::HealthCheckType type = config::HealthCheckType::kHttp;
  std::string path;
  std::string url;            // config::DisplayUrl: http's without the query, tcp://..., grpc://...
  std::string lb = "custom";  // preset name
  bool primary = false;       // the check the load balancer uses and the verdict follows
  HealthProbeSnapshot last;
  std::uint64_t probes_total = 0;
  std::array<std::uint64_t, kFailureReasonCount> failures_total{};
  // The reasons it can fail with (PossibleFailures): exported at zero before they happen.
  FailureReasonSet possible_failures = FailureReasonSet().set();
  LatencyHistogram latency;
  eval::LbState lb_state = eval::LbState::kUnknown;
  // The last body: its format, parse error ("" when none), components (at most
  // TargetState::kMaxComponents) and how many more were dropped.
  eval::BodyFormat body_format = eval::BodyFormat::kNone;
  std::string body_error;
  std::vector<ComponentSnapshot> components;
  std::size_t components_dropped = 0;
  eval::CacheEvidence cache;
};

// "readiness", "liveness": the `check` label.
inline std::string_view ToString(config::HealthRole role) {
  return role == config::HealthRole::kLiveness ? "liveness" : "readiness";
}

struct SampleSnapshot {
  std::string name;  // the `sample` label
  std::uint64_t requests_total = 0;
  std::array<std::uint64_t, kFailureReasonCount> failures_total{};  // by FailureReason
  // The reasons it can fail with (PossibleFailures): exported at zero before they happen.
  FailureReasonSet possible_failures = FailureReasonSet().set();
  LatencyHistogram latency;  // every completed request, success or not
  // The last TLS handshake a sample made. Samples keep connections alive, so most requests
  // make none: this stays until the next one.
  std::optional<probe::TlsInfo> tls = std::nullopt;
};

// One completed probe, for the status page's "recent probes" (like blackbox's history).
struct RecentProbe {
  std::chrono::system_clock::time_point at{};
  std::string what;  // "health" or the sample name
  bool success = false;
  int status_code = 0;
  std::optional<FailureReason> error = std::nullopt;
  std::optional<FailureReason> reason;
  Duration duration{0};
  std::string error_detail;  // as HealthProbeSnapshot::error_detail
};

inline HealthCheckSnapshot BlankPrimaryCheck() {
  HealthCheckSnapshot check;
  check.primary = true;
  return check;
}

// What a real balancer (a sources entry) says about a target that names one.
struct RealLbSnapshot {
  std::string source;        // the sources name
  std::string_view type;     // config::ToString of its type: "haproxy", "prometheus"
  std::string server;        // "backend/server" as the balancer names it; empty: not found
  bool in_rotation = false;  // the balancer sends it traffic
  std::string state;         // sources::ToString of its state: "up", "going_down", ...
  // Answered, with the server, within three poll intervals: the verdict's LB side is this.
  bool fresh = false;
};

// What real users' traffic (a target's traffic_source) came to.
struct RealTrafficSnapshot {
  std::string source;                // the sources name
  std::string_view type;             // "haproxy", "nginx_log", "haproxy_log", "prometheus"
  std::string server;                // as the source names it; empty: not found at the last poll
  std::uint64_t requests_total = 0;  // counted since healthgap began reading
  std::uint64_t failures_total = 0;
  eval::TrafficSummary window;  // over the evaluation window
  bool fresh = false;           // polled with the server within three poll intervals
  bool decides = false;         // fresh, busy and decided: the user view is this
};

// Everything a target shows beside its checks, samples and recent probes: what is worked out
// when a snapshot or a scrape begins (the window, the evidence, the verdict), so a scrape can
// take this once per target and read the checks and samples live (Engine::Scrape).
struct TargetSummary {
  std::string name;
  std::string base_url;
  std::string module;  // the /probe module that probed it; empty for a configured target
  std::map<std::string, std::string> labels;
  eval::HealthSummary lb;  // the primary check as the verdict saw it
  // With an lb_source, a traffic_source; null without. Pointers, not optionals: most targets
  // have neither, and a scrape holds a summary per target (312 bytes inline otherwise).
  std::shared_ptr<const RealLbSnapshot> real_lb;
  std::shared_ptr<const RealTrafficSnapshot> real_traffic;
  // Where the verdict's sides came from: "emulated" (LB) and "synthetic" (API samples), or the
  // deciding source's type ("haproxy", "nginx_log", ...): the `source` label of
  // healthgap_view_source.
  std::string_view lb_view_source = "emulated";
  std::string_view api_view_source = "synthetic";
  eval::WindowSummary api_window;
  // What the user view's state rests on: the share of failed samples since it last changed
  // (within the window), with its interval (eval/api_detector.h).
  eval::ProportionEstimate api_evidence;
  eval::Decision decision;
  eval::DetachmentSignal detachment;  // primary health vs API latency
};

struct TargetSnapshot : TargetSummary {
  // Never empty: [0] is the primary check, the LB's view (what probe_* and healthgap_lb_*
  // export). A snapshot built by hand starts with a blank primary check.
  std::vector<HealthCheckSnapshot> checks{BlankPrimaryCheck()};
  std::vector<SampleSnapshot> samples;
  std::vector<RecentProbe> recent;  // newest last, at most TargetState::kRecentProbes

  const HealthCheckSnapshot& primary() const { return checks.front(); }
  HealthCheckSnapshot& primary() { return checks.front(); }
};

// One target as a scrape walks it: its summary, and its checks and samples as they stand.
// Valid only during the visit that hands it over.
struct TargetView {
  const TargetSummary& summary;
  std::span<const HealthCheckSnapshot> checks;  // never empty: [0] is the primary
  std::span<const SampleSnapshot> samples;
};

// The targets a scrape writes. The text format wants each family's series together, so the
// writer walks the fleet once per family: an implementation hands out views rather than
// copies where it can (Engine::LiveFleet reads each target's checks and samples in place).
class FleetView {
 public:
  virtual ~FleetView() = default;
  virtual std::size_t size() const = 0;
  // visit(i, target) for i = 0 .. size() - 1, in order; summaries stay put between walks.
  virtual void ForEach(const std::function<void(std::size_t, const TargetView&)>& visit) const = 0;
  // Target i's summary, the one ForEach hands over, without touching its live state.
  virtual const TargetSummary& summary(std::size_t i) const = 0;

 protected:
  FleetView() = default;
  FleetView(const FleetView&) = default;
  FleetView(FleetView&&) = default;
  FleetView& operator=(const FleetView&) = default;
  FleetView& operator=(FleetView&&) = default;
};

// Snapshots taken before, as a fleet: /probe's target, tests.
class SnapshotFleet final : public FleetView {
 public:
  explicit SnapshotFleet(std::span<const TargetSnapshot> targets) : targets_(targets) {}
  std::size_t size() const override { return targets_.size(); }
  void ForEach(const std::function<void(std::size_t, const TargetView&)>& visit) const override {
    for (std::size_t i = 0; i < targets_.size(); ++i) {
      visit(i, TargetView{targets_[i], targets_[i].checks, targets_[i].samples});
    }
  }
  const TargetSummary& summary(std::size_t i) const override { return targets_[i]; }

 private:
  std::span<const TargetSnapshot> targets_;
};

// Exporter self-observation.
struct EngineStats {
  std::uint64_t health_probes_sent = 0;
  std::uint64_t api_samples_sent = 0;
  std::uint64_t in_flight = 0;
  // Runs not sent because the job's previous run was still in flight (overload or a target
  // slower than its interval), and runs skipped because the loop fell more than an interval
  // behind.
  std::uint64_t skipped_in_flight = 0;
  std::uint64_t skipped_late = 0;
  // Runs not sent because Engine::Options::max_in_flight requests were in flight already.
  std::uint64_t skipped_capacity = 0;
  LatencyHistogram scheduling_lag;  // how late probes started against their schedule
};

// How much a snapshot holds: /metrics and /probe need the counters, the state and the verdict,
// the status page also the verdict's reason and each target's recent probes
// (TargetState::kRecentProbes of them, about half of a target's snapshot).
// kMetrics: counters, state and verdict. kFull: also the reason and the recent probes.
enum class SnapshotScope { kMetrics, kFull };

// One sources entry's polls.
struct SourceSnapshot {
  std::string name;
  std::string_view type;  // config::ToString of its type
  bool up = false;        // the last poll got an answer healthgap could read
  std::string error;      // why not, when it did not
  std::uint64_t polls_total = 0;
  std::uint64_t failures_total = 0;
};

struct EngineSnapshot {
  std::vector<TargetSnapshot> targets;
  EngineStats stats;
  std::vector<SourceSnapshot> sources;  // in config order
  // /probe targets as their last scrape left them (counters, state, verdict; no reason or
  // recent probes): for the status page and /api/v1/status.
  std::vector<TargetSnapshot> probed;
};

}  // namespace healthgap::engine
