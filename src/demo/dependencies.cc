#include "demo/dependencies.h"

#include <utility>

namespace healthgap::demo {

SimulatedDependency::SimulatedDependency(std::string name, std::string address, bool up)
    : name_(std::move(name)), address_(std::move(address)), up_(up) {}

void SimulatedDependency::SetUp(bool up) {
  std::lock_guard lock(mu_);
  up_ = up;
}

bool SimulatedDependency::up() const {
  std::lock_guard lock(mu_);
  return up_;
}

std::string SimulatedDependency::Check() const {
  if (up()) return "ok";
  return "error: connection refused (" + address_ + ")";
}

ConnectionPool::Lease::Lease(Lease&& other) noexcept : pool_(std::exchange(other.pool_, nullptr)) {}

ConnectionPool::Lease& ConnectionPool::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    if (pool_ != nullptr) pool_->Release();
    pool_ = std::exchange(other.pool_, nullptr);
  }
  return *this;
}

ConnectionPool::Lease::~Lease() {
  if (pool_ != nullptr) pool_->Release();
}

ConnectionPool::ConnectionPool(int size) : size_(size) {}

ConnectionPool::AcquireResult ConnectionPool::Acquire(std::chrono::milliseconds max_wait) {
  std::unique_lock lock(mu_);
  const bool woke = freed_.wait_for(lock, max_wait, [&] { return closed_ || in_use_ < size_; });
  if (closed_) return {WaitOutcome::kClosed, Lease()};
  if (!woke) return {WaitOutcome::kTimedOut, Lease()};
  ++in_use_;
  return {WaitOutcome::kAcquired, Lease(this)};
}

bool ConnectionPool::Leak() {
  std::lock_guard lock(mu_);
  if (closed_ || in_use_ >= size_) return false;
  ++in_use_;
  return true;
}

void ConnectionPool::Close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  freed_.notify_all();
}

int ConnectionPool::in_use() const {
  std::lock_guard lock(mu_);
  return in_use_;
}

void ConnectionPool::Release() {
  {
    std::lock_guard lock(mu_);
    --in_use_;
  }
  freed_.notify_one();
}

WaitOutcome InterruptibleLock::AcquireFor(std::chrono::milliseconds max_wait) {
  std::unique_lock lock(mu_);
  const bool woke = changed_.wait_for(lock, max_wait, [&] { return closed_ || !held_; });
  if (closed_) return WaitOutcome::kClosed;
  if (!woke) return WaitOutcome::kTimedOut;
  held_ = true;
  return WaitOutcome::kAcquired;
}

WaitOutcome InterruptibleLock::Acquire() {
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] { return closed_ || !held_; });
  if (closed_) return WaitOutcome::kClosed;
  held_ = true;
  return WaitOutcome::kAcquired;
}

void InterruptibleLock::Release() {
  {
    std::lock_guard lock(mu_);
    held_ = false;
  }
  changed_.notify_all();
}

void InterruptibleLock::Close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  changed_.notify_all();
}

}  // namespace healthgap::demo
