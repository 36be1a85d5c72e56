#include "audit/kubernetes.h"

#include <algorithm>
#include <charconv>
#include <optional>

#include "audit/yaml_fields.h"

namespace healthgap::audit {
namespace {

using Node = YamlNode;

Check ReadProbe(const Node& probe) {
  Check check;
  check.line = probe.line();
  check.interval = Millis(IntAt(probe, "periodSeconds", 10) * 1000LL);
  check.timeout = Millis(IntAt(probe, "timeoutSeconds", 1) * 1000LL);
  check.timeout_set = check.timeout;
  check.unhealthy_threshold = IntAt(probe, "failureThreshold", 3);
  check.healthy_threshold = IntAt(probe, "successThreshold", 1);
  check.initial_delay = Millis(IntAt(probe, "initialDelaySeconds", 0) * 1000LL);
  check.accepted = StatusMatcher{{{200, 399}}};
  if (const auto http = At(probe, "httpGet")) {
    check.kind = CheckKind::kHttp;
    check.path = ScalarAt(*http, "path");
    if (check.path.empty()) check.path = "/";
    check.port = IntAt(*http, "port", 0);
  } else if (const auto tcp = At(probe, "tcpSocket")) {
    check.kind = CheckKind::kTcp;
    check.port = IntAt(*tcp, "port", 0);
  } else if (const auto grpc = At(probe, "grpc")) {
    check.kind = CheckKind::kGrpc;
    check.port = IntAt(*grpc, "port", 0);
  } else if (At(probe, "exec")) {
    check.kind = CheckKind::kExec;
  }
  return check;
}

// The pod spec of a workload, or of a Pod itself.
std::optional<Node> PodSpec(const Node& object, const std::string& kind) {
  const std::optional<Node> spec = At(object, "spec");
  if (!spec) return std::nullopt;
  if (kind == "Pod") return spec;
  if (kind == "CronJob") {
    const auto job = At(*spec, "jobTemplate");
    if (!job) return std::nullopt;
    const auto job_spec = At(*job, "spec");
    if (!job_spec) return std::nullopt;
    const auto tmpl = At(*job_spec, "template");
    return tmpl ? At(*tmpl, "spec") : std::nullopt;
  }
  const std::optional<Node> tmpl = At(*spec, "template");
  return tmpl ? At(*tmpl, "spec") : std::nullopt;
}

void ReadObject(const Node& object, const std::string& file, std::vector<Pool>* pools) {
  if (!object.IsMap()) return;
  const std::string kind = ScalarAt(object, "kind");
  if (kind == "List") {
    if (const auto items = At(object, "items"); items && items->IsSequence()) {
      for (std::size_t i = 0; i < items->size(); ++i) ReadObject((*items)[i], file, pools);
    }
    return;
  }
  static constexpr std::string_view kWorkloads[] = {
      "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod", "Job", "CronJob"};
  if (std::find(std::begin(kWorkloads), std::end(kWorkloads), kind) == std::end(kWorkloads)) {
    return;
  }
  const std::string name = [&] {
    const auto metadata = At(object, "metadata");
    return metadata ? ScalarAt(*metadata, "name") : std::string();
  }();
  const std::optional<Node> spec = PodSpec(object, kind);
  const int replicas = [&] {
    const auto top = At(object, "spec");
    return kind == "Pod" ? 1 : top ? IntAt(*top, "replicas", 1) : 1;
  }();
  if (!spec) return;
  const std::optional<Node> containers = At(*spec, "containers");
  if (!containers || !containers->IsSequence()) return;
  for (std::size_t i = 0; i < containers->size() && pools->size() < 10'000; ++i) {
    const Node container = (*containers)[i];
    Pool pool;
    pool.balancer = Balancer::kKubernetes;
    pool.file = file;
    pool.kind = kind;
    pool.name = name + "/" + ScalarAt(container, "name");
    pool.line = container.line();
    pool.replicas = replicas;
    pool.names = {.interval = "periodSeconds",
                  .unhealthy_threshold = "failureThreshold",
                  .healthy_threshold = "successThreshold",
                  .timeout = "timeoutSeconds",
                  .matcher = "httpGet"};
    if (const auto readiness = At(container, "readinessProbe")) {
      pool.check = ReadProbe(*readiness);
    } else {
      pool.readiness_set = false;
      pool.check.kind = CheckKind::kNone;
      pool.check.line = container.line();
    }
    if (const auto liveness = At(container, "livenessProbe")) pool.liveness = ReadProbe(*liveness);
    if (const auto startup = At(container, "startupProbe")) pool.startup = ReadProbe(*startup);
    pools->push_back(std::move(pool));
  }
}

}  // namespace

ParsedPools ParseKubernetesManifests(std::string_view text, const std::string& file) {
  ParsedPools out;
  const auto stream = ParseDocuments(text, "not YAML", &out.error);
  if (!stream) return out;
  for (const Node& document : stream->documents()) ReadObject(document, file, &out.pools);
  return out;
}

}  // namespace healthgap::audit
