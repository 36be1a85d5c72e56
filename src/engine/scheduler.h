#pragma once

#include <cstdint>
#include <optional>
#include <queue>
#include <string_view>
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
  // `name` only seeds the phase; the first run is within one interval of `now`.
  void Add(JobKey key, Duration interval, std::string_view name, TimePoint now);

  // Jobs due at or before `now`, earliest first; each is rescheduled one interval later. A job
  // more than one interval late skips the missed runs rather than bursting to catch up.
  std::vector<DueJob> PopDue(TimePoint now);

  std::optional<TimePoint> NextDue() const;
  std::size_t size() const { return queue_.size(); }
  // Runs skipped because the loop fell more than an interval behind.
  std::uint64_t skipped() const { return skipped_; }

 private:
  struct Entry {
    TimePoint due;
    Duration interval;
    JobKey key;
    bool operator>(const Entry& other) const { return due > other.due; }
  };
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> queue_;
  std::uint64_t skipped_ = 0;
};

}  // namespace healthgap::engine
