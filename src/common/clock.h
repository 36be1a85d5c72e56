#pragma once

#include <chrono>
#include <mutex>
#include <thread>

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
  // Waits `d` on this clock: RealClock sleeps, FakeClock moves on at once, so logic that paces
  // itself (a one-shot check's rounds) is tested without sleeping.
  virtual void SleepFor(Duration d) const = 0;
};

class RealClock final : public Clock {
 public:
  // Clock
  TimePoint Now() const override { return SteadyClock::now(); }
  std::chrono::system_clock::time_point WallNow() const override {
    return std::chrono::system_clock::now();
  }
  void SleepFor(Duration d) const override { std::this_thread::sleep_for(d); }
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

  void SleepFor(Duration d) const override { Move(d); }

  void Advance(Duration d) { Move(d); }

 private:
  void Move(Duration d) const {
    std::lock_guard lock(mu_);
    now_ += d;
    wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
  }

  mutable std::mutex mu_;
  mutable TimePoint now_;  // mutable: sleeping on a const clock moves it
  mutable std::chrono::system_clock::time_point wall_;
};

inline double ToSeconds(Duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace healthgap
