#include "audit/aws_target_groups.h"

#include "audit/yaml_fields.h"
#include "config/values.h"

namespace healthgap::audit {
namespace {

// JSON is YAML's flow style: the YAML tree reads `aws` output with its line numbers.
using Node = YamlNode;

Pool ReadTargetGroup(const Node& group, const std::string& file) {
  Pool pool;
  pool.balancer = Balancer::kAws;
  pool.file = file;
  pool.line = group.line();
  pool.name = ScalarAt(group, "TargetGroupName");
  const std::string protocol = ScalarAt(group, "Protocol");
  const bool network =
      protocol == "TCP" || protocol == "UDP" || protocol == "TLS" || protocol == "TCP_UDP";
  pool.kind = network ? "nlb-target-group" : "alb-target-group";
  pool.names = {.interval = "HealthCheckIntervalSeconds",
                .unhealthy_threshold = "UnhealthyThresholdCount",
                .healthy_threshold = "HealthyThresholdCount",
                .timeout = "HealthCheckTimeoutSeconds",
                .matcher = "Matcher"};
  Check& check = pool.check;
  check.line = pool.line;
  if (ScalarAt(group, "HealthCheckEnabled") == "false") return pool;  // kNone
  const std::string check_protocol = ScalarAt(group, "HealthCheckProtocol");
  const bool grpc = ScalarAt(group, "ProtocolVersion") == "GRPC";
  check.kind = check_protocol == "TCP" ? CheckKind::kTcp
               : grpc                  ? CheckKind::kGrpc
                                       : CheckKind::kHttp;
  // AWS's defaults: ALB 30 s / 5 s / 5 healthy / 2 unhealthy, NLB 30 s / 10 s / 5 / 2.
  check.interval = Millis(IntAt(group, "HealthCheckIntervalSeconds", 30) * 1000LL);
  check.timeout = Millis(IntAt(group, "HealthCheckTimeoutSeconds", network ? 10 : 5) * 1000LL);
  check.timeout_set = check.timeout;
  check.healthy_threshold = IntAt(group, "HealthyThresholdCount", 5);
  check.unhealthy_threshold = IntAt(group, "UnhealthyThresholdCount", 2);
  check.path = ScalarAt(group, "HealthCheckPath");
  if (check.path.empty() && check.kind == CheckKind::kHttp) check.path = "/";
  check.port = IntAt(group, "HealthCheckPort", 0);  // "traffic-port" reads as 0: the target's
  check.accepted = StatusMatcher{{{200, 200}}};     // ALB's default matcher
  if (const auto matcher = At(group, "Matcher")) {
    const std::string codes = ScalarAt(*matcher, "HttpCode");
    if (!codes.empty()) {
      if (auto parsed = config::ParseStatusMatcher(codes)) {
        check.accepted = *parsed;
        check.matcher_set = true;
      }
    }
  }
  if (network && check.kind == CheckKind::kHttp) check.accepted = StatusMatcher{{{200, 399}}};
  if (const int port = IntAt(group, "Port", 0); port > 0) {
    pool.servers.push_back({.name = "targets",
                            .address = "TARGET-IP:" + std::to_string(port),
                            .line = pool.line,
                            .checked = true});
  }
  return pool;
}

}  // namespace

ParsedPools ParseAwsTargetGroups(std::string_view text, const std::string& file) {
  ParsedPools out;
  const auto stream = ParseDocuments(text, "not JSON", &out.error);
  if (!stream) return out;
  const Node root = stream->documents().empty() ? Node() : stream->documents().front();
  const std::optional<Node> groups = At(root, "TargetGroups");
  if (!groups || !groups->IsSequence()) {
    out.error = "no TargetGroups list (the output of `aws elbv2 describe-target-groups`)";
    return out;
  }
  for (std::size_t i = 0; i < groups->size() && i < 10'000; ++i) {
    if ((*groups)[i].IsMap()) out.pools.push_back(ReadTargetGroup((*groups)[i], file));
  }
  return out;
}

}  // namespace healthgap::audit
