#pragma once

#include <chrono>
#include <deque>
#include <string>
#include <vector>

#include "config/config.h"
#include "engine/snapshot.h"
#include "eval/cache_evidence.h"
#include "eval/detachment.h"
#include "eval/health_body.h"
#include "eval/lb_view.h"
#include "eval/outcome.h"
#include "eval/sample_window.h"
#include "probe/http_client.h"

namespace healthgap::engine {

// Everything healthgap knows about one target: the LB view fed by health probes, the user view
// fed by API samples, and the counters behind /metrics. The one place results are accounted,
// for the background engine and for one-shot paired probes alike. Not thread-safe: the owner
// guards it.
class TargetState {
 public:
  // Completed probes kept for the status page.
  static constexpr std::size_t kRecentProbes = 20;
  // Body components exported per health check; the rest are dropped and counted.
  static constexpr std::size_t kMaxComponents = 32;

  explicit TargetState(const config::Target& target);

  const config::Target& config() const { return config_; }
  // Takes a reloaded config for the same target, keeping history; false (nothing changed) when
  // the history cannot carry over (different LB thresholds or samples).
  bool Adopt(const config::Target& target);

  // Health checks of the target: 0 is config().health (the primary, the one the verdict
  // follows), i > 0 is config().other_health_checks[i - 1].
  std::size_t health_check_count() const { return checks_.size(); }
  const config::HealthCheck& health_check(std::size_t check) const;

  // A health probe of `check`, judged against that check. Its body is parsed for components and
  // its headers and body feed the cache detector; `now` is monotonic, `at` wall time. Ignored for
  // a check index a reload removed.
  void RecordHealth(std::size_t check, const probe::HttpResult& result, TimePoint now,
                    std::chrono::system_clock::time_point at);
  // The same with an outcome the caller decided (e.g. several health paths that must all pass).
  void RecordHealth(std::size_t check, const probe::HttpResult& result,
                    const eval::Outcome& outcome, TimePoint now,
                    std::chrono::system_clock::time_point at);
  // An API sample for config().samples[index], and how it was judged; ignored (a failure with
  // no reason) for an index a reload removed.
  eval::Outcome RecordSample(std::size_t index, const probe::HttpResult& result, TimePoint now,
                             std::chrono::system_clock::time_point at);

  // The primary check's LB state: what the load balancer does with the target.
  // One run per job at a time: a load balancer never has two health checks to the same target
  // in flight, and an exporter that falls behind must shed load rather than queue it without
  // bound. A job is a health check (its index) or an API sample (health_check_count() + its
  // index). False when the job's previous run has not completed yet: skip this run.
  bool TryStartJob(std::size_t job);
  void FinishJob(std::size_t job);

  eval::LbState lb_state() const { return checks_.front().lb.state(); }

  // The state as /metrics and the status page show it, with the window evaluated at `now`.
  TargetSnapshot Snapshot(TimePoint now, SnapshotScope scope = SnapshotScope::kWithRecentProbes);

 private:
  std::vector<char> job_running_;  // by job; char, not bool: addressable, no bit packing

  void Remember(std::string what, const eval::Outcome& outcome, const probe::HttpResult& result,
                std::chrono::system_clock::time_point at);

  // One health check's LB view, counters and what its responses gave away.
  struct Check {
    explicit Check(const config::HealthCheck& check);
    config::HealthCheck config;
    eval::LbView lb;
    HealthProbeSnapshot last;
    std::uint64_t probes_total = 0;
    std::array<std::uint64_t, kFailureReasonCount> failures_total{};
    LatencyHistogram latency;
    eval::BodyReport body;  // of the last response
    eval::CacheDetector cache;
    eval::CacheEvidence cache_evidence;
    eval::HealthLatencies fast_latencies;  // successful probes, for the detachment signal
  };

  HealthCheckSnapshot SnapshotCheck(const Check& check) const;
  eval::Evidence EvidenceFor(const eval::WindowSummary& api) const;

  config::Target config_;
  std::vector<Check> checks_;  // parallel to health_check(i)
  eval::SampleWindow window_;
  std::vector<SampleSnapshot> samples_;  // parallel to config_.samples
  std::deque<RecentProbe> recent_;
};

}  // namespace healthgap::engine
