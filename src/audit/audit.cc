#include "audit/audit.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "audit/aws_target_groups.h"
#include "audit/envoy_clusters.h"
#include "audit/haproxy_cfg.h"
#include "audit/kubernetes.h"
#include "audit/nginx_conf.h"
#include "config/values.h"

namespace healthgap::audit {
namespace {

std::string_view Trimmed(std::string_view line) {
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.remove_suffix(1);
  return line;
}

bool StartsWithWord(std::string_view line, std::string_view word) {
  return line.starts_with(word) && (line.size() == word.size() || line[word.size()] == ' ' ||
                                    line[word.size()] == '\t' || line[word.size()] == '{');
}

// The config's own duration spelling, the inverse of its parser.
std::string Seconds(Millis duration) { return config::FormatDuration(duration); }

// A name the config accepts: letters, digits, '-', '_', '.'.
std::string TargetName(std::string text) {
  for (char& c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '-';
  }
  return text;
}

std::string Expected(const StatusMatcher& matcher) {
  std::string text;
  for (const StatusRange& range : matcher.ranges) {
    if (!text.empty()) text += ", ";
    text += range.low == range.high
                ? std::to_string(range.low)
                : "\"" + std::to_string(range.low) + "-" + std::to_string(range.high) + "\"";
  }
  return "[" + text + "]";
}

std::string HealthLine(const Pool& pool) {
  const Check& check = pool.check;
  std::string health = "{";
  // haproxy-tcp and k8s-grpc say their type; a Kubernetes tcpSocket probe is k8s-readiness's
  // timing with a TCP connect.
  if (check.kind == CheckKind::kTcp &&
      (pool.balancer == Balancer::kKubernetes || pool.balancer == Balancer::kEnvoy)) {
    health += "type: tcp, ";
  }
  if (check.kind == CheckKind::kHttp) {
    health += "path: " + check.path;
    if (check.method != "GET") health += ", method: " + check.method;
    health += ", expected_status: " + Expected(check.accepted) + ", ";
  }
  // An HTTP check's port is the target URL's; a TCP check may have its own.
  if (check.port && check.kind == CheckKind::kTcp) {
    health += "port: " + std::to_string(check.port) + ", ";
  }
  // healthgap's timeout is at most its interval, as a balancer's check is.
  health += "interval: " + Seconds(check.interval) +
            ", timeout: " + Seconds(std::min(check.timeout, check.interval));
  if (pool.balancer == Balancer::kHaproxy) {
    if (check.fast_interval && *check.fast_interval != check.interval) {
      health += ", fast_interval: " + Seconds(*check.fast_interval);
    }
    if (check.down_interval && *check.down_interval != check.interval) {
      health += ", down_interval: " + Seconds(*check.down_interval);
    }
  }
  health += ", healthy_threshold: " + std::to_string(check.healthy_threshold) +
            ", unhealthy_threshold: " + std::to_string(check.unhealthy_threshold) + "}";
  return health;
}

// The healthgap LB preset whose start state and scheduling are the pool's balancer's.
std::string PresetFor(const Pool& pool) {
  const CheckKind kind = pool.check.kind;
  switch (pool.balancer) {
    case Balancer::kHaproxy:
      return kind == CheckKind::kTcp ? "haproxy-tcp" : "haproxy";
    case Balancer::kNginx:
      return "nginx-plus";
    case Balancer::kKubernetes:
      return kind == CheckKind::kGrpc ? "k8s-grpc" : "k8s-readiness";
    case Balancer::kAws:
      return kind == CheckKind::kTcp    ? "aws-nlb"
             : kind == CheckKind::kGrpc ? "aws-alb-grpc"
                                        : "aws-alb";
    case Balancer::kEnvoy:
      return "envoy";
  }
  return "custom";
}

}  // namespace

std::string_view ToString(Format format) {
  switch (format) {
    case Format::kHaproxy:
      return "haproxy";
    case Format::kNginx:
      return "nginx";
    case Format::kKubernetes:
      return "kubernetes";
    case Format::kAws:
      return "aws";
    case Format::kEnvoy:
      return "envoy";
    case Format::kUnknown:
      break;
  }
  return "unknown";
}

Format DetectFormat(std::string_view text) {
  bool api_version = false, kind = false, haproxy = false, nginx = false;
  bool envoy_clusters = false, envoy_shape = false;
  // `aws elbv2 describe-target-groups` prints one JSON object holding TargetGroups.
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text[first] == '{' &&
      text.find("\"TargetGroups\"") != std::string_view::npos) {
    return Format::kAws;
  }
  std::size_t from = 0;
  for (int lines = 0; from < text.size() && lines < 100'000; ++lines) {
    const std::size_t newline = std::min(text.find('\n', from), text.size());
    const std::string_view line = Trimmed(text.substr(from, newline - from));
    const bool indented = from < text.size() && (text[from] == ' ' || text[from] == '\t');
    from = newline + 1;
    if (line.empty() || line.front() == '#') continue;
    api_version = api_version || line.starts_with("apiVersion:");
    envoy_clusters =
        envoy_clusters || line.starts_with("clusters:") || line.starts_with("static_resources:");
    envoy_shape = envoy_shape || line.starts_with("load_assignment:") ||
                  line.starts_with("connect_timeout:") || line.starts_with("health_checks:") ||
                  line.starts_with("lb_policy:");
    kind = kind || line.starts_with("kind:");
    if (!indented && !line.ends_with("{")) {
      for (std::string_view section : {"global", "defaults", "frontend", "backend", "listen"}) {
        haproxy = haproxy || StartsWithWord(line, section);
      }
    }
    if (line.ends_with("{")) {
      for (std::string_view block :
           {"http", "stream", "upstream", "server", "events", "location"}) {
        nginx = nginx || StartsWithWord(line, block);
      }
    }
  }
  if (api_version && kind) return Format::kKubernetes;
  if (envoy_clusters && envoy_shape) return Format::kEnvoy;
  if (nginx) return Format::kNginx;
  if (haproxy) return Format::kHaproxy;
  return Format::kUnknown;
}

AuditedFile AuditText(std::string_view text, const std::string& file) {
  AuditedFile out;
  out.file = file;
  out.format = DetectFormat(text);
  const auto take = [&out](ParsedPools parsed) {
    out.pools = std::move(parsed.pools);
    out.error = std::move(parsed.error);
  };
  switch (out.format) {
    case Format::kHaproxy: {
      HaproxyConfig config = ParseHaproxyConfig(text, file);
      out.pools = std::move(config.pools);
      out.stats_socket = std::move(config.stats_socket);
      out.error = std::move(config.error);
      break;
    }
    case Format::kNginx:
      take(ParseNginxConfig(text, file));
      break;
    case Format::kKubernetes:
      take(ParseKubernetesManifests(text, file));
      break;
    case Format::kAws:
      take(ParseAwsTargetGroups(text, file));
      break;
    case Format::kEnvoy:
      take(ParseEnvoyClusters(text, file));
      break;
    case Format::kUnknown:
      out.error =
          "not a balancer config healthgap reads: expected an HAProxy config (global, "
          "defaults, backend ... sections), an nginx config (http, upstream ... blocks), "
          "Kubernetes manifests (apiVersion and kind), AWS target groups (the JSON of `aws "
          "elbv2 describe-target-groups`) or Envoy clusters (static_resources.clusters)";
      break;
  }
  return out;
}

std::string EmitConfig(const std::vector<AuditedFile>& files) {
  std::string sources;
  std::string targets;
  std::set<std::string> names;
  const auto unique = [&names](std::string name) {
    std::string candidate = name;
    for (int i = 2; !names.insert(candidate).second; ++i) {
      candidate = name + "-" + std::to_string(i);
    }
    return candidate;
  };
  for (const AuditedFile& file : files) {
    std::string source;
    if (!file.stats_socket.empty() && file.format == Format::kHaproxy) {
      source = unique(TargetName("haproxy-" + std::to_string(names.size())));
      const std::string address =
          file.stats_socket.starts_with("/") ? "unix:" + file.stats_socket : file.stats_socket;
      sources += "  - {name: " + source + ", type: haproxy, address: '" + address + "'}\n";
    }
    for (const Pool& pool : file.pools) {
      const bool active = pool.check.kind == CheckKind::kHttp ||
                          pool.check.kind == CheckKind::kTcp || pool.check.kind == CheckKind::kGrpc;
      if (!active) continue;
      const std::string lb = PresetFor(pool);
      std::vector<std::pair<std::string, std::string>> servers;  // name, url
      if (pool.balancer == Balancer::kKubernetes) {
        servers.emplace_back(
            pool.name, "http://POD-IP:" + std::to_string(pool.check.port ? pool.check.port : 80));
      } else {
        for (const Server& server : pool.servers) {
          if (!server.checked) continue;
          servers.emplace_back(pool.name + "-" + server.name, "http://" + server.address);
        }
      }
      for (const auto& [name, url] : servers) {
        targets += "  - name: " + unique(TargetName(name)) + "\n";
        targets += "    url: " + url + "\n";
        targets += "    # from " + pool.file + ":" + std::to_string(pool.line) + " (" + pool.kind +
                   " " + pool.name + ")\n";
        targets += "    lb: " + lb + "\n";
        targets += "    health: " + HealthLine(pool) + "\n";
        if (!source.empty()) {
          const std::string server = name.substr(pool.name.size() + 1);
          const std::string ref =
              "{source: " + source + ", backend: " + pool.name + ", server: " + server + "}";
          targets += "    lb_source: " + ref + "\n    traffic_source: " + ref + "\n";
        }
        targets += "    samples:\n      - {name: root, path: /}  # an endpoint users call\n";
      }
    }
  }
  std::string yaml =
      "# healthgap config written by `healthgap audit --emit-config`: each\n"
      "# checked server probed as its balancer probes it. Replace each sample\n"
      "# with an API endpoint real users call.\n";
  if (targets.empty()) return "";
  if (!sources.empty()) yaml += "sources:\n" + sources;
  return yaml + "targets:\n" + targets;
}

}  // namespace healthgap::audit
