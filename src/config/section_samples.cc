// samples: and defaults.sample.

#include <array>

#include "config/field_readers.h"
#include "config/inheritance.h"
#include "config/sections.h"
#include "config/values.h"

namespace healthgap::config {

namespace {

// The keys defaults.sample and each sample share.
using S = SampleLayer;
// Sized by its rules, so a table cannot hold an empty one.
const auto kSampleSettingFields = std::to_array<FieldRule<S>>({
    {"method", SetMember<S, &S::method, ReadMethod>},
    {"expected_status", SetMember<S, &S::expected_status, ReadStatus>},
    {"interval", SetMember<S, &S::interval, ReadDuration>},
    {"timeout", SetMember<S, &S::timeout, ReadDuration>},
    {"latency_budget", SetMember<S, &S::latency_budget, ReadDuration>},
    {"keep_alive", SetMember<S, &S::keep_alive, ReadBool>},
    {"headers",
     [](const Reader& r, const Entry& e, Level, S& out) { out.headers = ReadHeaders(r, e); }},
});

// A sample's own keys beside the shared ones.
const KeySet kSampleOwnKeys = {"name", "path", "body"};

// One sample; *name_line is where its name is (or the sample's line, for a derived name).
ApiSample ReadSample(const Reader& reader, const Entry& item, const SampleLayer& defaults,
                     int* name_line) {
  const Fields fields = reader.OpenMap(item, KeySet(kSampleOwnKeys).Add(SampleSettingKeys()));
  const SampleLayer own = ReadSampleLayer(reader, fields, kOwn);
  ApiSample sample;
  const Entry* path = fields.Get("path");
  if (!path) reader.Fail(item.line, item.field + ".path", "required field is missing");
  sample.path = ReadPath(reader, *path);
  *name_line = item.line;
  if (const Entry* name = fields.Get("name")) {
    sample.name = reader.ReadString(*name);
    if (auto error = CheckName(sample.name, "sample"); !error.empty()) {
      reader.Fail(name->line, name->field, error);
    }
    *name_line = name->line;
  } else {
    sample.name = DeriveSampleName(sample.path);
  }
  if (const Entry* body = fields.Get("body")) sample.body = reader.ReadString(*body);
  ResolveSample(reader, own, defaults, item.field, item.line, sample);
  return sample;
}

}  // namespace

KeySet SampleSettingKeys() {
  return KeysOf(kSampleSettingFields).Add(ConditionKeys()).Add(HttpKeys());
}

SampleLayer ReadSampleLayer(const Reader& reader, const Fields& fields, Level level) {
  SampleLayer layer;
  ReadFields(reader, fields, kSampleSettingFields, level, layer);
  layer.conditions = ReadConditionsLayer(reader, fields, level);
  layer.http = ReadHttpLayer(reader, fields, level);
  return layer;
}

std::vector<ApiSample> ReadSamples(const Reader& reader, const Fields& fields,
                                   const std::string& field, int line,
                                   const SampleLayer& defaults) {
  const Entry* samples = fields.Get("samples");
  if (!samples) {
    reader.Fail(line, field + ".samples",
                "required field is missing; list at least one API sample");
  }
  const std::vector<Entry> items = reader.Items(*samples, "a list of samples");
  if (items.empty())
    reader.Fail(samples->line, samples->field, "must list at least one API sample");
  std::vector<ApiSample> out;
  strict_yaml::FirstLines first_lines;
  for (const Entry& item : items) {
    int name_line = 0;
    ApiSample sample = ReadSample(reader, item, defaults, &name_line);
    if (const std::optional<int> first = first_lines.Repeated(sample.name, name_line)) {
      std::string message = "duplicate sample name " + Quote(sample.name);
      const bool derived = !item.value.Find("name");
      if (derived) message += " (derived from path " + Quote(sample.path) + ")";
      message += ", first used at line " + std::to_string(*first);
      if (derived) message += "; set a unique name";
      reader.Fail(name_line, item.field + ".name", message);
    }
    out.push_back(std::move(sample));
  }
  return out;
}

}  // namespace healthgap::config
