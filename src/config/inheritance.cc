#include "config/inheritance.h"

#include <algorithm>
#include <tuple>

#include "common/strings.h"
#include "config/cross_field_rules.h"

namespace healthgap::config {
namespace {

// The defaults' headers, then the own ones; an own header replaces a default of the same name
// (any case).
std::vector<std::pair<std::string, std::string>> MergedHeaders(const std::vector<Header>& defaults,
                                                               const std::vector<Header>& own) {
  std::vector<std::pair<std::string, std::string>> merged;
  for (const Header& header : defaults) {
    const bool overridden = std::any_of(own.begin(), own.end(), [&](const Header& h) {
      return EqualsIgnoringCase(h.name, header.name);
    });
    if (!overridden) merged.emplace_back(header.name, header.value);
  }
  for (const Header& header : own) merged.emplace_back(header.name, header.value);
  return merged;
}

// Each condition list is one setting: the own one, else the inherited one.
// Field by field: own, then inherited, then `builtin`'s.
HttpSettings ResolveHttp(const HttpLayer& own, const HttpLayer& inherited,
                         const HttpSettings& builtin) {
  HttpSettings out;
  out.follow_redirects =
      ValueOr(Pick(own.follow_redirects, inherited.follow_redirects), builtin.follow_redirects);
  out.max_redirects =
      ValueOr(Pick(own.max_redirects, inherited.max_redirects), builtin.max_redirects);
  out.compression = ValueOr(Pick(own.compression, inherited.compression), builtin.compression);
  out.valid_http_versions = ValueOr(Pick(own.valid_http_versions, inherited.valid_http_versions),
                                    builtin.valid_http_versions);
  return out;
}

ResponseConditions ResolveConditions(const ConditionsLayer& own, const ConditionsLayer& inherited) {
  ResponseConditions out;
  out.fail_if_body_matches =
      ValueOr(Pick(own.fail_if_body_matches, inherited.fail_if_body_matches), {});
  out.fail_if_body_not_matches =
      ValueOr(Pick(own.fail_if_body_not_matches, inherited.fail_if_body_not_matches), {});
  out.fail_if_header_matches =
      ValueOr(Pick(own.fail_if_header_matches, inherited.fail_if_header_matches), {});
  out.fail_if_header_not_matches =
      ValueOr(Pick(own.fail_if_header_not_matches, inherited.fail_if_header_not_matches), {});
  out.json_conditions = ValueOr(Pick(own.json_conditions, inherited.json_conditions), {});
  return out;
}

}  // namespace

HealthCheck ResolveHealth(const strict_yaml::Reader& reader, const HealthLayer& own,
                          const Setting<LbPreset>* own_lb, const DefaultsLayer& defaults,
                          const std::string& field, int line) {
  const HealthLayer& dh = defaults.health;
  const Setting<LbPreset>* lb = own_lb ? own_lb : (defaults.lb ? &*defaults.lb : nullptr);
  HealthCheck builtin;
  if (lb) builtin = ApplyLbPreset(builtin, lb->value);
  // A preset's value, attributed to the `lb` key it came from (for error messages).
  auto from_preset = [](const Setting<LbPreset>* preset, Millis value) -> Maybe<Millis> {
    if (!preset) return std::nullopt;
    return Setting<Millis>{value, preset->field, preset->line, preset->level};
  };
  // Own fields beat the own preset, which beats defaults.health fields.
  auto pick = [&](const auto& own_value, const auto& inherited) {
    return own_value ? &*own_value : (own_lb ? nullptr : (inherited ? &*inherited : nullptr));
  };
  HealthCheck check = builtin;
  check.type = ValueOr(pick(own.type, dh.type), builtin.type);
  check.role = ValueOr(Pick(own.role, dh.role), builtin.role);
  check.path = ValueOr(Pick(own.path, dh.path), builtin.path);
  if (check.type == HealthCheckType::kGrpc) {
    // The method: the check's own or its preset's, never an HTTP path from defaults.health.
    check.path = own.path ? own.path->value
                 : lb && !lb->value.path.empty()
                     ? std::string(lb->value.path)
                     : std::string(GrpcCheckSettings::kHealthCheckMethod);
  }
  if (const auto* port = Pick(own.port, dh.port)) check.port = port->value;
  if (const auto* tls = Pick(own.tls, dh.tls)) check.tls = tls->value;
  check.tcp.send = ValueOr(Pick(own.send, dh.send), builtin.tcp.send);
  if (const auto* expect = Pick(own.expect, dh.expect)) check.tcp.expect = expect->value;
  check.grpc.service = ValueOr(Pick(own.service, dh.service), builtin.grpc.service);
  if (const auto* codes = pick(own.expected_grpc_codes, dh.expected_grpc_codes)) {
    check.grpc.expected_codes = codes->value;
  }
  check.method = ValueOr(Pick(own.method, dh.method), builtin.method);
  check.body = ValueOr(Pick(own.body, dh.body), builtin.body);
  check.headers = MergedHeaders(dh.headers, own.headers);
  check.conditions = ResolveConditions(own.conditions, dh.conditions);
  check.http = ResolveHttp(own.http, dh.http, builtin.http);
  check.expected_status =
      ValueOr(pick(own.expected_status, dh.expected_status), builtin.expected_status);
  const Maybe<Millis> preset_interval = from_preset(lb, builtin.interval);
  const Maybe<Millis> preset_timeout = from_preset(lb, builtin.timeout);
  const Setting<Millis>* interval = pick(own.interval, dh.interval);
  const Setting<Millis>* timeout = pick(own.timeout, dh.timeout);
  if (!interval && preset_interval) interval = &*preset_interval;
  if (!timeout && preset_timeout) timeout = &*preset_timeout;
  check.interval = ValueOr(interval, builtin.interval);
  check.timeout = ValueOr(timeout, builtin.timeout);
  check.healthy_threshold =
      ValueOr(pick(own.healthy_threshold, dh.healthy_threshold), builtin.healthy_threshold);
  check.unhealthy_threshold =
      ValueOr(pick(own.unhealthy_threshold, dh.unhealthy_threshold), builtin.unhealthy_threshold);
  CheckNotAbove(reader, timeout, check.timeout, "timeout", interval, check.interval, "interval",
                kTimeoutWhy, field + ".timeout", line);
  for (const auto& [own_value, inherited, out] :
       {std::tuple{&own.fast_interval, &dh.fast_interval, &check.fast_interval},
        std::tuple{&own.down_interval, &dh.down_interval, &check.down_interval}}) {
    const Setting<Millis>* value = Pick(*own_value, *inherited);
    if (!value) continue;
    if (check.schedule != CheckSchedule::kAfterCompletion) {
      reader.Fail(value->line, value->field,
                  "HAProxy's fastinter and downinter: only for lb: haproxy or haproxy-tcp, whose "
                  "next check starts an interval after the last one ends (lb is " +
                      check.lb + ")");
    }
    *out = value->value;
  }
  return check;
}

void ResolveSample(const strict_yaml::Reader& reader, const SampleLayer& own,
                   const SampleLayer& defaults, const std::string& field, int line,
                   ApiSample& sample) {
  const ApiSample builtin;
  sample.method = ValueOr(Pick(own.method, defaults.method), builtin.method);
  sample.expected_status =
      ValueOr(Pick(own.expected_status, defaults.expected_status), builtin.expected_status);
  const auto* interval = Pick(own.interval, defaults.interval);
  const auto* timeout = Pick(own.timeout, defaults.timeout);
  const auto* budget = Pick(own.latency_budget, defaults.latency_budget);
  sample.interval = ValueOr(interval, builtin.interval);
  sample.timeout = ValueOr(timeout, builtin.timeout);
  if (budget) sample.latency_budget = budget->value;
  sample.keep_alive = ValueOr(Pick(own.keep_alive, defaults.keep_alive), builtin.keep_alive);

  sample.headers = MergedHeaders(defaults.headers, own.headers);
  sample.conditions = ResolveConditions(own.conditions, defaults.conditions);
  sample.http = ResolveHttp(own.http, defaults.http, builtin.http);

  CheckNotAbove(reader, timeout, sample.timeout, "timeout", interval, sample.interval, "interval",
                kTimeoutWhy, field + ".timeout", line);
  if (budget) {
    CheckNotAbove(reader, budget, budget->value, "latency_budget", timeout, sample.timeout,
                  "timeout", kBudgetWhy, field + ".latency_budget", line);
  }
}

void ResolveEvaluation(const strict_yaml::Reader& reader, const EvaluationLayer& own,
                       const DefaultsLayer& defaults, const std::string& field, int line,
                       ProbeSpec& spec) {
  const EvaluationLayer& inherited = defaults.evaluation;
  const Evaluation builtin;
  const auto* window = Pick(own.window, inherited.window);
  const auto* min_samples = Pick(own.min_samples, inherited.min_samples);
  spec.evaluation.min_samples = ValueOr(min_samples, builtin.min_samples);
  // Without a configured window: the built-in 2m, or as long as min_samples of the most frequent
  // sample take, so a gentle production interval (30s, 1m) works with the defaults.
  Millis shortest_interval = spec.samples.empty() ? builtin.window : spec.samples[0].interval;
  for (const ApiSample& sample : spec.samples) {
    shortest_interval = std::min(shortest_interval, sample.interval);
  }
  const Millis derived = std::max(builtin.window, shortest_interval * spec.evaluation.min_samples);
  spec.evaluation.window = ValueOr(window, derived);
  spec.evaluation.max_error_ratio =
      ValueOr(Pick(own.max_error_ratio, inherited.max_error_ratio), builtin.max_error_ratio);
  CheckWindowHoldsMinSamples(reader, spec, field, line, window, min_samples);
}

void ResolveWholeSettings(const Maybe<std::size_t>& own_body_limit,
                          const Maybe<TargetAuth>& own_auth, const Maybe<TlsConfig>& own_tls,
                          const ConnectionLayer& own_connection, const DefaultsLayer& defaults,
                          ProbeSpec& spec) {
  const ConnectionLayer& inherited = defaults.connection;
  const ConnectionSettings builtin;
  spec.connection.proxy_url =
      ValueOr(Pick(own_connection.proxy_url, inherited.proxy_url), builtin.proxy_url);
  if (const auto* ip =
          Pick(own_connection.preferred_ip_protocol, inherited.preferred_ip_protocol)) {
    spec.connection.preferred_ip_protocol = ip->value;
  }
  spec.connection.ip_protocol_fallback =
      ValueOr(Pick(own_connection.ip_protocol_fallback, inherited.ip_protocol_fallback),
              builtin.ip_protocol_fallback);
  spec.max_body_bytes =
      ValueOr(Pick(own_body_limit, defaults.max_body_bytes), ProbeSpec{}.max_body_bytes);
  spec.auth = ValueOr(Pick(own_auth, defaults.auth), TargetAuth{});
  spec.tls = ValueOr(Pick(own_tls, defaults.tls), TlsConfig{});
}

}  // namespace healthgap::config
