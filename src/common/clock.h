#pragma once

#include <chrono>
#include <mutex>

namespace healthgap {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;
using Duration = std::chrono::nanoseconds;

// Source of time for every piece of logic that schedules or windows. Injected so that state
// machines and windows are tested with FakeClock instead of sleeps.
// Thread-safe: implementations may be called from any thread.
class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time: scheduling, windows, durations.
  virtual TimePoint Now() const = 0;
  // Wall-clock time: only for timestamps shown to humans or exported as *_timestamp_seconds.
  virtual std::chrono::system_clock::time_point WallNow() const = 0;
};

class RealClock final : public Clock {
 public:
  // Clock
  TimePoint Now() const override { return SteadyClock::now(); }
  std::chrono::system_clock::time_point WallNow() const override {
    return std::chrono::system_clock::now();
  }
};

// A clock that moves only when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  FakeClock()
      : now_(TimePoint{} + std::chrono::hours(1)), wall_(std::chrono::hours(24 * 365 * 50)) {}

  // Clock
  TimePoint Now() const override {
    std::lock_guard lock(mu_);
    return now_;
  }
  std::chrono::system_clock::time_point WallNow() const override {
    std::lock_guard lock(mu_);
    return wall_;
  }

  void Advance(Duration d) {
    std::lock_guard lock(mu_);
    now_ += d;
    wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
  }

 private:
  mutable std::mutex mu_;
  TimePoint now_;
  std::chrono::system_clock::time_point wall_;
};

inline double ToSeconds(Duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace healthgap
