#include "audit/envoy_clusters.h"

#include <charconv>
#include <cmath>

#include "audit/yaml_fields.h"

namespace healthgap::audit {
namespace {

using Node = YamlNode;

// A protobuf Duration as Envoy's YAML writes it: "5s", "0.25s", or {seconds: 5, nanos: 0}.
std::optional<Millis> DurationAt(const Node& map, std::string_view key) {
  const std::optional<Node> value = At(map, key);
  if (!value) return std::nullopt;
  if (value->IsMap()) {
    const int seconds = IntAt(*value, "seconds", 0);
    const int nanos = IntAt(*value, "nanos", 0);
    return Millis(seconds * 1000LL + nanos / 1'000'000);
  }
  std::string text = value->IsScalar() ? value->Scalar() : "";
  if (!text.ends_with("s")) return std::nullopt;
  text.pop_back();
  double seconds = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec != std::errc() || end != text.data() + text.size() || !(seconds >= 0) || seconds > 1e6) {
    return std::nullopt;
  }
  return Millis(static_cast<long long>(std::llround(seconds * 1000)));
}

void ReadEndpoints(const Node& cluster, Pool& pool) {
  const auto assignment = At(cluster, "load_assignment");
  const auto endpoints = assignment ? At(*assignment, "endpoints") : std::nullopt;
  if (!endpoints || !endpoints->IsSequence()) return;
  for (std::size_t i = 0; i < endpoints->size(); ++i) {
    const auto lb_endpoints = At((*endpoints)[i], "lb_endpoints");
    if (!lb_endpoints || !lb_endpoints->IsSequence()) continue;
    for (std::size_t j = 0; j < lb_endpoints->size() && pool.servers.size() < 10'000; ++j) {
      const Node lb_endpoint = (*lb_endpoints)[j];
      const auto endpoint = At(lb_endpoint, "endpoint");
      const auto address = endpoint ? At(*endpoint, "address") : std::nullopt;
      const auto socket = address ? At(*address, "socket_address") : std::nullopt;
      if (!socket) continue;
      const std::string host = ScalarAt(*socket, "address");
      const std::string port = ScalarAt(*socket, "port_value");
      pool.servers.push_back({.name = "endpoint" + std::to_string(pool.servers.size()),
                              .address = host + ":" + port,
                              .line = lb_endpoint.line(),
                              .checked = true});
    }
  }
}

// Envoy's expected_statuses: half-open [start, end) ranges; without them only 200 passes.
StatusMatcher ExpectedStatuses(const Node& http, bool* set) {
  const auto list = At(http, "expected_statuses");
  StatusMatcher matcher{.ranges = {}};
  if (list && list->IsSequence()) {
    for (std::size_t i = 0; i < list->size(); ++i) {
      const int start = IntAt((*list)[i], "start", 0);
      const int end = IntAt((*list)[i], "end", 0);
      if (start >= 100 && end > start && end <= 600) matcher.ranges.push_back({start, end - 1});
    }
  }
  *set = !matcher.ranges.empty();
  if (matcher.ranges.empty()) matcher.ranges.push_back({200, 200});
  return matcher;
}

Pool ReadCluster(const Node& cluster, const std::string& file) {
  Pool pool;
  pool.balancer = Balancer::kEnvoy;
  pool.file = file;
  pool.kind = "cluster";
  pool.name = ScalarAt(cluster, "name");
  pool.line = cluster.line();
  pool.names = {.interval = "interval",
                .unhealthy_threshold = "unhealthy_threshold",
                .healthy_threshold = "healthy_threshold",
                .timeout = "timeout",
                .matcher = "expected_statuses"};
  ReadEndpoints(cluster, pool);
  Check& check = pool.check;
  check.line = pool.line;
  const auto checks = At(cluster, "health_checks");
  if (checks && checks->IsSequence() && checks->size() > 0) {
    const Node first = (*checks)[0];
    check.line = first.line();
    check.interval = DurationAt(first, "interval").value_or(Millis(0));
    check.timeout = DurationAt(first, "timeout").value_or(Millis(0));
    check.timeout_set = check.timeout;
    check.unhealthy_threshold = IntAt(first, "unhealthy_threshold", 1);
    check.healthy_threshold = IntAt(first, "healthy_threshold", 1);
    if (auto unhealthy = DurationAt(first, "unhealthy_interval")) check.down_interval = *unhealthy;
    if (const auto http = At(first, "http_health_check")) {
      check.kind = CheckKind::kHttp;
      check.path = ScalarAt(*http, "path");
      check.accepted = ExpectedStatuses(*http, &check.matcher_set);
    } else if (At(first, "tcp_health_check")) {
      check.kind = CheckKind::kTcp;
    } else if (At(first, "grpc_health_check")) {
      check.kind = CheckKind::kGrpc;
    }
    return pool;
  }
  if (const auto outlier = At(cluster, "outlier_detection")) {
    // Passive only: consecutive_5xx failed requests eject a host for base_ejection_time.
    check.kind = CheckKind::kPassive;
    check.line = outlier->line();
    pool.max_fails = IntAt(*outlier, "consecutive_5xx", 5);
    pool.fail_timeout = DurationAt(*outlier, "base_ejection_time").value_or(Millis(30'000));
  }
  return pool;
}

// The clusters of a bootstrap (static_resources.clusters), of a CDS response (resources), or
// a bare list of them.
std::optional<Node> ClusterList(const Node& root) {
  if (root.IsSequence()) return root;
  if (const auto resources = At(root, "static_resources")) return At(*resources, "clusters");
  if (const auto clusters = At(root, "clusters")) return clusters;
  return At(root, "resources");
}

}  // namespace

ParsedPools ParseEnvoyClusters(std::string_view text, const std::string& file) {
  ParsedPools out;
  const auto stream = ParseDocuments(text, "not YAML", &out.error);
  if (!stream) return out;
  for (const Node& document : stream->documents()) {
    const std::optional<Node> clusters = ClusterList(document);
    if (!clusters || !clusters->IsSequence()) continue;
    for (std::size_t i = 0; i < clusters->size() && out.pools.size() < 10'000; ++i) {
      if ((*clusters)[i].IsMap()) out.pools.push_back(ReadCluster((*clusters)[i], file));
    }
  }
  if (out.pools.empty()) out.error = "no clusters (static_resources.clusters or resources)";
  return out;
}

}  // namespace healthgap::audit
