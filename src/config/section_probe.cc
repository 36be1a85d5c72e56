// probe: the allowlist of targets /probe may reach.

#include "config/allowlist.h"
#include "config/sections.h"

namespace healthgap::config {

namespace {

// One rule: a map with exactly one of url_prefix, host and cidr.
AllowRule ReadAllowRule(const Reader& reader, const Entry& item) {
  const Fields fields = reader.OpenMap(item, {"url_prefix", "host", "cidr"});
  if (fields.entries.size() != 1) {
    reader.Fail(item.line, item.field, "set exactly one of url_prefix, host or cidr in each rule");
  }
  const Entry& rule = fields.entries[0];
  const AllowRule::Kind kind = rule.key == "url_prefix" ? AllowRule::Kind::kUrlPrefix
                               : rule.key == "host"     ? AllowRule::Kind::kHost
                                                        : AllowRule::Kind::kCidr;
  auto parsed = ParseAllowRule(kind, reader.ReadString(rule));
  if (!parsed.value) reader.Fail(rule.line, rule.field, parsed.error);
  return *parsed.value;
}

}  // namespace

ProbeSettings ReadProbeSettings(const Reader& reader, const Entry& entry) {
  const Fields fields = reader.OpenMap(entry, {"allow"});
  ProbeSettings probe;
  if (const Entry* allow = fields.Get("allow")) {
    for (const Entry& item : reader.Items(*allow, "a list of rules")) {
      probe.allow.push_back(ReadAllowRule(reader, item));
    }
  }
  return probe;
}

}  // namespace healthgap::config
