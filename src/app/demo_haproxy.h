#pragma once

// `healthgap demo --with-haproxy`: a real HAProxy (when installed) in front of a few demo
// backends, its stats socket read as a `haproxy` source and users' requests sent through it, so
// the demo shows the balancer's own view and real traffic beside the emulated view and the
// samples (docs/sources.md).

#include <sys/types.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace healthgap::app {

struct DemoHaproxyBackend {
  std::string name;       // the demo target's name
  std::string host_port;  // where its backend listens
};

class DemoHaproxy {
 public:
  // Starts HAProxy with one frontend and backend per entry, and the users. On failure
  // (no haproxy on PATH, it does not start) ok() is false and error() says why.
  explicit DemoHaproxy(const std::vector<DemoHaproxyBackend>& backends);
  ~DemoHaproxy();
  DemoHaproxy(const DemoHaproxy&) = delete;
  DemoHaproxy& operator=(const DemoHaproxy&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  // The config lines that make the demo's targets use HAProxy: the `sources:` section, and
  // each target's lb_source and traffic_source lines (empty for a target not behind HAProxy).
  std::string SourcesYaml() const;
  std::string TargetYaml(const std::string& name) const;

 private:
  void RunUsers();

  std::vector<DemoHaproxyBackend> backends_;
  std::string dir_;
  pid_t pid_ = -1;
  std::string error_;
  std::atomic<bool> stopping_{false};
  std::thread users_;
};

}  // namespace healthgap::app
