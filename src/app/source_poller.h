#pragma once

// Reads the `sources` into the engine: each source on a thread of its own, polled every
// interval by its reader (sources/readers.h), so a stats socket that hangs or a Prometheus that
// stalls costs its own timeout and never another source's or a probe's.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "config/config.h"
#include "engine/engine.h"
#include "sources/readers.h"

namespace healthgap::app {

// The reader for `source`, or null with *error set (an address that does not parse).
std::unique_ptr<sources::SourceReader> MakeReader(const config::Source& source, std::string* error);

class SourcePoller {
 public:
  SourcePoller(const Clock& clock, engine::Engine& engine) : clock_(clock), engine_(engine) {}
  ~SourcePoller() { Stop(); }
  SourcePoller(const SourcePoller&) = delete;
  SourcePoller& operator=(const SourcePoller&) = delete;

  // Polls these sources from now on; unchanged sources keep polling undisturbed (a log keeps
  // its place).
  void Apply(const std::vector<config::Source>& sources);
  void Stop();

 private:
  struct Poll {
    config::Source source;
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
