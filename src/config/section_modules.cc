// What targets and modules share (ProbeSpec), and modules:.

#include "config/field_readers.h"
#include "config/inheritance.h"
#include "config/sections.h"
#include "config/values.h"

namespace healthgap::config {

namespace {

constexpr int kMaxRounds = 100;  // /probe sends rounds x samples requests per scrape

Module ReadModule(const Reader& reader, const Entry& entry, const DefaultsLayer& defaults) {
  const Fields fields = reader.OpenMap(entry, ProbeSpecKeys().Add("rounds"));
  Module module;
  static_cast<ProbeSpec&>(module) =
      ReadProbeSpec(reader, fields, entry.field, entry.line, defaults);
  if (const Entry* rounds = fields.Get("rounds")) {
    module.rounds = reader.ReadCount(*rounds);
    if (module.rounds > kMaxRounds) {
      reader.Fail(rounds->line, rounds->field,
                  "must be at most " + std::to_string(kMaxRounds) + ", got " +
                      std::to_string(module.rounds));
    }
  }
  return module;
}

// What a TCP or gRPC health check cannot do that the target's settings ask for.
void CheckNonHttpHealthChecks(const Reader& reader, const ProbeSpec& spec,
                              const Setting<std::string>* proxy, const Setting<TlsConfig>* tls) {
  std::vector<const HealthCheck*> checks = {&spec.health};
  for (const HealthCheck& other : spec.other_health_checks) checks.push_back(&other);
  for (const HealthCheck* check : checks) {
    if (check->type == HealthCheckType::kHttp) continue;
    const std::string type(ToString(check->type));
    if (proxy && !proxy->value.empty()) {
      reader.Fail(proxy->line, proxy->field,
                  "a " + type +
                      " health check connects directly, as the load balancer does: proxy_url "
                      "applies to http checks and samples only; set it on those targets alone");
    }
    if (check->type == HealthCheckType::kGrpc && tls && tls->value.min_version) {
      reader.Fail(tls->line, tls->field + ".min_version",
                  "a grpc health check cannot enforce min_version (gRPC 1.51 has no such "
                  "option); leave it out for this target or check it over http");
    }
  }
}

}  // namespace

KeySet ProbeSpecKeys() {
  return KeySet{"health",     "health_checks",  "lb",   "samples",
                "evaluation", "max_body_bytes", "auth", "tls_config"}
      .Add(ConnectionKeys());
}

ProbeSpec ReadProbeSpec(const Reader& reader, const Fields& fields, const std::string& field,
                        int line, const DefaultsLayer& defaults) {
  ProbeSpec spec;
  std::vector<HealthCheck> checks = ReadHealthChecks(reader, fields, field, line, defaults);
  spec.health = checks.front();
  spec.other_health_checks.assign(checks.begin() + 1, checks.end());
  spec.samples = ReadSamples(reader, fields, field, line, defaults.sample);

  EvaluationLayer own_evaluation;
  if (const Entry* evaluation = fields.Get("evaluation")) {
    own_evaluation = ReadEvaluationLayer(reader, *evaluation, kOwn);
  }
  ResolveEvaluation(reader, own_evaluation, defaults, field, line, spec);
  Maybe<std::size_t> own_body_limit;
  if (const Entry* limit = fields.Get("max_body_bytes")) {
    own_body_limit = SetAt(*limit, ReadBodyLimit(reader, *limit), kOwn);
  }
  Maybe<TargetAuth> own_auth;
  if (const Entry* auth = fields.Get("auth")) own_auth = ReadAuth(reader, *auth, kOwn);
  Maybe<TlsConfig> own_tls;
  if (const Entry* tls = fields.Get("tls_config")) own_tls = ReadTlsConfig(reader, *tls, kOwn);
  const ConnectionLayer own_connection = ReadConnectionLayer(reader, fields, kOwn);
  ResolveWholeSettings(own_body_limit, own_auth, own_tls, own_connection, defaults, spec);
  CheckNonHttpHealthChecks(reader, spec,
                           Pick(own_connection.proxy_url, defaults.connection.proxy_url),
                           Pick(own_tls, defaults.tls));
  return spec;
}

std::map<std::string, Module> ReadModules(const Reader& reader, const Entry& entry,
                                          const DefaultsLayer& defaults) {
  std::map<std::string, Module> modules;
  for (const Entry& item : reader.UserKeyedMap(entry, /*keys_case_insensitive=*/false)) {
    if (auto error = CheckName(item.key, "module"); !error.empty()) {
      reader.Fail(item.line, item.field, error);
    }
    modules.emplace(item.key, ReadModule(reader, item, defaults));
  }
  if (modules.empty()) {
    reader.Fail(entry.line, entry.field,
                "must define at least one module; leave the key out to get the built-in module "
                "\"default\"");
  }
  return modules;
}

}  // namespace healthgap::config
