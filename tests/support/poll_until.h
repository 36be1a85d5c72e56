#pragma once

#include <chrono>
#include <thread>

namespace healthgap::testing {

// Polls `condition` until it holds or `timeout` passes; returns its last value. Tests wait
// for asynchronous effects with this instead of fixed sleeps. Thread-safe if `condition` is.
template <typename Condition>
bool PollUntil(Condition condition, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return condition();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace healthgap::testing
