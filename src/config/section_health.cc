// health:, health_checks: and lb: of targets, modules and defaults.

#include <algorithm>
#include <array>
#include <map>

#include "config/field_readers.h"
#include "config/inheritance.h"
#include "config/sections.h"

namespace healthgap::config {

using strict_yaml::Entry;
using strict_yaml::Fields;
using strict_yaml::Quote;
using strict_yaml::Reader;

namespace {

Setting<HealthRole> ReadRole(const Reader& reader, const Entry& entry, Level level) {
  const std::string text = reader.ReadString(entry);
  if (text == "readiness") return SetAt(entry, HealthRole::kReadiness, level);
  if (text == "liveness") return SetAt(entry, HealthRole::kLiveness, level);
  reader.Fail(entry.line, entry.field,
              "invalid role " + Quote(text) + ", expected readiness or liveness");
}

const std::array<FieldRule<HealthLayer>, 8> kHealthFields = {{
    {"role", [](const Reader& r, const Entry& e, Level l,
                HealthLayer& out) { out.role = ReadRole(r, e, l); }},
    {"path", [](const Reader& r, const Entry& e, Level l,
                HealthLayer& out) { out.path = SetAt(e, ReadPath(r, e), l); }},
    {"method", [](const Reader& r, const Entry& e, Level l,
                  HealthLayer& out) { out.method = SetAt(e, ReadMethod(r, e), l); }},
    {"expected_status",
     [](const Reader& r, const Entry& e, Level l, HealthLayer& out) {
       out.expected_status = SetAt(e, ReadStatus(r, e), l);
     }},
    {"interval", [](const Reader& r, const Entry& e, Level l,
                    HealthLayer& out) { out.interval = SetAt(e, ReadDuration(r, e), l); }},
    {"timeout", [](const Reader& r, const Entry& e, Level l,
                   HealthLayer& out) { out.timeout = SetAt(e, ReadDuration(r, e), l); }},
    {"healthy_threshold",
     [](const Reader& r, const Entry& e, Level l, HealthLayer& out) {
       out.healthy_threshold = SetAt(e, r.ReadCount(e), l);
     }},
    {"unhealthy_threshold",
     [](const Reader& r, const Entry& e, Level l, HealthLayer& out) {
       out.unhealthy_threshold = SetAt(e, r.ReadCount(e), l);
     }},
}};

}  // namespace

HealthLayer ReadHealthLayer(const Reader& reader, const Entry& entry, Level level) {
  HealthLayer layer;
  ReadFields(reader, reader.OpenMap(entry, KeysOf(kHealthFields)), kHealthFields, level, layer);
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
