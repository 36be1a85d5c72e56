// defaults: and evaluation:.

#include <array>

#include "config/field_readers.h"
#include "config/sections.h"

namespace healthgap::config {

using strict_yaml::Entry;
using strict_yaml::Reader;

namespace {

const std::array<FieldRule<EvaluationLayer>, 3> kEvaluationFields = {{
    {"window", [](const Reader& r, const Entry& e, Level l,
                  EvaluationLayer& out) { out.window = SetAt(e, ReadDuration(r, e), l); }},
    {"max_error_ratio",
     [](const Reader& r, const Entry& e, Level l, EvaluationLayer& out) {
       out.max_error_ratio = SetAt(e, ReadRatio(r, e), l);
     }},
    {"min_samples", [](const Reader& r, const Entry& e, Level l,
                       EvaluationLayer& out) { out.min_samples = SetAt(e, r.ReadCount(e), l); }},
}};

const std::array<FieldRule<DefaultsLayer>, 6> kDefaultsFields = {{
    {"health", [](const Reader& r, const Entry& e, Level l,
                  DefaultsLayer& out) { out.health = ReadHealthLayer(r, e, l); }},
    {"sample",
     [](const Reader& r, const Entry& e, Level l, DefaultsLayer& out) {
       out.sample = ReadSampleLayer(r, r.OpenMap(e, SampleSettingKeys()), l);
     }},
    {"evaluation", [](const Reader& r, const Entry& e, Level l,
                      DefaultsLayer& out) { out.evaluation = ReadEvaluationLayer(r, e, l); }},
    {"max_body_bytes",
     [](const Reader& r, const Entry& e, Level l, DefaultsLayer& out) {
       out.max_body_bytes = SetAt(e, ReadBodyLimit(r, e), l);
     }},
    {"auth", [](const Reader& r, const Entry& e, Level l,
                DefaultsLayer& out) { out.auth = ReadAuth(r, e, l); }},
    {"lb", [](const Reader& r, const Entry& e, Level l,
              DefaultsLayer& out) { out.lb = ReadLbPreset(r, e, l); }},
}};

}  // namespace

EvaluationLayer ReadEvaluationLayer(const Reader& reader, const Entry& entry, Level level) {
  EvaluationLayer layer;
  ReadFields(reader, reader.OpenMap(entry, KeysOf(kEvaluationFields)), kEvaluationFields, level,
             layer);
  return layer;
}

DefaultsLayer ReadDefaults(const Reader& reader, const Entry& entry) {
  DefaultsLayer defaults;
  ReadFields(reader, reader.OpenMap(entry, KeysOf(kDefaultsFields)), kDefaultsFields, kDefaults,
             defaults);
  return defaults;
}

}  // namespace healthgap::config
