#include "app/probe_endpoint.h"

#include <algorithm>

#include "app/probe_trace.h"
#include "config/allowlist.h"
#include "config/health_endpoint.h"
#include "config/values.h"
#include "engine/paired_probe.h"
#include "engine/target_state.h"
#include "metrics/collector.h"

namespace healthgap::app {

struct ProbeEndpoint::Tracked {
  explicit Tracked(const config::Target& target) : state(target) {}
  std::mutex mu;  // one scrape at a time per (module, target)
  engine::TargetState state;
  TimePoint last_used{};  // guarded by ProbeEndpoint::mu_
  // What the last scrape returned, for the status page; guarded by ProbeEndpoint::mu_.
  std::shared_ptr<const engine::TargetSnapshot> last;
};

namespace {

// A tcp or grpc check connects to the target's host, maybe on a port (or scheme) of its own: a
// connection the target URL's decision did not cover, so each must pass the allowlist too. Its
// pins join `resolve`. Returns why one is refused, or "" when all pass.
std::string RefusedCheckEndpoint(const std::vector<config::AllowRule>& rules,
                                 const config::Module& module, const std::string& url,
                                 const config::Resolver& resolver,
                                 std::vector<std::string>& resolve) {
  config::Target target;
  target.base_url = url;
  std::vector<const config::HealthCheck*> checks = {&module.health};
  for (const config::HealthCheck& other : module.other_health_checks) checks.push_back(&other);
  for (const config::HealthCheck* check : checks) {
    if (check->type == config::HealthCheckType::kHttp) continue;
    const config::HealthEndpoint endpoint = config::EndpointOf(target, *check);
    const std::string connection =
        std::string(endpoint.tls ? "https://" : "http://") + endpoint.HostPort();
    const config::ProbeAllowDecision decision =
        config::CheckProbeTarget(rules, connection, resolver);
    if (!decision.allowed) {
      return "the " + std::string(config::ToString(check->type)) + " health check's " + connection +
             " is not allowed: " + decision.reason;
    }
    resolve.insert(resolve.end(), decision.resolve.begin(), decision.resolve.end());
  }
  return "";
}

server::HttpReply Refuse(int status, std::string message) {
  return server::HttpReply{status, std::move(message) + "\n", "text/plain; charset=utf-8"};
}

const config::Resolver& SystemResolver() {
  static const config::SystemResolver resolver;  // stateless
  return resolver;
}

// Every redirect hop of a /probe request passes the allowlist the first request passed, DNS
// pinning included: a target must not be able to send healthgap where the caller could not.
class AllowlistRedirectGuard final : public probe::RedirectGuard {
 public:
  AllowlistRedirectGuard(std::vector<config::AllowRule> rules, const config::Resolver& resolver)
      : rules_(std::move(rules)), resolver_(resolver) {}

  std::string Refusal(probe::HttpRequest& next) const override {
    // The rules judge where a request goes (scheme, host, port, path), not its query.
    const std::size_t query = next.url.find_first_of("?#");
    const std::string base = next.url.substr(0, query);
    const config::ProbeAllowDecision decision = config::CheckProbeTarget(rules_, base, resolver_);
    if (!decision.allowed) return "not allowed by probe.allow: " + decision.reason;
    // Request what was checked: the normalised URL, with the path's trailing slash and the
    // query as the target sent them.
    std::string url = decision.url;
    if (base.ends_with('/') && !url.ends_with('/')) url += '/';
    if (query != std::string::npos && next.url[query] == '?') {
      url += next.url.substr(query, next.url.find('#', query) - query);
    }
    next.url = std::move(url);
    next.resolve.insert(next.resolve.end(), decision.resolve.begin(), decision.resolve.end());
    return {};
  }

 private:
  const std::vector<config::AllowRule> rules_;
  const config::Resolver& resolver_;
};

}  // namespace

std::string ProbeEndpoint::TargetLabel(std::string_view normalized_url) {
  constexpr std::string_view kHttp = "http://";
  if (normalized_url.starts_with(kHttp)) normalized_url.remove_prefix(kHttp.size());
  return std::string(normalized_url);
}

ProbeEndpoint::ProbeEndpoint(const Clock& clock, probe::HttpClient& client)
    : ProbeEndpoint(clock, client, SystemResolver()) {}

ProbeEndpoint::ProbeEndpoint(const Clock& clock, probe::HttpClient& client,
                             const config::Resolver& resolver, std::size_t max_tracked_targets)
    : clock_(clock),
      client_(client),
      resolver_(resolver),
      max_tracked_targets_(std::max<std::size_t>(1, max_tracked_targets)),
      settings_(std::make_shared<const Settings>()) {}

void ProbeEndpoint::Configure(const config::Config& config) {
  auto settings = std::make_shared<const Settings>(Settings{config.modules, config.probe});
  std::lock_guard lock(mu_);
  if (config.modules != settings_->modules) tracked_.clear();  // history under old modules
  settings_ = std::move(settings);
}

std::shared_ptr<ProbeEndpoint::Tracked> ProbeEndpoint::Track(const std::string& module_name,
                                                             const config::Module& module,
                                                             const std::string& target,
                                                             const std::string& base_url) {
  const TimePoint now = clock_.Now();
  const std::string key = module_name + '\n' + target;
  auto found = tracked_.find(key);
  if (found == tracked_.end()) {
    std::erase_if(tracked_,
                  [&](const auto& entry) { return now - entry.second->last_used > kForgetAfter; });
    if (tracked_.size() >= max_tracked_targets_) {
      auto oldest = tracked_.begin();
      for (auto it = tracked_.begin(); it != tracked_.end(); ++it) {
        if (it->second->last_used < oldest->second->last_used) oldest = it;
      }
      tracked_.erase(oldest);
    }
    found = tracked_
                .emplace(key, std::make_shared<Tracked>(
                                  config::TargetFromModule(module, target, base_url, {})))
                .first;
  }
  found->second->last_used = now;
  return found->second;
}

Duration ProbeEndpoint::Budget(double scrape_timeout_seconds, const config::Module& module) {
  config::Millis slowest{0};
  for (const config::HealthCheck& check : module.other_health_checks) {
    slowest = std::max(slowest, check.timeout);
  }
  slowest = std::max(slowest, module.health.timeout);
  for (const config::ApiSample& sample : module.samples)
    slowest = std::max(slowest, sample.timeout);
  const double most = std::chrono::duration<double>(slowest).count() * std::max(1, module.rounds);
  const double seconds =
      std::clamp(scrape_timeout_seconds - kTimeoutOffsetSeconds, 0.1, std::max(0.1, most));
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(seconds));
}

std::size_t ProbeEndpoint::tracked_targets() const {
  std::lock_guard lock(mu_);
  return tracked_.size();
}

ProbeEndpoint::Counters ProbeEndpoint::counters() const {
  return Counters{ok_.load(), refused_.load(), invalid_.load()};
}

server::HttpReply ProbeEndpoint::Handle(const server::ProbeRequest& request) {
  if (request.target.empty()) {
    ++invalid_;
    return Refuse(400, "target parameter is missing");
  }
  // blackbox_exporter accepts "host:port" for HTTP probes; so do we.
  std::string url = request.target;
  if (url.find("://") == std::string::npos) url = "http://" + url;
  auto normalized = config::NormalizeBaseUrl(url);
  if (!normalized.value) {
    ++invalid_;
    return Refuse(400, "invalid target: " + normalized.error);
  }

  const std::string module_name =
      request.module.empty() ? std::string(config::kDefaultModuleName) : request.module;
  std::shared_ptr<const Settings> settings;
  {
    std::lock_guard lock(mu_);
    settings = settings_;
  }
  // A reload can replace the settings while the target is checked (DNS included). Tracked
  // under the old module, the target would go on being probed as the old module said for as
  // long as it is scraped, so the check starts over under the settings in force.
  const config::Module* module = nullptr;
  config::ProbeAllowDecision decision;
  std::shared_ptr<Tracked> tracked;
  while (!tracked) {
    const auto found = settings->modules.find(module_name);
    if (found == settings->modules.end()) {
      ++invalid_;
      return Refuse(400, "unknown module \"" + module_name + "\"");
    }
    module = &found->second;
    decision = config::CheckProbeTarget(settings->probe.allow, *normalized.value, resolver_);
    if (!decision.allowed) {
      ++refused_;
      return Refuse(403, "target not allowed: " + decision.reason);
    }
    if (std::string why = RefusedCheckEndpoint(settings->probe.allow, *module, decision.url,
                                               resolver_, decision.resolve);
        !why.empty()) {
      ++refused_;
      return Refuse(403, "target not allowed: " + why);
    }
    std::lock_guard lock(mu_);
    if (settings_ == settings) {
      tracked = Track(module_name, *module, TargetLabel(decision.url), decision.url);
    } else {
      settings = settings_;
    }
  }

  engine::PairedProbeOptions options;
  options.rounds = module->rounds;
  options.resolve = decision.resolve;
  options.redirect_guard =
      std::make_shared<const AllowlistRedirectGuard>(settings->probe.allow, resolver_);
  if (request.scrape_timeout_seconds) {
    options.budget = Budget(*request.scrape_timeout_seconds, *module);
  }
  engine::TargetSnapshot snapshot;
  std::string body;
  {
    std::lock_guard lock(tracked->mu);
    const std::vector<engine::PairedRound> rounds =
        engine::RunPairedRounds(tracked->state, options, client_, clock_);
    snapshot =
        tracked->state.Snapshot(clock_.Now(), request.debug ? engine::SnapshotScope::kFull
                                                            : engine::SnapshotScope::kMetrics);
    body = metrics::TargetExpositionText({&snapshot, 1});
    if (request.debug) {
      ProbeTrace trace{.module = module_name,
                       .target = &tracked->state.config(),
                       .health_checks = {},
                       .rounds = &rounds,
                       .snapshot = &snapshot,
                       .exposition = std::move(body)};
      for (std::size_t i = 0; i < tracked->state.health_check_count(); ++i) {
        trace.health_checks.push_back(tracked->state.health_check(i));
      }
      body = RenderProbeTrace(trace);
    }
  }
  ++ok_;
  snapshot.module = module_name;
  snapshot.recent.clear();  // the status page shows /probe targets without their history
  auto last = std::make_shared<const engine::TargetSnapshot>(std::move(snapshot));
  {
    std::lock_guard lock(mu_);
    tracked->last = std::move(last);
  }
  if (request.debug) return server::HttpReply{200, std::move(body), "text/plain; charset=utf-8"};
  return server::HttpReply{200, std::move(body), server::kExpositionContentType};
}

std::vector<engine::TargetSnapshot> ProbeEndpoint::Snapshots() const {
  std::vector<std::pair<TimePoint, std::shared_ptr<const engine::TargetSnapshot>>> scraped;
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, tracked] : tracked_) {
      if (tracked->last) scraped.emplace_back(tracked->last_used, tracked->last);
    }
  }
  std::stable_sort(scraped.begin(), scraped.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<engine::TargetSnapshot> snapshots;
  snapshots.reserve(scraped.size());
  for (const auto& [at, snapshot] : scraped) snapshots.push_back(*snapshot);
  return snapshots;
}

}  // namespace healthgap::app
