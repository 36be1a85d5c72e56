#pragma once

// Reads the real balancers of `lb_sources` into the engine: each source on a thread of its
// own, polled every interval with `show stat` (sources/haproxy_runtime.h), so a stats socket
// that hangs costs its own timeout and never another source's or a probe's.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "config/config.h"
#include "engine/engine.h"

namespace healthgap::app {

class LbSourcePoller {
 public:
  LbSourcePoller(const Clock& clock, engine::Engine& engine) : clock_(clock), engine_(engine) {}
  ~LbSourcePoller() { Stop(); }
  LbSourcePoller(const LbSourcePoller&) = delete;
  LbSourcePoller& operator=(const LbSourcePoller&) = delete;

  // Polls these sources from now on; unchanged sources keep polling undisturbed.
  void Apply(const std::vector<config::LbSource>& sources);
  void Stop();

 private:
  struct Poll {
    config::LbSource source;
    std::mutex mu;
    std::condition_variable wake;
    bool stopping = false;  // guarded by mu
    std::thread thread;
  };
  void Run(Poll& poll);
  static void Halt(Poll& poll);

  const Clock& clock_;
  engine::Engine& engine_;
  std::vector<std::unique_ptr<Poll>> polls_;  // touched by Apply and Stop only
};

}  // namespace healthgap::app
