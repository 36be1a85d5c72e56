// blackbox_exporter's response conditions on health checks and samples, compiled at load time.

#include <array>

#include "config/field_readers.h"
#include "config/sections.h"
#include "config/values.h"

namespace healthgap::config {
namespace {

std::vector<Regex> ReadRegexList(const Reader& reader, const Entry& entry) {
  std::vector<Regex> out;
  for (const Entry& item : reader.Items(entry, "a list of regular expressions")) {
    out.push_back(ReadRegex(reader, item));
  }
  return out;
}

// [{header: NAME, regexp: RE, allow_missing: BOOL}], as blackbox_exporter.
std::vector<HeaderCondition> ReadHeaderConditions(const Reader& reader, const Entry& entry) {
  std::vector<HeaderCondition> out;
  for (const Entry& item : reader.Items(entry, "a list of {header, regexp} conditions")) {
    const Fields fields = reader.OpenMap(item, {"header", "regexp", "allow_missing"});
    const Entry* header = fields.Get("header");
    if (!header) reader.Fail(item.line, item.field + ".header", "required field is missing");
    const Entry* regexp = fields.Get("regexp");
    if (!regexp) reader.Fail(item.line, item.field + ".regexp", "required field is missing");
    HeaderCondition condition{reader.ReadString(*header), ReadRegex(reader, *regexp), false};
    if (auto error = CheckHeader(condition.header, ""); !error.empty()) {
      reader.Fail(header->line, header->field, error);
    }
    if (const Entry* allow = fields.Get("allow_missing")) {
      condition.allow_missing = reader.ReadBool(*allow);
    }
    out.push_back(std::move(condition));
  }
  return out;
}

// JSON conditions (common/json_condition.h), each parsed now: a bad one is a load error.
std::vector<JsonCondition> ReadJsonConditions(const Reader& reader, const Entry& entry) {
  std::vector<JsonCondition> out;
  for (const Entry& item : reader.Items(entry, "a list of JSON conditions")) {
    std::string error;
    std::optional<JsonCondition> condition = JsonCondition::Parse(reader.ReadString(item), &error);
    if (!condition) reader.Fail(item.line, item.field, "invalid JSON condition: " + error);
    out.push_back(std::move(*condition));
  }
  return out;
}

using C = ConditionsLayer;
// Sized by its rules, so a table cannot hold an empty one.
const auto kConditionFields = std::to_array<FieldRule<C>>({
    {"fail_if_body_matches_regexp", SetMember<C, &C::fail_if_body_matches, ReadRegexList>},
    {"fail_if_body_not_matches_regexp", SetMember<C, &C::fail_if_body_not_matches, ReadRegexList>},
    {"fail_if_header_matches", SetMember<C, &C::fail_if_header_matches, ReadHeaderConditions>},
    {"fail_if_header_not_matches",
     SetMember<C, &C::fail_if_header_not_matches, ReadHeaderConditions>},
    {"json_conditions", SetMember<C, &C::json_conditions, ReadJsonConditions>},
});

}  // namespace

KeySet ConditionKeys() { return KeysOf(kConditionFields); }

ConditionsLayer ReadConditionsLayer(const Reader& reader, const Fields& fields, Level level) {
  ConditionsLayer layer;
  ReadFields(reader, fields, kConditionFields, level, layer);
  return layer;
}

}  // namespace healthgap::config
