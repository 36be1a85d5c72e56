#include "engine/scheduler.h"

#include "common/hash.h"

namespace healthgap::engine {

void Scheduler::Add(JobKey key, Duration interval, std::string_view name, TimePoint now,
                    Pace pace) {
  const auto ticks = static_cast<std::uint64_t>(interval.count());
  const Duration phase{ticks == 0 ? 0 : static_cast<Duration::rep>(StableHash(name) % ticks)};
  queue_.push(Entry{now + phase, interval, key, pace});
}

void Scheduler::Resume(JobKey key, TimePoint due) {
  const auto found = waiting_.find(std::tuple{key.target, key.sample, key.check});
  if (found == waiting_.end()) return;
  Entry entry = found->second;
  waiting_.erase(found);
  entry.due = due;
  queue_.push(entry);
}

std::vector<DueJob> Scheduler::PopDue(TimePoint now) {
  std::vector<DueJob> due;
  while (!queue_.empty() && queue_.top().due <= now) {
    Entry entry = queue_.top();
    queue_.pop();
    due.push_back(DueJob{entry.key, entry.due});
    if (entry.pace == Pace::kAfterCompletion) {
      waiting_.insert_or_assign(std::tuple{entry.key.target, entry.key.sample, entry.key.check},
                                entry);
      continue;
    }
    entry.due += entry.interval;
    if (entry.due <= now && entry.interval.count() > 0) {
      const auto missed = (now - entry.due) / entry.interval + 1;
      skipped_ += static_cast<std::uint64_t>(missed);
      entry.due += missed * entry.interval;
    }
    queue_.push(entry);
  }
  return due;
}

std::optional<TimePoint> Scheduler::NextDue() const {
  if (queue_.empty()) return std::nullopt;
  return queue_.top().due;
}

}  // namespace healthgap::engine
