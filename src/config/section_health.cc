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
    {"healthy_threshold", SetMember<H, &H::healthy_threshold, ReadCount>},
    {"unhealthy_threshold", SetMember<H, &H::unhealthy_threshold, ReadCount>},
});

}  // namespace

HealthLayer ReadHealthLayer(const Reader& reader, const Entry& entry, Level level) {
  HealthLayer layer;
  const Fields fields =
      reader.OpenMap(entry, KeysOf(kHealthFields).Add(ConditionKeys()).Add(HttpKeys()));
  ReadFields(reader, fields, kHealthFields, level, layer);
  layer.conditions = ReadConditionsLayer(reader, fields, level);
  layer.http = ReadHttpLayer(reader, fields, level);
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
  if (!list) {
    HealthLayer own;
    if (health) own = ReadHealthLayer(reader, *health, kOwn);
    return {ResolveHealth(reader, own, lb, defaults, field + ".health", line)};
  }
  const std::vector<Entry> items = reader.Items(*list, "a list of health checks");
  if (items.empty()) reader.Fail(list->line, list->field, "must list at least one health check");
  std::vector<HealthCheck> checks;
  std::map<HealthRole, int> first_line_by_role;
  for (const Entry& item : items) {
    const HealthLayer own = ReadHealthLayer(reader, item, kOwn);
    HealthCheck check = ResolveHealth(reader, own, lb, defaults, item.field, item.line);
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
