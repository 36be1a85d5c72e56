#include "engine/engine.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <string>
#include <unordered_map>
#include <utility>

#include "common/hash.h"
#include "common/log.h"
#include "config/health_endpoint.h"
#include "engine/requests.h"
#include "engine/target_state.h"

namespace healthgap::engine {

// One target's state and the lock that guards it: completions, from any I/O loop, and scrapes
// take only this one. The engine's lock (State::mu) may be held while taking it, never the
// other way round.
struct Engine::Slot {
  explicit Slot(const config::Target& target) : affinity(StableHash(target.name)), state(target) {}
  // The target's HttpRequest::affinity, hashed once: its name never changes (Apply keeps a
  // slot only for the same name).
  const std::uint64_t affinity;
  mutable std::mutex mu;
  TargetState state;  // guarded by mu
};

struct Engine::State {
  // The target list, the schedule, the counters and the sources; no target's own state.
  mutable std::mutex mu;
  std::vector<std::shared_ptr<Slot>> targets;  // index = JobKey::target
  Scheduler scheduler;
  EngineStats stats;  // but in_flight, below
  std::atomic<std::uint64_t> in_flight{0};
  std::vector<config::Source> sources;
  std::vector<SourceSnapshot> source_status;  // parallel to sources
  // Wakes the loop: a new schedule, a stop, or a check resumed after its completion (which the
  // I/O thread reports, so it lives here, with what outlives the engine for late callbacks).
  std::condition_variable wake;
};

namespace {

Scheduler::Pace PaceOf(const config::HealthCheck& check) {
  return check.schedule == CheckSchedule::kAfterCompletion ? Scheduler::Pace::kAfterCompletion
                                                           : Scheduler::Pace::kFixedRate;
}

// API samples run after completion: their pace follows the user view (TargetState::
// NextSampleDelay).
constexpr Scheduler::Pace kSamplePace = Scheduler::Pace::kAfterCompletion;

bool PacedAfterCompletion(const TargetState& target, Job job) {
  const Scheduler::Pace pace =
      job.kind == Job::Kind::kSample ? kSamplePace : PaceOf(target.health_check(job.index));
  return pace == Scheduler::Pace::kAfterCompletion;
}

// When the next run of an after-completion job starts, counted from when this one ended.
Duration NextDelay(const TargetState& target, Job job) {
  return job.kind == Job::Kind::kSample ? target.NextSampleDelay(job.index)
                                        : target.NextCheckDelay(job.index);
}

}  // namespace

Engine::Engine(const Clock& clock, probe::HttpClient& client) : Engine(clock, client, Options{}) {}

Engine::Engine(const Clock& clock, probe::HttpClient& client, Options options)
    : clock_(clock), client_(client), options_(options), state_(std::make_shared<State>()) {}

Engine::~Engine() { Stop(); }

void Engine::Apply(const config::Config& config) {
  std::vector<std::shared_ptr<Slot>> targets;
  Scheduler scheduler;
  const TimePoint now = clock_.Now();
  {
    std::lock_guard lock(state_->mu);
    // Running targets by name (names are unique): matching each new target against every old
    // one was quadratic, under the lock the probes wait on, for every reload and file_sd change.
    std::unordered_map<std::string, std::size_t> running;
    running.reserve(state_->targets.size());
    for (std::size_t i = 0; i < state_->targets.size(); ++i) {
      running.emplace(state_->targets[i]->state.config().name, i);
    }
    for (const auto& target : config.targets) {
      std::shared_ptr<Slot> kept;
      if (const auto found = running.find(target.name); found != running.end()) {
        const std::shared_ptr<Slot>& old = state_->targets[found->second];
        std::lock_guard target_lock(old->mu);
        if (old->state.Adopt(target)) kept = old;
      }
      targets.push_back(kept ? std::move(kept) : std::make_shared<Slot>(target));
      const auto index = static_cast<std::uint32_t>(targets.size() - 1);
      scheduler.Add(JobKey{index, JobKey::kHealthJob, 0}, target.health.interval,
                    target.name + "/health", now, PaceOf(target.health));
      for (std::size_t c = 0; c < target.other_health_checks.size(); ++c) {
        const config::HealthCheck& check = target.other_health_checks[c];
        scheduler.Add(JobKey{index, JobKey::kHealthJob, static_cast<int>(c + 1)}, check.interval,
                      target.name + "/health/" + check.path, now, PaceOf(check));
      }
      for (std::size_t i = 0; i < target.samples.size(); ++i) {
        scheduler.Add(JobKey{index, static_cast<int>(i)}, target.samples[i].interval,
                      target.name + "/" + target.samples[i].name, now, kSamplePace);
      }
    }
    state_->targets = std::move(targets);
    // Sources by name keep their counters across a reload.
    std::vector<SourceSnapshot> status;
    for (const config::Source& source : config.sources) {
      SourceSnapshot& entry = status.emplace_back();
      entry.name = source.name;
      entry.type = config::ToString(source.type);
      for (const SourceSnapshot& old : state_->source_status) {
        if (old.name == source.name) entry = old;
      }
    }
    state_->sources = config.sources;
    state_->source_status = std::move(status);
    // The counter outlives the schedule it counted.
    state_->stats.skipped_late += state_->scheduler.skipped();
    state_->scheduler = std::move(scheduler);
  }
  state_->wake.notify_all();
}

void Engine::Start() {
  std::lock_guard lock(state_->mu);
  if (loop_.joinable()) return;
  stopping_ = false;
  loop_ = std::thread([this] { Loop(); });
}

void Engine::Stop() {
  {
    std::lock_guard lock(state_->mu);
    stopping_ = true;
  }
  state_->wake.notify_all();
  if (loop_.joinable()) loop_.join();
}

void Engine::Loop() {
  std::unique_lock lock(state_->mu);
  while (!stopping_) {
    const auto next = state_->scheduler.NextDue();
    if (next && *next <= clock_.Now()) {
      lock.unlock();
      DispatchDue();
      lock.lock();
      continue;
    }
    if (next) {
      state_->wake.wait_until(lock, *next);
    } else {
      state_->wake.wait(lock);
    }
  }
}

std::size_t Engine::DispatchDue() {
  struct Pending {
    probe::HttpRequest request;
    probe::HttpClient::Callback done;
  };
  std::vector<Pending> pending;
  {
    std::lock_guard lock(state_->mu);
    const TimePoint now = clock_.Now();
    for (const DueJob& job : state_->scheduler.PopDue(now)) {
      state_->stats.scheduling_lag.Observe(ToSeconds(now - job.due));
      std::shared_ptr<Slot> slot = state_->targets[job.key.target];
      std::lock_guard target_lock(slot->mu);
      TargetState& target = slot->state;
      const Job target_job = job.key.sample == JobKey::kHealthJob
                                 ? Job::Health(static_cast<std::size_t>(job.key.check))
                                 : Job::Sample(static_cast<std::size_t>(job.key.sample));
      const bool after_completion = PacedAfterCompletion(target, target_job);
      // At the bound, the run is shed here rather than queued behind the others, where it
      // would start late and its duration would count the wait.
      const bool at_capacity = options_.max_in_flight > 0 &&
                               state_->in_flight.load(std::memory_order_relaxed) + pending.size() >=
                                   options_.max_in_flight;
      if (at_capacity || !target.TryStartJob(target_job)) {
        ++(at_capacity ? state_->stats.skipped_capacity : state_->stats.skipped_in_flight);
        // A run in flight from before a reload resumes nothing here, nor does a shed one.
        if (after_completion) {
          state_->scheduler.Resume(job.key, now + NextDelay(target, target_job));
        }
        continue;
      }
      const config::Target& cfg = target.config();
      probe::HttpRequest request;
      if (target_job.kind == Job::Kind::kHealth) {
        request = HealthRequest(cfg, target.health_check(target_job.index));
        ++state_->stats.health_probes_sent;
      } else {
        request = SampleRequest(cfg, cfg.samples[target_job.index]);
        ++state_->stats.api_samples_sent;
      }
      request.affinity = slot->affinity;
      const Clock* clock = &clock_;
      std::weak_ptr<State> weak_state = state_;
      pending.push_back(
          {std::move(request), [weak_state, slot, config = target.shared_config(), target_job,
                                key = job.key, after_completion, clock](probe::HttpResult result) {
             auto state = weak_state.lock();
             if (!state) return;
             // Classification and body parsing first, without a lock.
             const JudgedResult judged =
                 Judge(*config, target_job, std::move(result), clock->Now(), clock->WallNow());
             Duration next_delay{0};
             {
               std::lock_guard target_lock(slot->mu);
               slot->state.FinishJob(target_job);
               slot->state.Record(judged);
               if (after_completion) next_delay = NextDelay(slot->state, target_job);
             }
             state->in_flight.fetch_sub(1, std::memory_order_relaxed);
             if (!after_completion) return;
             // The next run an interval after this one ended, by the state it left (only if
             // the schedule is still the one it was sent from).
             std::lock_guard lock(state->mu);
             if (key.target < state->targets.size() && state->targets[key.target] == slot) {
               state->scheduler.Resume(key, judged.now + next_delay);
               state->wake.notify_all();
             }
           }});
    }
    state_->in_flight.fetch_add(pending.size(), std::memory_order_relaxed);
  }
  for (auto& job : pending) client_.Send(std::move(job.request), std::move(job.done));
  return pending.size();
}

namespace {

// The server of `reading` that `target` is by `ref`: by backend/server name, or by the target
// URL's host:port; nullptr when there is none.
const sources::ServerReading* ServerOf(const config::Target& target, const config::SourceRef& ref,
                                       const sources::SourceReading& reading) {
  const std::string address = config::EndpointOf(target, config::HealthCheck{}).HostPort();
  return sources::FindServer(reading, ref.backend, ref.server, address);
}

}  // namespace

void Engine::RecordSource(const std::string& source, const sources::SourceReading& reading,
                          TimePoint at) {
  std::lock_guard lock(state_->mu);
  const auto index = static_cast<std::size_t>(
      std::find_if(state_->sources.begin(), state_->sources.end(),
                   [&source](const config::Source& s) { return s.name == source; }) -
      state_->sources.begin());
  if (index >= state_->sources.size()) return;  // a poll from before a reload removed it
  SourceSnapshot& status = state_->source_status[index];
  ++status.polls_total;
  status.up = reading.error.empty();
  status.error = reading.error;
  if (!status.up) {
    ++status.failures_total;
    return;
  }
  const config::Source& config_source = state_->sources[index];
  const std::string_view type = config::ToString(config_source.type);
  const Duration stale_after = 3 * config_source.interval;
  for (const std::shared_ptr<Slot>& slot : state_->targets) {
    std::lock_guard target_lock(slot->mu);
    TargetState* target = &slot->state;
    const config::Target& config = target->config();
    if (config.lb_source && config.lb_source->source == source) {
      TargetState::RealLbReport report;
      const sources::ServerReading* server = ServerOf(config, *config.lb_source, reading);
      if (server && server->in_rotation) {
        report.server = sources::DisplayName(*server);
        report.in_rotation = *server->in_rotation;
        report.state = server->state;
      }
      target->RecordRealLb(source, type, report, at, stale_after);
    }
    if (config.traffic_source && config.traffic_source->source == source) {
      const sources::ServerReading* server = ServerOf(config, *config.traffic_source, reading);
      const bool counted = server && server->traffic;
      target->RecordRealTraffic(source, type,
                                counted ? sources::DisplayName(*server) : std::string(),
                                counted ? server->traffic : std::nullopt,
                                counted && server->counted_from_zero, at, stale_after);
    }
  }
}

TimePoint Engine::CopyEngineState(EngineStats& stats, std::vector<SourceSnapshot>& sources,
                                  std::vector<std::shared_ptr<Slot>>& targets) const {
  std::lock_guard lock(state_->mu);
  stats = state_->stats;
  stats.in_flight = state_->in_flight.load(std::memory_order_relaxed);
  stats.skipped_late += state_->scheduler.skipped();
  sources = state_->source_status;
  targets = state_->targets;
  return clock_.Now();
}

EngineSnapshot Engine::Snapshot(SnapshotScope scope) const {
  EngineSnapshot snapshot;
  std::vector<std::shared_ptr<Slot>> targets;  // kept alive through a reload meanwhile
  const TimePoint now = CopyEngineState(snapshot.stats, snapshot.sources, targets);
  snapshot.targets.reserve(targets.size());
  for (const std::shared_ptr<Slot>& slot : targets) {
    std::lock_guard lock(slot->mu);
    snapshot.targets.push_back(slot->state.Snapshot(now, scope));
  }
  return snapshot;
}

Engine::LiveFleet Engine::Scrape() const {
  LiveFleet fleet;
  const TimePoint now = CopyEngineState(fleet.stats_, fleet.sources_, fleet.slots_);
  fleet.summaries_.reserve(fleet.slots_.size());
  for (const std::shared_ptr<Slot>& slot : fleet.slots_) {
    std::lock_guard lock(slot->mu);
    fleet.summaries_.push_back(slot->state.Summarize(now, SnapshotScope::kMetrics));
  }
  return fleet;
}

void Engine::LiveFleet::ForEach(
    const std::function<void(std::size_t, const TargetView&)>& visit) const {
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    std::lock_guard lock(slots_[i]->mu);
    const TargetState& state = slots_[i]->state;
    visit(i, TargetView{summaries_[i], state.checks(), state.samples()});
  }
}

}  // namespace healthgap::engine
