#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/enum_names.h"
#include "common/grpc_health.h"
#include "common/http_protocol.h"
#include "common/lb_model.h"
#include "common/response_conditions.h"
#include "common/status_matcher.h"
#include "common/tls_version.h"

namespace healthgap::config {

using Millis = std::chrono::milliseconds;

// Shared with eval/ (common/status_matcher.h).
using healthgap::HeaderCondition;
using healthgap::HealthRole;
using healthgap::HttpVersion;
using healthgap::IpProtocol;
using healthgap::Regex;
using healthgap::ResponseConditions;
using healthgap::StatusMatcher;
using healthgap::StatusRange;
using healthgap::TlsVersion;

// How a request is sent and which HTTP it accepts, per health check and sample, with
// blackbox_exporter's names.
struct HttpSettings {
  bool follow_redirects = false;
  int max_redirects = 5;  // with follow_redirects; a longer chain fails (reason redirect_loop)
  // Sent as Accept-Encoding and decoded (gzip, deflate, br); "" sends none. max_body_bytes caps
  // the decoded body, so a compression bomb stops at the cap.
  std::string compression{};
  // A response in another version fails (reason bad_response); empty accepts any.
  std::vector<HttpVersion> valid_http_versions{};
  bool operator==(const HttpSettings&) const = default;
};

// How a target is connected to (target, module or defaults level).
struct ConnectionSettings {
  // Every request of the target goes through this proxy (http://, https:// or socks5://);
  // empty: none, whatever http_proxy/https_proxy say, as a load balancer connects directly.
  std::string proxy_url;
  // Resolve only this family; with ip_protocol_fallback, the other when it has no address.
  // Unset: both, IPv6 first as curl's happy eyeballs does.
  std::optional<IpProtocol> preferred_ip_protocol;
  bool ip_protocol_fallback = true;
  bool operator==(const ConnectionSettings&) const = default;
};

// How a health check talks to the target: an HTTP request; a TCP connection, optionally with a
// send/expect exchange (an AWS NLB's TCP check, HAProxy's `check` without `option httpchk`); or
// a gRPC call (the Health Checking Protocol of Kubernetes and Envoy, an ALB's gRPC check).
enum class HealthCheckType { kHttp, kTcp, kGrpc };
inline constexpr std::array<EnumName<HealthCheckType>, 3> kHealthCheckTypeNames = {{
    {HealthCheckType::kHttp, "http"},
    {HealthCheckType::kTcp, "tcp"},
    {HealthCheckType::kGrpc, "grpc"},
}};
static_assert(ListsValuesInOrder(kHealthCheckTypeNames));
inline std::string_view ToString(HealthCheckType type) {
  return NameOf(kHealthCheckTypeNames, type);
}

// type: tcp's exchange after the connection: blackbox_exporter's query_response in one step.
struct TcpCheckSettings {
  std::string send;             // written once connected; "" sends nothing
  std::optional<Regex> expect;  // the reply must match (searched as it arrives); unset: none read
  bool operator==(const TcpCheckSettings&) const = default;
};

// type: grpc's call. `path` names the method: grpc.health.v1's Check unless set (an ALB calls
// /AWS.ALB/healthcheck).
struct GrpcCheckSettings {
  static constexpr std::string_view kHealthCheckMethod = grpc_health::kCheckMethod;
  std::string service;  // HealthCheckRequest.service; "" is the server's overall health
  // gRPC status codes that pass, whatever the reply (an ALB's success codes); unset: the call
  // must return OK and, for the Health Checking Protocol, SERVING.
  std::optional<StatusMatcher> expected_codes;
  bool operator==(const GrpcCheckSettings&) const = default;
};

// The health endpoint as a load balancer probes it.
struct HealthCheck {
  HealthRole role = HealthRole::kReadiness;
  std::string lb = "custom";  // the preset the defaults came from (config/lb_presets.h)
  std::string path = "/health";
  std::string method = "GET";
  // What the LB sends besides auth: a Host header for a virtual host (HAProxy's
  // `http-check send hdr`, Envoy's `host`), a body for a POST check.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  StatusMatcher expected_status{{{200, 399}}};
  ResponseConditions conditions;  // fail_if_body_* and fail_if_header_* (reason *_mismatch)
  HttpSettings http;              // load balancers follow no redirects
  Millis interval{10'000};
  Millis timeout{5'000};
  int healthy_threshold = 2;    // consecutive successes before the LB puts it back in rotation
  int unhealthy_threshold = 3;  // consecutive failures before the LB takes it out
  // The balancer's start state and scheduling (common/lb_model.h), from the `lb` preset.
  LbStart lb_start = LbStart::kUndecided;
  CheckSchedule schedule = CheckSchedule::kFixedRate;
  // HAProxy's fastinter and downinter (after_completion schedules only): the interval while the
  // target is transitionally up or down, and while it is fully down; unset: `interval`.
  std::optional<Millis> fast_interval;
  std::optional<Millis> down_interval;
  HealthCheckType type = HealthCheckType::kHttp;
  // tcp and grpc: the port checked instead of the base URL's (an NLB's health check port).
  std::optional<int> port;
  // tcp and grpc: over TLS (the target's tls_config); unset: when the base URL is https.
  std::optional<bool> tls;
  TcpCheckSettings tcp;
  GrpcCheckSettings grpc;
  bool operator==(const HealthCheck&) const = default;
};

// A real API request, made the way users make it.
struct ApiSample {
  std::string name;  // unique within the target; exported as the `sample` label
  std::string path;
  std::string method = "GET";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  StatusMatcher expected_status;         // default 2xx
  ResponseConditions conditions;         // fail_if_body_* and fail_if_header_*
  std::optional<Millis> latency_budget;  // slower than this counts as a failure (reason "slow")
  HttpSettings http{.follow_redirects = true};  // as clients do
  Millis interval{5'000};
  Millis timeout{5'000};
  // Reuse one connection across this sample's requests, as a client with a connection pool
  // does; false opens a new connection for every request, as a client without one does.
  bool keep_alive = true;
  bool operator==(const ApiSample&) const = default;
};

// When the user view counts as failing.
struct Evaluation {
  Millis window{120'000};        // sliding window of API samples
  double max_error_ratio = 0.2;  // window error ratio above this means the API is failing
  int min_samples = 5;           // fewer samples in the window: verdict unknown
  bool operator==(const Evaluation&) const = default;
};

// A credential from the config (a token or password). Never printed: operator<< and Redacted()
// give "<secret>", so logs, debug output and status pages cannot leak it by accident; only
// value() reveals it, for building the request header.
class Secret {
 public:
  static constexpr std::string_view kRedacted = "<secret>";
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  const std::string& value() const { return value_; }
  std::string Redacted() const { return std::string(kRedacted); }
  bool operator==(const Secret&) const = default;
  friend std::ostream& operator<<(std::ostream& out, const Secret&) { return out << kRedacted; }

 private:
  std::string value_;
};

struct BasicAuth {
  std::string username;
  Secret password;
  bool operator==(const BasicAuth&) const = default;
};

// Credentials sent with every health probe and API sample of a target (config key `auth`).
// At most one kind is set; files were read at load time. config/auth.h turns it into headers.
struct TargetAuth {
  std::optional<Secret> bearer_token;
  std::optional<BasicAuth> basic_auth;
  bool operator==(const TargetAuth&) const = default;
};

// TLS to the target (config key `tls_config`, blackbox_exporter's keys). Files were checked
// at load time and are read again by every handshake, so a rotated CA needs no reload.
struct TlsConfig {
  std::string ca_file;    // PEM CA bundle the target's certificate must chain to; empty: system
  std::string cert_file;  // client certificate (mTLS), with key_file
  std::string key_file;
  std::string server_name;  // SNI and the name the certificate must match; empty: the URL host
  bool insecure_skip_verify = false;
  std::optional<TlsVersion> min_version;
  bool operator==(const TlsConfig&) const = default;
};

// How a target is probed and judged: what targets and modules share.
struct ProbeSpec {
  // The check the load balancer uses and the verdict follows: the readiness check, or the
  // liveness check when no readiness check is configured.
  HealthCheck health;
  std::vector<HealthCheck> other_health_checks;  // further roles from `health_checks:`
  std::vector<ApiSample> samples;                // at least one
  Evaluation evaluation;
  std::size_t max_body_bytes = 1 << 20;  // bodies beyond this fail with reason "too_large"
  TargetAuth auth;
  TlsConfig tls;
  ConnectionSettings connection;  // proxy_url, preferred_ip_protocol, ip_protocol_fallback
  bool operator==(const ProbeSpec&) const = default;
};

// Which server of a source (a `sources` entry) a target is: by backend and server name, or,
// with neither, the server whose address is the target URL's host:port. For a prometheus
// source, `server` is the value of its target_label; for an access log, the upstream address.
struct SourceRef {
  std::string source;   // a sources name
  std::string backend;  // HAProxy's pxname (or %b in its log); empty: any
  std::string server;   // svname, label value or address; empty: match by address
  bool operator==(const SourceRef&) const = default;
};

// A target's real traffic: the source, and the request rate below which the synthetic samples
// decide the user view instead (an idle backend says nothing about its users).
struct TrafficSourceRef : SourceRef {
  double min_request_rate = 0.2;  // requests per second over the window
  bool operator==(const TrafficSourceRef&) const = default;
};

struct Target : ProbeSpec {
  std::string name;                           // unique; the `target` label
  std::string base_url;                       // scheme://host[:port][/prefix], no trailing slash
  std::map<std::string, std::string> labels;  // extra labels on every series of this target
  std::optional<SourceRef> lb_source;         // the real balancer's view of this target
  std::optional<TrafficSourceRef> traffic_source;  // what its real users got

  // The URL a request for `path` (a health or sample path, starting with '/') goes to.
  std::string UrlFor(std::string_view path) const { return base_url + std::string(path); }
  bool operator==(const Target&) const = default;
};

// What to probe on a target that is not in the config: a target without name, url and labels.
// Used by /probe?module=NAME and by file_sd discovered targets.
struct Module : ProbeSpec {
  int rounds = 1;  // /probe: requests per API sample per scrape
  bool operator==(const Module&) const = default;
};

// The module that exists when the config defines none: built-in values only (it does not
// inherit `defaults`), health GET /health, one sample GET / named "root".
inline constexpr std::string_view kDefaultModuleName = "default";
inline Module BuiltinDefaultModule() {
  Module module;
  ApiSample root;
  root.name = "root";
  root.path = "/";
  module.samples.push_back(std::move(root));
  return module;
}

// A target probed as `module` prescribes.
inline Target TargetFromModule(const Module& module, std::string name, std::string base_url,
                               std::map<std::string, std::string> labels) {
  Target target;
  static_cast<ProbeSpec&>(target) = module;
  target.name = std::move(name);
  target.base_url = std::move(base_url);
  target.labels = std::move(labels);
  return target;
}

// One rule of probe.allow: which targets /probe may reach (config/allowlist.h checks them).
struct AllowRule {
  enum class Kind { kUrlPrefix, kHost, kCidr };
  Kind kind = Kind::kUrlPrefix;
  std::string pattern;  // normalised: URL prefix, lower-case host glob, or CIDR
  bool operator==(const AllowRule&) const = default;
};

struct ProbeSettings {
  std::vector<AllowRule> allow;  // empty: /probe refuses every target
  bool operator==(const ProbeSettings&) const = default;
};

// Prometheus file_sd: target files re-read when they change (config/file_sd.h).
struct FileSdConfig {
  std::vector<std::string> files;  // paths or globs (in the file name only), relative to the
                                   // config file's directory already resolved
  Millis refresh_interval{30'000};
  std::string module{kDefaultModuleName};
  bool operator==(const FileSdConfig&) const = default;
};

// The whole configuration. A plain value: immutable once loaded, so any number of threads may
// read one copy concurrently.
// Where a source's word comes from (docs/sources.md).
enum class SourceType : std::uint8_t {
  kHaproxy,     // the runtime API: `show stat` gives servers' state and traffic
  kPrometheus,  // PromQL against a Prometheus: LB state and/or traffic, by queries
  kNginxLog,    // an nginx access log in healthgap's log_format: traffic per upstream attempt
  kHaproxyLog,  // an HAProxy log in healthgap's log-format: traffic per server
};
inline constexpr std::array<EnumName<SourceType>, 4> kSourceTypeNames = {{
    {SourceType::kHaproxy, "haproxy"},
    {SourceType::kPrometheus, "prometheus"},
    {SourceType::kNginxLog, "nginx_log"},
    {SourceType::kHaproxyLog, "haproxy_log"},
}};
static_assert(ListsValuesInOrder(kSourceTypeNames));
// "haproxy", "prometheus", "nginx_log", "haproxy_log": the `source` label of the views.
inline std::string_view ToString(SourceType type) { return NameOf(kSourceTypeNames, type); }

// Something outside healthgap that knows better than its emulation: a real balancer's view of
// its servers, or what real users got from them.
struct Source {
  std::string name;  // unique; the `source` label of the source's own series
  SourceType type = SourceType::kHaproxy;
  std::string address;  // haproxy: the stats socket, unix:/PATH or a numeric HOST:PORT
  std::string url;      // prometheus: its base URL, http://host:port
  std::string path;     // logs: the file
  // prometheus: the label whose value names a target's server, and the queries (empty: none).
  // lb_query: 1 in rotation, 0 out; requests/failures: counters, diffed per poll.
  std::string target_label = "instance";
  std::string lb_query;
  std::string requests_query;
  std::string failures_query;
  Millis interval{2'000};
  Millis timeout{1'000};

  // What a target may use it for: lb_source, traffic_source.
  bool GivesLbState() const {
    return type == SourceType::kHaproxy || (type == SourceType::kPrometheus && !lb_query.empty());
  }
  bool GivesTraffic() const { return type != SourceType::kPrometheus || !requests_query.empty(); }
  bool operator==(const Source&) const = default;
};

struct Config {
  std::string source;                     // file name the config came from, or "<embedded>"
  std::vector<Target> targets;            // static targets; serve adds discovered ones
  std::map<std::string, Module> modules;  // never empty once loaded: at least "default"
  ProbeSettings probe;
  std::vector<FileSdConfig> file_sd_configs;
  std::vector<Source> sources;  // lb_source and traffic_source name these
  // Equal configs mean a reload changes nothing.
  bool operator==(const Config&) const = default;
};

}  // namespace healthgap::config
