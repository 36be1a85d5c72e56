#pragma once

#include <chrono>

namespace healthgap::app {

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread. Call it before starting any thread:
// threads inherit the mask, so the signals stay pending until WaitForSignal takes them and no
// handler runs in a random thread.
void BlockTerminationSignals();

// Waits up to `timeout` for one of those signals; returns its number, or 0 on timeout.
int WaitForSignal(std::chrono::milliseconds timeout);

}  // namespace healthgap::app
