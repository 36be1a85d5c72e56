#pragma once

#include <chrono>
#include <deque>
#include <string>
#include <vector>

#include "config/config.h"
#include "engine/snapshot.h"
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

  explicit TargetState(const config::Target& target);

  const config::Target& config() const { return config_; }
  // Takes a reloaded config for the same target, keeping history; false (nothing changed) when
  // the history cannot carry over (different LB thresholds or samples).
  bool Adopt(const config::Target& target);

  // A health probe judged against the target's health check.
  void RecordHealth(const probe::HttpResult& result, std::chrono::system_clock::time_point at);
  // A health probe whose outcome the caller decided (e.g. several health paths that must all
  // pass).
  void RecordHealth(const probe::HttpResult& result, const eval::Outcome& outcome,
                    std::chrono::system_clock::time_point at);
  // An API sample for config().samples[index], and how it was judged; ignored (a failure with
  // no reason) for an index a reload removed.
  eval::Outcome RecordSample(std::size_t index, const probe::HttpResult& result, TimePoint now,
                             std::chrono::system_clock::time_point at);

  eval::LbState lb_state() const { return lb_.state(); }

  // The state as /metrics and the status page show it, with the window evaluated at `now`.
  TargetSnapshot Snapshot(TimePoint now);

 private:
  void Remember(std::string what, const eval::Outcome& outcome, const probe::HttpResult& result,
                std::chrono::system_clock::time_point at);

  config::Target config_;
  eval::LbView lb_;
  eval::SampleWindow window_;
  HealthProbeSnapshot last_health_;
  std::uint64_t health_probes_total_ = 0;
  std::array<std::uint64_t, eval::kFailureReasonCount> health_failures_total_{};
  LatencyHistogram health_latency_;
  std::vector<SampleSnapshot> samples_;  // parallel to config_.samples
  std::deque<RecentProbe> recent_;
};

}  // namespace healthgap::engine
