// health:, health_checks: and lb: of targets, modules and defaults.

#include <algorithm>
#include <array>
#include <map>

#include "config/field_readers.h"
#include "config/inheritance.h"
#include "config/sections.h"

namespace healthgap::config {

namespace {

Setting<HealthRole> ReadRole(const Reader& reader, const Entry& entry, Level level) {
  const std::string text = reader.ReadString(entry);
  if (text == "readiness") return SetAt(entry, HealthRole::kReadiness, level);
  if (text == "liveness") return SetAt(entry, HealthRole::kLiveness, level);
  reader.Fail(entry.line, entry.field,
              "invalid role " + Quote(text) + ", expected readiness or liveness");
}

Setting<HealthCheckType> ReadType(const Reader& reader, const Entry& entry, Level level) {
  const std::string text = reader.ReadString(entry);
  const std::optional<HealthCheckType> type = ValueNamed(kHealthCheckTypeNames, text);
  if (!type) {
    reader.Fail(
        entry.line, entry.field,
        "invalid type " + Quote(text) + ", expected one of " + JoinedNames(kHealthCheckTypeNames));
  }
  return SetAt(entry, *type, level);
}

// Which types each key of a health map applies to (a key not listed applies to every type),
// and for a type it does not apply to, what that type has in its place ("" when nothing).
struct KeyTypes {
  std::string_view key;
  bool http, tcp, grpc;
  std::string_view http_instead, tcp_instead, grpc_instead;
};
const auto kKeyTypes = std::to_array<KeyTypes>({
    {"path", true, false, true, "", "a tcp check connects to the target's host and port", ""},
    {"method", true, false, false, "", "", "a grpc check calls the method its path names"},
    {"body", true, false, false, "", "a tcp check writes its send string", "a grpc check sends its service"},
    {"headers", true, false, true, "", "a tcp check sends no headers", ""},
    {"expected_status", true, false, false, "",
     "a tcp check passes when it connects (and the reply matches expect)",
     "a grpc check passes on OK and SERVING, or on expected_grpc_codes"},
    {"port", false, true, true, "an http check's port is in the target's URL", "", ""},
    {"tls", false, true, true, "an http check uses TLS when the target's URL is https", "", ""},
    {"send", false, true, false, "set body instead", "", ""},
    {"expect", false, true, false, "set fail_if_body_not_matches_regexp instead", "", ""},
    {"service", false, false, true, "", "", ""},
    {"expected_grpc_codes", false, false, true, "set expected_status instead", "", ""},
});

// Each key the map set must apply to the check's type: `expected_status` on a tcp check would
// silently judge nothing. `type_origin` says where the type came from.
void CheckKeysApply(const Reader& reader, const std::vector<Entry>& keys, HealthCheckType type,
                    const std::string& type_origin) {
  const auto index = static_cast<std::size_t>(type);
  for (const Entry& entry : keys) {
    const KeyTypes* rule = nullptr;
    for (const KeyTypes& candidate : kKeyTypes) {
      if (candidate.key == entry.key) rule = &candidate;
    }
    bool applies = true;
    std::string_view instead;
    if (rule) {
      applies = std::array<bool, 3>{rule->http, rule->tcp, rule->grpc}[index];
      instead = std::array<std::string_view, 3>{rule->http_instead, rule->tcp_instead,
                                                rule->grpc_instead}[index];
    } else if (ConditionKeys().Contains(entry.key) || HttpKeys().Contains(entry.key)) {
      // fail_if_*, json_conditions, follow_redirects, ...: they judge or shape HTTP.
      applies = type == HealthCheckType::kHttp;
    }
    if (applies) continue;
    const std::string_view name = ToString(type);
    std::string message = std::string("does not apply to ") + (name == "http" ? "an " : "a ") +
                          std::string(name) + " health check (type " + type_origin + ")";
    if (!instead.empty()) message += "; " + std::string(instead);
    reader.Fail(entry.line, entry.field, message);
  }
}

std::string TypeOrigin(const Setting<HealthCheckType>& type) {
  return std::string(ToString(type.value)) + " at line " + std::to_string(type.line);
}

using H = HealthLayer;
// Sized by its rules, so a table cannot hold an empty one.
const auto kHealthFields = std::to_array<FieldRule<H>>({
    {"role",
     [](const Reader& r, const Entry& e, Level l, H& out) { out.role = ReadRole(r, e, l); }},
    {"path", SetMember<H, &H::path, ReadPath>},
    {"method", SetMember<H, &H::method, ReadMethod>},
    {"headers",
     [](const Reader& r, const Entry& e, Level, H& out) { out.headers = ReadHeaders(r, e); }},
    {"body", SetMember<H, &H::body, ReadBodyText>},
    {"expected_status", SetMember<H, &H::expected_status, ReadStatus>},
    {"interval", SetMember<H, &H::interval, ReadDuration>},
    {"timeout", SetMember<H, &H::timeout, ReadDuration>},
    {"fast_interval", SetMember<H, &H::fast_interval, ReadDuration>},
    {"down_interval", SetMember<H, &H::down_interval, ReadDuration>},
    {"healthy_threshold", SetMember<H, &H::healthy_threshold, ReadCount>},
    {"unhealthy_threshold", SetMember<H, &H::unhealthy_threshold, ReadCount>},
    {"type",
     [](const Reader& r, const Entry& e, Level l, H& out) { out.type = ReadType(r, e, l); }},
    {"port", SetMember<H, &H::port, ReadPort>},
    {"tls", SetMember<H, &H::tls, ReadBool>},
    {"send", SetMember<H, &H::send, ReadBodyText>},
    {"expect", SetMember<H, &H::expect, ReadRegex>},
    {"service", SetMember<H, &H::service, ReadBodyText>},
    {"expected_grpc_codes", SetMember<H, &H::expected_grpc_codes, ReadGrpcCodes>},
});

}  // namespace

HealthLayer ReadHealthLayer(const Reader& reader, const Entry& entry, Level level) {
  HealthLayer layer;
  const Fields fields =
      reader.OpenMap(entry, KeysOf(kHealthFields).Add(ConditionKeys()).Add(HttpKeys()));
  ReadFields(reader, fields, kHealthFields, level, layer);
  layer.conditions = ReadConditionsLayer(reader, fields, level);
  layer.http = ReadHttpLayer(reader, fields, level);
  layer.keys = fields.entries;
  if (layer.type) CheckKeysApply(reader, layer.keys, layer.type->value, TypeOrigin(*layer.type));
  return layer;
}

Setting<LbPreset> ReadLbPreset(const Reader& reader, const Entry& entry, Level level) {
  const std::string text = reader.ReadString(entry);
  std::optional<LbPreset> preset = FindLbPreset(text);
  if (!preset) {
    reader.Fail(entry.line, entry.field,
                "unknown load balancer " + Quote(text) + ", expected one of " + LbPresetNames());
  }
  return SetAt(entry, *preset, level);
}

std::vector<HealthCheck> ReadHealthChecks(const Reader& reader, const Fields& fields,
                                          const std::string& field, int line,
                                          const DefaultsLayer& defaults) {
  Maybe<LbPreset> own_lb;
  if (const Entry* lb = fields.Get("lb")) own_lb = ReadLbPreset(reader, *lb, kOwn);
  const Setting<LbPreset>* lb = own_lb ? &*own_lb : nullptr;
  const Entry* health = fields.Get("health");
  const Entry* list = fields.Get("health_checks");
  if (health && list) {
    reader.Fail(list->line, list->field,
                "set either health or health_checks, not both; health is already set at line " +
                    std::to_string(health->line));
  }
  // A map without a type of its own takes it from its preset or defaults.health: its keys must
  // apply to that type too.
  const auto check_inherited_type = [&](const HealthLayer& own, const HealthCheck& check) {
    if (own.type) return;
    const Setting<LbPreset>* preset = lb ? lb : (defaults.lb ? &*defaults.lb : nullptr);
    const std::string origin =
        std::string(ToString(check.type)) +
        (lb || !defaults.health.type
             ? (preset ? " from lb: " + std::string(preset->value.name) + " at line " +
                             std::to_string(preset->line)
                       : std::string(" (built-in default)"))
             : " from defaults.health at line " + std::to_string(defaults.health.type->line));
    CheckKeysApply(reader, own.keys, check.type, origin);
  };
  if (!list) {
    HealthLayer own;
    if (health) own = ReadHealthLayer(reader, *health, kOwn);
    HealthCheck check = ResolveHealth(reader, own, lb, defaults, field + ".health", line);
    check_inherited_type(own, check);
    return {std::move(check)};
  }
  const std::vector<Entry> items = reader.Items(*list, "a list of health checks");
  if (items.empty()) reader.Fail(list->line, list->field, "must list at least one health check");
  std::vector<HealthCheck> checks;
  std::map<HealthRole, int> first_line_by_role;
  for (const Entry& item : items) {
    const HealthLayer own = ReadHealthLayer(reader, item, kOwn);
    HealthCheck check = ResolveHealth(reader, own, lb, defaults, item.field, item.line);
    check_inherited_type(own, check);
    const int role_line = own.role ? own.role->line : item.line;
    auto [it, inserted] = first_line_by_role.emplace(check.role, role_line);
    if (!inserted) {
      reader.Fail(role_line, item.field + ".role",
                  std::string("duplicate role ") +
                      (check.role == HealthRole::kReadiness ? "\"readiness\"" : "\"liveness\"") +
                      ", first at line " + std::to_string(it->second) +
                      "; at most one check per role");
    }
    checks.push_back(std::move(check));
  }
  std::stable_partition(checks.begin(), checks.end(),
                        [](const HealthCheck& c) { return c.role == HealthRole::kReadiness; });
  return checks;
}

}  // namespace healthgap::config
