#pragma once

// What a balancer's config says about one backend pool, whatever the balancer: how it checks
// its servers (or whether it does), on what schedule, with what thresholds, and which servers
// it has. The parsers (haproxy_cfg.h, nginx_conf.h, kubernetes.h) fill it in with each
// balancer's own defaults; the findings (findings.h) read it.

#include <charconv>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status_matcher.h"

namespace healthgap::audit {

using Millis = std::chrono::milliseconds;

enum class Balancer { kHaproxy, kNginx, kKubernetes, kAws, kEnvoy };

enum class CheckKind {
  kNone,     // nothing checks the servers: they get traffic whatever their state
  kPassive,  // only failed real requests take a server out (nginx OSS max_fails)
  kTcp,      // a TCP connect (HAProxy `check` without httpchk, a tcpSocket probe)
  kHttp,     // an HTTP request with a status matcher
  kGrpc,     // the gRPC health protocol
  kExec,     // a command in the container (Kubernetes exec probes)
};

// The balancer's own names for the settings, for findings that speak its language.
struct SettingNames {
  std::string interval;             // "inter", "periodSeconds", "interval"
  std::string unhealthy_threshold;  // "fall", "failureThreshold", "fails"
  std::string healthy_threshold;    // "rise", "successThreshold", "passes"
  std::string timeout;              // "timeout check", "timeoutSeconds"
  std::string matcher;              // "http-check expect", "match"
};

struct Check {
  CheckKind kind = CheckKind::kNone;
  std::string method = "GET";
  std::string path;  // kHttp
  int port = 0;      // 0: the server's own
  // The statuses that pass, and whether the config says so (false: the balancer's default).
  StatusMatcher accepted;
  bool matcher_set = false;
  Millis interval{0};
  std::optional<Millis> fast_interval;  // HAProxy fastinter
  std::optional<Millis> down_interval;  // HAProxy downinter
  Millis timeout{0};                    // the longest one check may take
  std::optional<Millis> timeout_set;    // the timeout as configured (HAProxy's `timeout check`)
  int healthy_threshold = 1;
  int unhealthy_threshold = 1;
  Millis initial_delay{0};  // Kubernetes initialDelaySeconds
  int line = 0;             // where the check is defined (0: the pool's line)
};

struct Server {
  std::string name;
  std::string address;  // host:port as written
  int line = 0;
  bool checked = true;  // HAProxy: has `check`
};

struct Pool {
  Balancer balancer = Balancer::kHaproxy;
  std::string file;
  std::string kind;  // "backend", "listen", "upstream", "Deployment", ...
  std::string name;
  int line = 0;
  SettingNames names;
  Check check;  // what takes servers out of rotation (Kubernetes: the readiness probe)
  // Kubernetes: the container's other probes.
  std::optional<Check> liveness;
  std::optional<Check> startup;
  bool readiness_set = true;  // Kubernetes: false when the container has no readiness probe
  std::vector<Server> servers;
  int replicas = 0;  // Kubernetes: spec.replicas (servers are not listed)
  // nginx's passive check: a server is out after max_fails failed requests within
  // fail_timeout, for fail_timeout; max_fails 0 never takes it out.
  int max_fails = 1;
  Millis fail_timeout{10'000};
};

// What a config parser read: its pools, or why the text is not the format it reads
// ("line 12: ..."). HAProxy's parser returns more (haproxy_cfg.h).
struct ParsedPools {
  std::vector<Pool> pools;
  std::string error;
};

// A whole decimal integer, as a config's counts and ports are written; nullopt otherwise.
inline std::optional<int> ParseInteger(std::string_view text) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// "haproxy", "nginx", "kubernetes", "aws", "envoy".
std::string_view ToString(Balancer balancer);

}  // namespace healthgap::audit
