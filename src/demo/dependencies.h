#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>

namespace healthgap::demo {

// The pieces of a simulated application that the failure modes break: dependencies that can be
// down, a connection pool that can leak, and a lock that can deadlock. Each wait is bounded or
// interruptible so a broken demo backend still stops promptly.

// A remote dependency (database, recommendations service) the demo can take down.
// Thread-safe.
class SimulatedDependency {
 public:
  SimulatedDependency(std::string name, std::string address, bool up);

  void SetUp(bool up);
  bool up() const;
  const std::string& name() const { return name_; }

  // The equivalent of `SELECT 1` / a ping: "ok", or "error: <driver message>" as a deep health
  // check would report it.
  std::string Check() const;

 private:
  const std::string name_;
  const std::string address_;
  mutable std::mutex mu_;
  bool up_;
};

enum class WaitOutcome {
  kAcquired,
  kTimedOut,
  kClosed,  // Close() was called: the app is shutting down
};

// Fixed-size pool of connections. Thread-safe.
class ConnectionPool {
 public:
  // A borrowed connection, returned to the pool on destruction. Move-only.
  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&& other) noexcept;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();

    bool valid() const { return pool_ != nullptr; }

   private:
    friend class ConnectionPool;
    explicit Lease(ConnectionPool* pool) : pool_(pool) {}
    ConnectionPool* pool_ = nullptr;
  };

  struct AcquireResult {
    WaitOutcome outcome = WaitOutcome::kTimedOut;
    Lease lease;  // valid only when outcome == kAcquired
  };

  explicit ConnectionPool(int size);
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Waits up to `max_wait` for a free connection, as SQLAlchemy's pool_timeout does.
  AcquireResult Acquire(std::chrono::milliseconds max_wait);

  // The bug being simulated: takes a connection and never gives it back. False when none is free.
  bool Leak();

  // Wakes every waiter with kClosed; later Acquire calls return kClosed at once.
  void Close();

  int size() const { return size_; }
  int in_use() const;

 private:
  void Release();

  const int size_;
  mutable std::mutex mu_;
  std::condition_variable freed_;
  int in_use_ = 0;
  bool closed_ = false;
};

// A mutex whose waiters Close() releases, so that threads stuck in a simulated deadlock can
// still be stopped. Not recursive. Thread-safe.
class InterruptibleLock {
 public:
  InterruptibleLock() = default;
  InterruptibleLock(const InterruptibleLock&) = delete;
  InterruptibleLock& operator=(const InterruptibleLock&) = delete;

  // Waits until the lock is free (kAcquired), `max_wait` passes (kTimedOut) or Close() is called
  // (kClosed).
  WaitOutcome AcquireFor(std::chrono::milliseconds max_wait);
  // Waits without a time limit: only acquiring or Close() ends it.
  WaitOutcome Acquire();
  // Must be called by whoever acquired it.
  void Release();
  void Close();

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  bool held_ = false;
  bool closed_ = false;
};

}  // namespace healthgap::demo
