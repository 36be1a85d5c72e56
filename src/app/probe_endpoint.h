#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "config/allowlist.h"
#include "config/config.h"
#include "engine/snapshot.h"
#include "probe/http_client.h"
#include "server/exporter_server.h"

namespace healthgap::app {

// GET /probe?target=URL&module=NAME[&debug=true]: blackbox_exporter's multi-target pattern. Runs
// one paired evaluation (health + API samples of the module) against the target at scrape time and
// answers with its metrics in a fresh registry, under the same names as background mode.
// Each (module, target) keeps its state between scrapes, as a load balancer keeps its view
// between health checks: counters count, the LB view applies the module's thresholds over
// consecutive scrapes, and the error ratio spans the module's window, so the rules and
// dashboards written for background mode work unchanged. That state is bounded
// (kMaxTrackedTargets, least recently scraped dropped first) and forgotten after kForgetAfter
// without a scrape.
// debug=true answers a readable trace of the probe (app/probe_trace.h) instead of the metrics;
// the probe counts as any other.
// Refuses (403) every target the config's probe.allow rules do not allow: without that, anyone
// who can reach the exporter could make it send requests anywhere (an open proxy).
// Thread-safe.
class ProbeEndpoint {
 public:
  // Scrape timeout minus this is the run's budget, leaving Prometheus time to read the answer
  // (blackbox_exporter's --timeout-offset).
  static constexpr double kTimeoutOffsetSeconds = 0.5;
  static constexpr std::size_t kMaxTrackedTargets = 10'000;
  static constexpr std::chrono::hours kForgetAfter{1};

  struct Counters {
    std::uint64_t ok = 0;
    std::uint64_t refused = 0;  // not allowed by probe.allow
    std::uint64_t invalid = 0;  // missing or malformed target, unknown module
  };

  // Resolves target host names with getaddrinfo.
  ProbeEndpoint(const Clock& clock, probe::HttpClient& client);
  // `resolver` checks host names against probe.allow; it must outlive the endpoint.
  // `max_tracked_targets` bounds the state (tests use a small one).
  ProbeEndpoint(const Clock& clock, probe::HttpClient& client, const config::Resolver& resolver,
                std::size_t max_tracked_targets = kMaxTrackedTargets);

  // Takes the modules and allow rules of a newly loaded config.
  void Configure(const config::Config& config);

  server::HttpReply Handle(const server::ProbeRequest& request);

  // The `target` label (and state key) of a /probe target: its normalised URL (lower-case
  // scheme and host, no trailing dot, default port or trailing slash), "http://" left out as
  // blackbox_exporter's host:port targets are written. So "127.0.0.2:19002",
  // "HTTP://127.0.0.2:19002/" and "http://127.0.0.2:19002" are one target, not three.
  static std::string TargetLabel(std::string_view normalized_url);

  // The time a scrape may spend probing: the scrape timeout less kTimeoutOffsetSeconds, at
  // least 0.1 s, and never more than the module's own worst case (every round waiting out its
  // slowest timeout), so any header value, however large, stays a plain duration.
  static Duration Budget(double scrape_timeout_seconds, const config::Module& module);

  Counters counters() const;
  // Every tracked (module, target) as its last scrape left it, oldest scrape first.
  std::vector<engine::TargetSnapshot> Snapshots() const;
  // (module, target) pairs whose state is kept now.
  std::size_t tracked_targets() const;

 private:
  struct Tracked;
  // The state for (module, target), created on first use; evicts what is stale or over the
  // bound. Called with mu_ held.
  std::shared_ptr<Tracked> Track(const std::string& module_name, const config::Module& module,
                                 const std::string& target, const std::string& base_url);

  // What Configure took from a config: replaced whole, so a scrape reads it without copying.
  struct Settings {
    std::map<std::string, config::Module> modules;
    config::ProbeSettings probe;
  };

  const Clock& clock_;
  probe::HttpClient& client_;
  const config::Resolver& resolver_;
  const std::size_t max_tracked_targets_;
  mutable std::mutex mu_;
  std::shared_ptr<const Settings> settings_;                 // guarded by mu_
  std::map<std::string, std::shared_ptr<Tracked>> tracked_;  // guarded by mu_
  std::atomic<std::uint64_t> ok_{0};
  std::atomic<std::uint64_t> refused_{0};
  std::atomic<std::uint64_t> invalid_{0};
};

}  // namespace healthgap::app
