#include "engine/engine.h"

#include <deque>
#include <string>
#include <utility>

#include "eval/lb_view.h"
#include "eval/outcome.h"
#include "eval/sample_window.h"
#include "eval/verdict.h"

namespace healthgap::engine {

namespace {

void CountFailure(std::array<std::uint64_t, eval::kFailureReasonCount>& counters,
                  const eval::Outcome& outcome) {
  if (outcome.reason) ++counters[static_cast<std::size_t>(*outcome.reason)];
}

bool SameThresholds(const config::HealthCheck& a, const config::HealthCheck& b) {
  return a.healthy_threshold == b.healthy_threshold &&
         a.unhealthy_threshold == b.unhealthy_threshold;
}

}  // namespace

struct Engine::TargetState {
  explicit TargetState(const config::Target& target)
      : config(target),
        lb(target.health.healthy_threshold, target.health.unhealthy_threshold),
        window(target.evaluation.window) {
    for (const auto& sample : target.samples) {
      samples.emplace_back().name = sample.name;
    }
  }

  config::Target config;
  eval::LbView lb;
  eval::SampleWindow window;
  HealthProbeSnapshot last_health;
  std::uint64_t health_probes_total = 0;
  std::array<std::uint64_t, eval::kFailureReasonCount> health_failures_total{};
  LatencyHistogram health_latency;
  std::vector<SampleSnapshot> samples;  // parallel to config.samples
  std::deque<RecentProbe> recent;

  void RecordHealth(const probe::HttpResult& result, std::chrono::system_clock::time_point at) {
    const eval::Outcome outcome = eval::Classify(result, config.health.expected_status);
    lb.Record(outcome.success);
    ++health_probes_total;
    CountFailure(health_failures_total, outcome);
    health_latency.Observe(ToSeconds(result.total));
    last_health = HealthProbeSnapshot{
        .has_result = true,
        .success = outcome.success,
        .status_code = result.status_code,
        .error = result.error,
        .phases = result.phases,
        .duration = result.total,
        .at = at,
    };
    Remember("health", outcome, result, at);
  }

  void RecordSample(std::size_t index, const probe::HttpResult& result, TimePoint now,
                    std::chrono::system_clock::time_point at) {
    if (index >= config.samples.size()) return;  // reloaded with fewer samples meanwhile
    const config::ApiSample& sample = config.samples[index];
    const eval::Outcome outcome =
        eval::Classify(result, sample.expected_status, sample.latency_budget);
    SampleSnapshot& counters = samples[index];
    ++counters.requests_total;
    CountFailure(counters.failures_total, outcome);
    counters.latency.Observe(ToSeconds(result.total));
    window.Add(eval::SampleRecord{now, outcome, result.total});
    Remember(sample.name, outcome, result, at);
  }

  void Remember(std::string what, const eval::Outcome& outcome, const probe::HttpResult& result,
                std::chrono::system_clock::time_point at) {
    if (recent.size() == kRecentProbes) recent.pop_front();
    recent.push_back(RecentProbe{
        .at = at,
        .what = std::move(what),
        .success = outcome.success,
        .status_code = result.status_code,
        .error = result.error,
        .reason = outcome.reason,
        .duration = result.total,
    });
  }
};

struct Engine::State {
  mutable std::mutex mu;
  std::vector<std::shared_ptr<TargetState>> targets;  // index = JobKey::target
  Scheduler scheduler;
  EngineStats stats;
};

Engine::Engine(const Clock& clock, probe::HttpClient& client)
    : clock_(clock), client_(client), state_(std::make_shared<State>()) {}

Engine::~Engine() { Stop(); }

void Engine::Apply(const config::Config& config) {
  std::vector<std::shared_ptr<TargetState>> targets;
  Scheduler scheduler;
  const TimePoint now = clock_.Now();
  {
    std::lock_guard lock(state_->mu);
    for (const auto& target : config.targets) {
      std::shared_ptr<TargetState> kept;
      for (const auto& old : state_->targets) {
        if (old->config.name == target.name && SameThresholds(old->config.health, target.health)) {
          kept = old;
          break;
        }
      }
      if (kept && kept->config.samples.size() == target.samples.size()) {
        kept->config = target;
        for (std::size_t i = 0; i < target.samples.size(); ++i) {
          if (kept->samples[i].name != target.samples[i].name) kept->samples[i] = SampleSnapshot{};
          kept->samples[i].name = target.samples[i].name;
        }
        targets.push_back(std::move(kept));
      } else {
        targets.push_back(std::make_shared<TargetState>(target));
      }
      const auto index = static_cast<std::uint32_t>(targets.size() - 1);
      scheduler.Add(JobKey{index, JobKey::kHealthJob}, target.health.interval,
                    target.name + "/health", now);
      for (std::size_t i = 0; i < target.samples.size(); ++i) {
        scheduler.Add(JobKey{index, static_cast<int>(i)}, target.samples[i].interval,
                      target.name + "/" + target.samples[i].name, now);
      }
    }
    state_->targets = std::move(targets);
    state_->scheduler = std::move(scheduler);
  }
  wake_.notify_all();
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
  wake_.notify_all();
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
      wake_.wait_until(lock, *next);
    } else {
      wake_.wait(lock);
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
      std::shared_ptr<TargetState> target = state_->targets[job.key.target];
      const config::Target& cfg = target->config;
      probe::HttpRequest request;
      request.max_body_bytes = cfg.max_body_bytes;
      std::weak_ptr<State> weak_state = state_;
      if (job.key.sample == JobKey::kHealthJob) {
        request.method = cfg.health.method;
        request.url = cfg.base_url + cfg.health.path;
        request.timeout = cfg.health.timeout;
        request.reuse_connection = false;  // load balancers probe on a fresh connection
        request.max_redirects = 0;         // and judge a 3xx by its status code
        ++state_->stats.health_probes_sent;
        const Clock* clock = &clock_;
        pending.push_back(
            {std::move(request), [weak_state, target, clock](probe::HttpResult result) {
               auto state = weak_state.lock();
               if (!state) return;
               std::lock_guard lock(state->mu);
               --state->stats.in_flight;
               target->RecordHealth(result, clock->WallNow());
             }});
      } else {
        const auto index = static_cast<std::size_t>(job.key.sample);
        const config::ApiSample& sample = cfg.samples[index];
        request.method = sample.method;
        request.url = cfg.base_url + sample.path;
        request.headers = sample.headers;
        request.body = sample.body;
        request.timeout = sample.timeout;
        request.reuse_connection = true;  // as users' clients and browsers do
        ++state_->stats.api_samples_sent;
        const Clock* clock = &clock_;
        pending.push_back(
            {std::move(request), [weak_state, target, index, clock](probe::HttpResult result) {
               auto state = weak_state.lock();
               if (!state) return;
               std::lock_guard lock(state->mu);
               --state->stats.in_flight;
               target->RecordSample(index, result, clock->Now(), clock->WallNow());
             }});
      }
      ++state_->stats.in_flight;
    }
  }
  for (auto& job : pending) client_.Send(std::move(job.request), std::move(job.done));
  return pending.size();
}

EngineSnapshot Engine::Snapshot() const {
  EngineSnapshot snapshot;
  std::lock_guard lock(state_->mu);
  const TimePoint now = clock_.Now();
  snapshot.stats = state_->stats;
  snapshot.targets.reserve(state_->targets.size());
  for (const auto& target : state_->targets) {
    TargetSnapshot& out = snapshot.targets.emplace_back();
    out.name = target->config.name;
    out.base_url = target->config.base_url;
    out.labels = target->config.labels;
    out.last_health = target->last_health;
    out.health_probes_total = target->health_probes_total;
    out.health_failures_total = target->health_failures_total;
    out.health_latency = target->health_latency;
    out.lb = eval::HealthSummary{
        .state = target->lb.state(),
        .last_status = target->last_health.status_code,
        .last_latency = target->last_health.duration,
        .last_error = target->last_health.error,
    };
    out.api_window = target->window.Summarize(now);
    out.decision = eval::Decide(out.lb, out.api_window, target->config.evaluation);
    out.samples = target->samples;
    out.recent.assign(target->recent.begin(), target->recent.end());
  }
  return snapshot;
}

}  // namespace healthgap::engine
