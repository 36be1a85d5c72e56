#include "audit/findings.h"

#include <algorithm>
#include <cstdio>

namespace healthgap::audit {
namespace {

constexpr Millis kMaxInterval{10'000};

std::string Seconds(Millis duration) {
  char text[32];
  const double seconds = static_cast<double>(duration.count()) / 1000;
  std::snprintf(text, sizeof text, seconds == static_cast<long long>(seconds) ? "%.0fs" : "%.1fs",
                seconds);
  return text;
}

std::string PoolLabel(const Pool& pool) { return pool.kind + " " + pool.name; }

bool AcceptsBeyond2xx(const StatusMatcher& matcher, int* example) {
  for (int status : {301, 302, 304, 401, 403, 404, 429}) {
    if (matcher.Matches(status)) {
      *example = status;
      return true;
    }
  }
  return false;
}

}  // namespace

std::string RangesText(const StatusMatcher& matcher) {
  std::string text;
  for (const StatusRange& range : matcher.ranges) {
    if (!text.empty()) text += ",";
    text += std::to_string(range.low);
    if (range.high != range.low) text += "-" + std::to_string(range.high);
  }
  return text;
}

namespace {

// Paths that sound like they check dependencies: wrong for a liveness probe.
bool SoundsDeep(const std::string& path) {
  for (const char* word : {"ready", "deep", "depend", "database", "/db", "full", "all"}) {
    if (path.find(word) != std::string::npos) return true;
  }
  return false;
}

bool SameProbe(const Check& a, const Check& b) {
  return a.kind == b.kind && a.path == b.path && a.port == b.port;
}

void Add(std::vector<Finding>& out, const Pool& pool, Severity severity, std::string rule, int line,
         std::string message, std::string fix) {
  out.push_back({.severity = severity,
                 .rule = std::move(rule),
                 .file = pool.file,
                 .line = line ? line : pool.line,
                 .pool = PoolLabel(pool),
                 .message = std::move(message),
                 .fix = std::move(fix)});
}

// The reference's thresholds, for any active check.
void ScheduleFindings(const Pool& pool, const Check& check, const std::string& what,
                      std::vector<Finding>& out) {
  const SettingNames& names = pool.names;
  if (check.interval > kMaxInterval) {
    Add(out, pool, Severity::kWarning, "interval-above-10s", check.line,
        what + " runs every " + Seconds(check.interval) + " (" + names.interval +
            "): a broken server keeps getting traffic for at least that long before the first "
            "failed check",
        names.interval + " of 10s or less (5s is common)");
  }
  if (check.unhealthy_threshold > 3) {
    Add(out, pool, Severity::kWarning, "unhealthy-threshold-above-3", check.line,
        what + " needs " + std::to_string(check.unhealthy_threshold) + " consecutive failures (" +
            names.unhealthy_threshold + ") to take a server out",
        names.unhealthy_threshold + " 2 or 3");
  } else if (check.unhealthy_threshold == 1 && pool.balancer != Balancer::kNginx) {
    Add(out, pool, Severity::kWarning, "unhealthy-threshold-1", check.line,
        what + " takes a server out on a single failed check (" + names.unhealthy_threshold +
            " 1): one slow response or dropped packet flaps it out of rotation",
        names.unhealthy_threshold + " 2 or 3");
  }
  if (check.timeout_set && *check.timeout_set >= check.interval) {
    Add(out, pool, Severity::kWarning, "timeout-not-below-interval", check.line,
        what + " times out after " + Seconds(*check.timeout_set) + " (" + names.timeout +
            "), not below its interval " + Seconds(check.interval) +
            ": a hung check holds up the next one",
        names.timeout + " below the interval (1-2s)");
  } else if (!check.timeout_set && pool.balancer == Balancer::kHaproxy) {
    Add(out, pool, Severity::kInfo, "timeout-not-below-interval", check.line,
        what + " has no `timeout check`: a check that hangs waits a whole inter (" +
            Seconds(check.interval) + ") before it fails",
        "`timeout check 1s`");
  }
}

}  // namespace

std::string_view ToString(Severity severity) {
  switch (severity) {
    case Severity::kInfo:
      return "info";
    case Severity::kWarning:
      return "warning";
    case Severity::kCritical:
      return "critical";
  }
  return "warning";
}

std::string_view ToString(Balancer balancer) {
  switch (balancer) {
    case Balancer::kHaproxy:
      return "haproxy";
    case Balancer::kNginx:
      return "nginx";
    case Balancer::kKubernetes:
      return "kubernetes";
    case Balancer::kAws:
      return "aws";
    case Balancer::kEnvoy:
      return "envoy";
  }
  return "haproxy";
}

Timing TimingOf(const Pool& pool, double rps) {
  Timing timing;
  const int servers = pool.balancer == Balancer::kKubernetes
                          ? std::max(pool.replicas, 1)
                          : std::max<int>(static_cast<int>(pool.servers.size()), 1);
  timing.requests_per_server = rps / servers;
  const Check& check = pool.check;
  const bool any_checked =
      pool.balancer != Balancer::kHaproxy || std::any_of(pool.servers.begin(), pool.servers.end(),
                                                         [](const Server& s) { return s.checked; });
  if (check.kind == CheckKind::kNone || !any_checked) {
    timing.never_out = true;
    timing.how = "nothing checks the servers";
    return timing;
  }
  if (check.kind == CheckKind::kPassive) {
    if (pool.max_fails == 0) {
      timing.never_out = true;
      timing.how = "max_fails=0: failed requests never take a server out";
      return timing;
    }
    // Out once max_fails requests failed; tried again by real requests after fail_timeout.
    timing.failed_requests = pool.max_fails;
    timing.out =
        timing.requests_per_server > 0
            ? Millis(static_cast<long long>(pool.max_fails * 1000 / timing.requests_per_server))
            : Millis(0);
    timing.back = pool.fail_timeout;
    timing.how =
        pool.balancer == Balancer::kEnvoy
            ? "out after consecutive_5xx=" + std::to_string(pool.max_fails) +
                  " failed requests, back after base_ejection_time=" + Seconds(pool.fail_timeout) +
                  " (longer after each ejection)"
            : "out after max_fails=" + std::to_string(pool.max_fails) +
                  " failed requests (per worker), back after fail_timeout=" +
                  Seconds(pool.fail_timeout) + " (and out again on the next failure)";
    return timing;
  }
  if (pool.balancer == Balancer::kHaproxy) {
    // The next check starts an interval after the last ended: inter to the first failed
    // check, each failure costing up to the timeout, fastinter between them (transitional).
    const Millis fast = check.fast_interval.value_or(check.interval);
    const Millis down = check.down_interval.value_or(check.interval);
    const int fall = check.unhealthy_threshold;
    const int rise = check.healthy_threshold;
    timing.out = check.interval + fall * check.timeout + (fall - 1) * fast;
    timing.back = down + (rise - 1) * fast;
    timing.how = "inter " + Seconds(check.interval) + " + fall " + std::to_string(fall) +
                 " x timeout " + Seconds(check.timeout) + " + " + std::to_string(fall - 1) +
                 " x fastinter " + Seconds(fast) + "; back: downinter " + Seconds(down) + " + " +
                 std::to_string(rise - 1) + " x fastinter";
  } else if (pool.balancer == Balancer::kEnvoy) {
    // Envoy too starts the next check an interval after the last ended (no fastinter): the
    // interval to the first failed check, each failure hanging to its timeout; back after
    // unhealthy_interval (the interval while a host is unhealthy) and the rest of the passes.
    const int fall = check.unhealthy_threshold;
    const int rise = check.healthy_threshold;
    const Millis down = check.down_interval.value_or(check.interval);
    timing.out = check.interval + fall * check.timeout + (fall - 1) * check.interval;
    timing.back = down + (rise - 1) * check.interval;
    timing.how = "interval " + Seconds(check.interval) + " + unhealthy_threshold " +
                 std::to_string(fall) + " x timeout " + Seconds(check.timeout) + " + " +
                 std::to_string(fall - 1) + " x interval; back: unhealthy_interval " +
                 Seconds(down) + " + " + std::to_string(rise - 1) + " x interval";
  } else {
    // A fixed period: the failure just after a probe, then threshold probes, the last hanging
    // to its timeout.
    const int fall = check.unhealthy_threshold;
    timing.out = fall * check.interval + check.timeout;
    timing.back = check.healthy_threshold * check.interval;
    timing.how = pool.names.unhealthy_threshold + " " + std::to_string(fall) + " x " +
                 pool.names.interval + " " + Seconds(check.interval) + " + " + pool.names.timeout +
                 " " + Seconds(check.timeout) + "; back: " + pool.names.healthy_threshold + " " +
                 std::to_string(check.healthy_threshold) + " x " + Seconds(check.interval);
  }
  timing.failed_requests =
      timing.requests_per_server * static_cast<double>(timing.out.count()) / 1000;
  return timing;
}

std::vector<Finding> FindingsFor(const Pool& pool) {
  std::vector<Finding> out;
  const Check& check = pool.check;
  switch (pool.balancer) {
    case Balancer::kHaproxy: {
      for (const Server& server : pool.servers) {
        if (server.checked) continue;
        Add(out, pool, Severity::kCritical, "no-health-check", server.line,
            "server " + server.name +
                " has no `check`: HAProxy sends it traffic whatever state it is in",
            "add `check` to the server line (with `option httpchk GET /ready` and "
            "`http-check expect status 200` in the backend)");
      }
      if (std::none_of(pool.servers.begin(), pool.servers.end(),
                       [](const Server& s) { return s.checked; })) {
        break;  // no check runs: its settings do not matter
      }
      if (check.kind == CheckKind::kTcp) {
        Add(out, pool, Severity::kWarning, "tcp-only-check", check.line,
            "TCP-only check (`check` without `option httpchk`): the port accepts while the "
            "application fails, so HAProxy never takes a broken server out",
            "`option httpchk GET /ready` and `http-check expect status 200`, on a path that "
            "checks the dependencies");
      }
      if (check.kind == CheckKind::kHttp) {
        int example = 0;
        if (!check.matcher_set) {
          Add(out, pool, Severity::kWarning, "matcher-accepts-3xx-4xx", check.line,
              "no `http-check expect`: HAProxy passes any 2xx or 3xx, so a redirect (to a login "
              "page, to another host) counts as healthy",
              "`http-check expect status 200`");
        } else if (AcceptsBeyond2xx(check.accepted, &example)) {
          Add(out, pool, Severity::kWarning, "matcher-accepts-3xx-4xx", check.line,
              "`http-check expect status " + RangesText(check.accepted) + "` passes " +
                  std::to_string(example) + ": a redirect or a client error counts as healthy",
              "`http-check expect status 200`");
        }
      }
      ScheduleFindings(pool, check, "the check", out);
      break;
    }
    case Balancer::kNginx: {
      if (check.kind == CheckKind::kPassive) {
        if (pool.max_fails == 0) {
          Add(out, pool, Severity::kCritical, "no-health-check", pool.line,
              "max_fails=0 and no active health_check: nginx never takes a server out, however "
              "many requests it fails",
              "max_fails=1 or more (the default), and an active check (NGINX Plus "
              "`health_check uri=/ready`, or healthgap watching the upstream)");
        } else {
          Add(out, pool, Severity::kWarning, "passive-check-only", pool.line,
              "no active health check (open source nginx checks passively): a server is out "
              "only after " +
                  std::to_string(pool.max_fails) +
                  (pool.max_fails == 1 ? " real request" : " real requests") +
                  " failed on it, and gets them again every fail_timeout (" +
                  Seconds(pool.fail_timeout) + ")",
              "an active check (NGINX Plus `health_check uri=/ready`), or healthgap with "
              "`lb: nginx-plus` watching the upstream; keep max_fails");
        }
        break;
      }
      int example = 0;
      if (AcceptsBeyond2xx(check.accepted, &example)) {
        Add(out, pool, Severity::kWarning, "matcher-accepts-3xx-4xx", check.line,
            std::string(check.matcher_set ? "the `match` block"
                                          : "without a `match`, health_check") +
                " passes " + std::to_string(example) + ": a redirect counts as healthy",
            "a `match` block with `status 200;`, named in `health_check match=`");
      }
      ScheduleFindings(pool, check, "health_check", out);
      break;
    }
    case Balancer::kAws:
    case Balancer::kEnvoy: {
      const bool aws = pool.balancer == Balancer::kAws;
      if (check.kind == CheckKind::kNone) {
        Add(out, pool, Severity::kCritical, "no-health-check", check.line,
            aws ? "HealthCheckEnabled is false: the load balancer sends traffic to every target "
                  "whatever its state"
                : "no health_checks and no outlier_detection: Envoy sends traffic to every "
                  "endpoint whatever its state",
            aws ? "enable the health check, on a path that checks the dependencies"
                : "an http_health_check on a path that checks the dependencies");
        break;
      }
      if (check.kind == CheckKind::kPassive) {
        Add(out, pool, Severity::kWarning, "passive-check-only", check.line,
            "only outlier_detection: an endpoint is ejected after " +
                std::to_string(pool.max_fails) +
                " consecutive 5xx from real requests, then gets them again after "
                "base_ejection_time (" +
                Seconds(pool.fail_timeout) + ")",
            "health_checks with an http_health_check on a path that checks the dependencies; "
            "keep outlier_detection beside it");
        break;
      }
      if (check.kind == CheckKind::kTcp) {
        Add(out, pool, Severity::kWarning, "tcp-only-check", check.line,
            aws ? "HealthCheckProtocol is TCP: the port accepts while the application fails"
                : "tcp_health_check: the port accepts while the application fails",
            aws ? "HealthCheckProtocol HTTP with a HealthCheckPath that checks the dependencies"
                : "an http_health_check on a path that checks the dependencies");
      }
      int example = 0;
      if (check.kind == CheckKind::kHttp && AcceptsBeyond2xx(check.accepted, &example)) {
        Add(out, pool, Severity::kWarning, "matcher-accepts-3xx-4xx", check.line,
            std::string(aws ? "Matcher HttpCode " : "expected_statuses ") +
                RangesText(check.accepted) + " passes " + std::to_string(example) +
                ": a redirect or a client error counts as healthy",
            aws ? "Matcher HttpCode 200" : "expected_statuses [{start: 200, end: 201}]");
      }
      ScheduleFindings(pool, check, aws ? "the health check" : "health_check", out);
      break;
    }
    case Balancer::kKubernetes: {
      if (!pool.readiness_set) {
        Add(out, pool, Severity::kCritical, "readiness-probe-missing", pool.line,
            "no readinessProbe: the pod gets traffic as soon as it starts, and until it dies",
            "a readinessProbe (httpGet) on a path that checks the dependencies the container "
            "needs (kube-score: container-readiness-probe)");
      } else {
        if (check.kind == CheckKind::kTcp) {
          Add(out, pool, Severity::kWarning, "tcp-only-check", check.line,
              "readinessProbe is tcpSocket: the port accepts while the application fails",
              "httpGet on a path that checks the dependencies");
        }
        ScheduleFindings(pool, check, "readinessProbe", out);
      }
      if (pool.liveness && pool.readiness_set && SameProbe(*pool.liveness, check)) {
        Add(out, pool, Severity::kWarning, "probes-identical", pool.liveness->line,
            "livenessProbe is the readinessProbe (" +
                (check.path.empty() ? std::string("same handler") : check.path) +
                "): when a dependency fails, every pod is restarted instead of taken out of "
                "rotation (kube-score container-probes-identical, Kyverno "
                "ensure-probes-different)",
            "liveness on a path that only says the process is alive (/livez), readiness on one "
            "that checks dependencies (/readyz)");
      } else if (pool.liveness && pool.liveness->kind == CheckKind::kHttp &&
                 SoundsDeep(pool.liveness->path)) {
        Add(out, pool, Severity::kWarning, "liveness-checks-dependencies", pool.liveness->line,
            "livenessProbe on " + pool.liveness->path +
                ", a path that sounds like it checks dependencies: a dependency outage "
                "restarts every pod",
            "liveness on a path that only says the process is alive (/livez)");
      }
      if (pool.liveness && !pool.startup && pool.liveness->initial_delay >= Millis(30'000)) {
        Add(out, pool, Severity::kWarning, "startup-probe-missing", pool.liveness->line,
            "livenessProbe waits " + Seconds(pool.liveness->initial_delay) +
                " (initialDelaySeconds) for a slow start: too short and pods restart while "
                "starting, too long and a hung pod waits for it",
            "a startupProbe whose failureThreshold x periodSeconds covers the start; liveness "
            "without the delay");
      }
      break;
    }
  }
  return out;
}

}  // namespace healthgap::audit
