#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "config/config.h"
#include "engine/scheduler.h"
#include "engine/snapshot.h"
#include "engine/target_state.h"
#include "probe/http_client.h"
#include "sources/reading.h"

namespace healthgap::engine {

// Runs the configured probes on schedule and keeps each target's LB view, user view and
// counters. Probing is asynchronous through `client`; completions update state on the client's
// thread. Thread-safe.
class Engine {
 public:
  struct Options {
    // Requests in flight at most: a run due beyond it is skipped and counted
    // (healthgap_probes_skipped_total{reason="capacity"}), never queued; 0: no bound.
    std::size_t max_in_flight = 0;
  };

  Engine(const Clock& clock, probe::HttpClient& client);
  Engine(const Clock& clock, probe::HttpClient& client, Options options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Atomically replaces the target set. A target whose name stays keeps its history (counters,
  // window, LB view) unless its health thresholds changed; removed targets are dropped, and
  // their in-flight probes complete into the void.
  void Apply(const config::Config& config);

  // Background scheduling on a thread that waits for the next due job. Needs a clock that
  // follows SteadyClock (RealClock); with FakeClock, drive DispatchDue() by hand instead.
  void Start();
  void Stop();

  // Sends every job due at clock.Now(); returns how many were sent.
  std::size_t DispatchDue();

  // Every target, each consistent in itself (taken under its own lock, one after another).
  EngineSnapshot Snapshot(SnapshotScope scope = SnapshotScope::kFull) const;

  // The targets for one /metrics scrape without a copy of each (kMetrics scope): see LiveFleet.
  class LiveFleet;
  LiveFleet Scrape() const;

  // What `source` (a sources entry) answered at `at`, or why it did not (reading.error): every
  // target naming it as lb_source takes its server's state, every one naming it as
  // traffic_source its server's traffic. A failed poll changes no target: what the last good
  // one said stands until it is stale (three intervals), and no traffic is made up meanwhile.
  void RecordSource(const std::string& source, const sources::SourceReading& reading, TimePoint at);

 private:
  struct State;
  struct Slot;

  void Loop();
  // The stats, the sources' polls and the target list as they stand; returns the time they
  // stand at.
  TimePoint CopyEngineState(EngineStats& stats, std::vector<SourceSnapshot>& sources,
                            std::vector<std::shared_ptr<Slot>>& targets) const;

  const Clock& clock_;
  probe::HttpClient& client_;
  const Options options_;
  // Shared with in-flight callbacks so a completion arriving after destruction stays safe.
  std::shared_ptr<State> state_;
  bool stopping_ = false;  // guarded by state_->mu
  std::thread loop_;
};

// What a scrape walks: each target's summary (window, evidence, verdict) worked out once, when
// the scrape begins, and its checks and samples read in place under its own lock on every walk,
// so a scrape of 40,000 targets holds summaries, not 40,000 copies of their histograms. A
// counter can move on between two families of one scrape, as between two scrapes; each series
// is read whole. Keeps its targets alive through a reload meanwhile.
class Engine::LiveFleet final : public FleetView {
 public:
  std::size_t size() const override { return slots_.size(); }
  void ForEach(const std::function<void(std::size_t, const TargetView&)>& visit) const override;
  const TargetSummary& summary(std::size_t i) const override { return summaries_[i]; }

  const EngineStats& stats() const { return stats_; }
  const std::vector<SourceSnapshot>& sources() const { return sources_; }

 private:
  friend class Engine;
  std::vector<std::shared_ptr<Slot>> slots_;
  std::vector<TargetSummary> summaries_;  // parallel to slots_
  EngineStats stats_;
  std::vector<SourceSnapshot> sources_;
};

}  // namespace healthgap::engine
