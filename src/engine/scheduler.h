#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <queue>
#include <string_view>
#include <tuple>
#include <vector>

#include "common/clock.h"

namespace healthgap::engine {

// Identifies one periodic job: a target's health check (sample == kHealthJob) or one of its
// API samples.
struct JobKey {
  static constexpr int kHealthJob = -1;
  std::uint32_t target = 0;  // index into the engine's target table
  int sample = kHealthJob;
  int check = 0;  // for a health job: which of the target's health checks (0: the primary)
  bool operator==(const JobKey&) const = default;
};

struct DueJob {
  JobKey key;
  TimePoint due;  // when it should have started; now - due is the scheduling lag
};

// Fixed-interval schedule for many periodic jobs. Each job's phase within its interval comes
// from a stable hash of its name, so thousands of probes spread evenly instead of firing in
// lockstep, and a restart keeps the same spread (as Prometheus does with scrape offsets).
// Pure and clock-free: callers pass `now`. Not thread-safe.
class Scheduler {
 public:
  // How a job's next run is set: one interval after the last was due (fixed rate), or by the
  // caller once the run has finished (Resume), as HAProxy schedules its checks.
  enum class Pace { kFixedRate, kAfterCompletion };

  // `name` only seeds the phase; the first run is within one interval of `now`.
  void Add(JobKey key, Duration interval, std::string_view name, TimePoint now,
           Pace pace = Pace::kFixedRate);

  // Jobs due at or before `now`, earliest first. A fixed-rate job is rescheduled one interval
  // later, and one more than an interval late skips the missed runs rather than bursting to
  // catch up; an after-completion job waits for Resume.
  std::vector<DueJob> PopDue(TimePoint now);

  // Schedules a popped after-completion job to run at `due`. A job that is not waiting (a
  // completion from before a reload rebuilt the schedule) is left as it is.
  void Resume(JobKey key, TimePoint due);

  std::optional<TimePoint> NextDue() const;
  std::size_t size() const { return queue_.size() + waiting_.size(); }
  // Runs skipped because the loop fell more than an interval behind.
  std::uint64_t skipped() const { return skipped_; }

 private:
  struct Entry {
    TimePoint due;
    Duration interval;
    JobKey key;
    Pace pace = Pace::kFixedRate;
    bool operator>(const Entry& other) const { return due > other.due; }
  };
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> queue_;
  // Popped after-completion jobs, by (target, sample, check): one per probe in flight.
  std::map<std::tuple<std::uint32_t, int, int>, Entry> waiting_;
  std::uint64_t skipped_ = 0;
};

}  // namespace healthgap::engine
