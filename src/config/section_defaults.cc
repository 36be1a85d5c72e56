// defaults: and evaluation:.

#include <array>

#include "config/field_readers.h"
#include "config/sections.h"

namespace healthgap::config {

namespace {

using E = EvaluationLayer;
// Sized by its rules, so a table cannot hold an empty one.
const auto kEvaluationFields = std::to_array<FieldRule<E>>({
    {"window", SetMember<E, &E::window, ReadDuration>},
    {"max_error_ratio", SetMember<E, &E::max_error_ratio, ReadRatio>},
    {"min_samples", SetMember<E, &E::min_samples, ReadCount>},
});

using D = DefaultsLayer;
// Sized by its rules, so a table cannot hold an empty one.
const auto kDefaultsFields = std::to_array<FieldRule<D>>({
    {"health", [](const Reader& r, const Entry& e, Level l,
                  D& out) { out.health = ReadHealthLayer(r, e, l); }},
    {"sample",
     [](const Reader& r, const Entry& e, Level l, D& out) {
       out.sample = ReadSampleLayer(r, r.OpenMap(e, SampleSettingKeys()), l);
     }},
    {"evaluation", [](const Reader& r, const Entry& e, Level l,
                      D& out) { out.evaluation = ReadEvaluationLayer(r, e, l); }},
    {"max_body_bytes", SetMember<D, &D::max_body_bytes, ReadBodyLimit>},
    {"auth",
     [](const Reader& r, const Entry& e, Level l, D& out) { out.auth = ReadAuth(r, e, l); }},
    {"lb",
     [](const Reader& r, const Entry& e, Level l, D& out) { out.lb = ReadLbPreset(r, e, l); }},
    {"tls_config",
     [](const Reader& r, const Entry& e, Level l, D& out) { out.tls = ReadTlsConfig(r, e, l); }},
});

}  // namespace

EvaluationLayer ReadEvaluationLayer(const Reader& reader, const Entry& entry, Level level) {
  EvaluationLayer layer;
  ReadFields(reader, reader.OpenMap(entry, KeysOf(kEvaluationFields)), kEvaluationFields, level,
             layer);
  return layer;
}

DefaultsLayer ReadDefaults(const Reader& reader, const Entry& entry) {
  DefaultsLayer defaults;
  const Fields fields = reader.OpenMap(entry, KeysOf(kDefaultsFields).Add(ConnectionKeys()));
  ReadFields(reader, fields, kDefaultsFields, kDefaults, defaults);
  defaults.connection = ReadConnectionLayer(reader, fields, kDefaults);
  return defaults;
}

}  // namespace healthgap::config
