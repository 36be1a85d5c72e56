#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/ring_buffer.h"
#include "config/config.h"
#include "engine/snapshot.h"
#include "eval/api_detector.h"
#include "eval/cache_evidence.h"
#include "eval/detachment.h"
#include "eval/health_body.h"
#include "eval/lb_view.h"
#include "eval/outcome.h"
#include "eval/sample_window.h"
#include "eval/traffic_view.h"
#include "eval/verdict.h"
#include "probe/http_client.h"
#include "sources/reading.h"

namespace healthgap::engine {

// Which of a target's jobs a request belongs to: one of its health checks (0 is the primary,
// config().health; i > 0 is config().other_health_checks[i - 1]) or one of its API samples.
struct Job {
  enum class Kind : std::uint8_t { kHealth, kSample };
  Kind kind = Kind::kHealth;
  std::size_t index = 0;

  static Job Health(std::size_t check) { return {Kind::kHealth, check}; }
  static Job Sample(std::size_t sample) { return {Kind::kSample, sample}; }
  bool operator==(const Job&) const = default;
};

// A result judged and parsed, ready to record: the pure, per-response part of recording
// (classification, the health body, cache facts), done by Judge before any lock is taken.
struct JudgedResult {
  Job job;
  probe::HttpResult result;
  eval::Outcome outcome;
  eval::BodyReport body;                                 // health jobs with a response
  std::optional<eval::HealthResponseFacts> cache_facts;  // health jobs with a response
  TimePoint now{};                                       // monotonic, when it completed
  std::chrono::system_clock::time_point at{};            // wall time, when it completed
};

// Judges `result` of `job` against `target` (the config the request was made under). A job
// index `target` does not have judges as a failure without a reason, which Record ignores.
JudgedResult Judge(const config::Target& target, Job job, probe::HttpResult result, TimePoint now,
                   std::chrono::system_clock::time_point at);
// The same with an outcome the caller decided (e.g. several health paths that must all pass).
JudgedResult Judge(Job job, probe::HttpResult result, eval::Outcome outcome, TimePoint now,
                   std::chrono::system_clock::time_point at);

// The reasons Judge can give a job under its config: the transport's for the check's protocol
// and those the config's own conditions add (status, *_mismatch, slow, grpc_*). /metrics
// exports a zero for each before its first failure, so rate() sees that failure; a reason
// outside the set still shows once it happens.
FailureReasonSet PossibleFailures(const config::HealthCheck& check);
FailureReasonSet PossibleFailures(const config::ApiSample& sample);

// Both sides of the verdict as a caller decided them, in place of the LB view's state and the
// window rule: `check`'s sequential test. The snapshot's `lb.state` becomes `health`; each
// check's own emulated LB state stays. A fresh real balancer's word and busy real traffic
// still beat them, as they beat the emulation and the samples.
struct DecidedSides {
  eval::LbState health = eval::LbState::kUnknown;
  eval::ApiState api = eval::ApiState::kWaiting;
};

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

  const config::Target& config() const { return *config_; }
  // The config, shared: what a request's callback judges its result against without the lock
  // (Adopt replaces the pointer, never the Target it points to).
  std::shared_ptr<const config::Target> shared_config() const { return config_; }
  // Takes a reloaded config for the same target, keeping history; false (nothing changed) when
  // the history cannot carry over (different LB thresholds or samples).
  bool Adopt(const config::Target& target);

  // Health checks of the target, indexed as Job::Health.
  std::size_t health_check_count() const { return checks_.size(); }
  const config::HealthCheck& health_check(std::size_t check) const;
  // For a check scheduled after completion: how long after this one ends the next starts, by
  // its LB view's phase (HAProxy: inter when fully up, downinter when fully down, fastinter in
  // between and while starting; each falls back to inter).
  Duration NextCheckDelay(std::size_t check) const;
  // How long after this run of `sample` ends the next starts: its interval, or an eighth of it
  // while the user view is unsettled (a run of failures while working, of successes while
  // failing, not yet decisive), so an outage or a recovery is called within about two
  // intervals (docs/detection.md).
  Duration NextSampleDelay(std::size_t sample) const;
  // The pace while unsettled: this many samples per interval.
  static constexpr int kConfirmationSpeedup = 8;

  // The one way a result enters the state, for `serve`, /probe and `check` alike: the LB view
  // of a health check, the window for an API sample, counters, and the recent probes. Ignored
  // for a job a reload removed. True when a health check now fails in the transport in a way
  // it did not on its previous probe (another reason or detail): worth a log line.
  bool Record(const JudgedResult& judged);

  // One run per job at a time: a load balancer never has two health checks to the same target
  // in flight, and an exporter that falls behind must shed load rather than queue it without
  // bound. False when the job's previous run has not completed yet: skip this run.
  bool TryStartJob(Job job);
  void FinishJob(Job job);

  // What the real balancer (the target's lb_source) said at `at`: the target's server, or none
  // found (`server` empty); trusted for the verdict until `stale_after` has passed.
  struct RealLbReport {
    std::string server;
    bool in_rotation = false;
    std::string state;
  };
  void RecordRealLb(const std::string& source, std::string_view type, const RealLbReport& report,
                    TimePoint at, Duration stale_after);
  // What real users' requests to the target's server (`server`, empty: none found) came to,
  // counted since the source's own start, at `at`: each poll's difference from the last enters
  // the traffic view (a decrease is the source's restart). With busy enough traffic, fresh
  // within `stale_after`, the traffic decides the user view and the samples fill in otherwise.
  void RecordRealTraffic(const std::string& source, std::string_view type,
                         const std::string& server,
                         std::optional<sources::TrafficCounters> counters, bool counted_from_zero,
                         TimePoint at, Duration stale_after);

  // The primary check's LB state: what the load balancer does with the target.
  eval::LbState lb_state() const { return checks_.front().lb.state(); }

  // The state as /metrics and the status page show it, with the window evaluated at `now`.
  TargetSnapshot Snapshot(TimePoint now, SnapshotScope scope = SnapshotScope::kFull,
                          std::optional<DecidedSides> sides = std::nullopt);
  // The same without the checks, samples and recent probes (the part worked out at `now`).
  TargetSummary Summarize(TimePoint now, SnapshotScope scope = SnapshotScope::kFull,
                          std::optional<DecidedSides> sides = std::nullopt);
  // The checks and samples as they stand, without a copy: valid until the next Record or
  // Adopt, so only under the owner's guard.
  std::span<const HealthCheckSnapshot> checks() const { return shown_checks_; }
  std::span<const SampleSnapshot> samples() const { return samples_; }

 private:
  // Index into job_running_: health checks first, then samples; nullopt for a job not here.
  std::optional<std::size_t> JobSlot(Job job) const;
  void Remember(const JudgedResult& judged);

  // One health check's LB view and what its responses gave away; what it shows (its last
  // probe, counters, components, cache evidence) is its entry in shown_checks_.
  struct Check {
    // `check` lives in config_'s Target: a pointer, not a copy (a HealthCheck is ~600 bytes
    // before its strings).
    explicit Check(const config::HealthCheck& check);
    const config::HealthCheck* config;
    eval::LbView lb;
    eval::BodyReport body;  // of the last response
    eval::CacheDetector cache;
    eval::HealthLatencies fast_latencies;  // successful probes, for the detachment signal
  };

  // Check i's config as its shown entry names it (role, type, path, URL, preset).
  void ShowConfig(std::size_t check);
  eval::Evidence EvidenceFor(const eval::WindowSummary& api) const;

  std::shared_ptr<const config::Target> config_;  // never null
  std::vector<Check> checks_;                     // parallel to health_check(i)
  // Parallel to checks_, kept current by Record: what a scrape reads in place.
  std::vector<HealthCheckSnapshot> shown_checks_;
  eval::SampleWindow window_;
  eval::ApiDetector detector_;  // the user view's state (eval/api_detector.h)
  struct RealLb {
    std::string source;
    std::string_view type;  // config::ToString's: static
    RealLbReport report;
    TimePoint at{};
    Duration stale_after{0};
  };
  std::optional<RealLb> real_lb_;
  struct RealTraffic {
    RealTraffic(Duration window, const eval::TrafficSettings& settings) : view(window, settings) {}
    std::string source;
    std::string_view type;
    std::string server;
    std::optional<sources::TrafficCounters> last;  // the source's counters at its last poll
    std::uint64_t requests_total = 0;              // counted into the view, since healthgap began
    std::uint64_t failures_total = 0;
    TimePoint at{};
    Duration stale_after{0};
    eval::TrafficView view;
  };
  std::optional<RealTraffic> real_traffic_;
  std::vector<SampleSnapshot> samples_;  // parallel to config_.samples
  // A completed probe as recent_ keeps it: its job rather than its name, the transport's words
  // only when it failed (48 bytes for the usual success instead of RecentProbe's 96).
  struct Recent {
    std::chrono::system_clock::time_point at{};
    Duration duration{0};
    std::shared_ptr<const std::string> error_detail;  // null when empty
    std::uint32_t job_index = 0;
    Job::Kind job_kind = Job::Kind::kHealth;
    bool success = false;
    std::optional<FailureReason> error;
    std::optional<FailureReason> reason;
    int status_code = 0;
  };
  RecentProbe Shown(const Recent& recent) const;
  RingBuffer<Recent> recent_{kRecentProbes};
  std::vector<char> job_running_;  // by JobSlot; char, not bool: addressable, no bit packing
};

}  // namespace healthgap::engine
