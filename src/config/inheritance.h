#pragma once

// How a setting is inherited, in one place: own value, then the own `lb` preset, then the
// `defaults` section (its field, then its `lb` preset), then the built-in default. The cross-
// field rules on the resolved values (config/cross_field_rules.h) run here too, since they
// need to know where each value came from.

#include <string>

#include "config/config.h"
#include "config/settings.h"
#include "config/strict_yaml.h"

namespace healthgap::config {

// One health check, field by field: own field, own `lb` preset, defaults.health field,
// defaults `lb` preset, built-in default.
HealthCheck ResolveHealth(const strict_yaml::Reader& reader, const HealthLayer& own,
                          const Setting<LbPreset>* own_lb, const DefaultsLayer& defaults,
                          const std::string& field, int line);

// Fills `sample`'s inherited settings (all but name, path and body) from its own layer, then
// defaults.sample. A sample header replaces a default header of the same name (any case).
void ResolveSample(const strict_yaml::Reader& reader, const SampleLayer& own,
                   const SampleLayer& defaults, const std::string& field, int line,
                   ApiSample& sample);

// spec.evaluation from its own layer, then defaults.evaluation; then checks that the window
// can hold min_samples.
void ResolveEvaluation(const strict_yaml::Reader& reader, const EvaluationLayer& own,
                       const DefaultsLayer& defaults, const std::string& field, int line,
                       ProbeSpec& spec);

// spec.max_body_bytes, spec.auth and spec.tls from their own settings, then defaults. Auth and
// tls_config are each one setting, not field by field: an own one replaces the default one.
// spec.connection's fields (proxy_url, preferred_ip_protocol, ip_protocol_fallback) one by one,
// own then defaults.
void ResolveWholeSettings(const Maybe<std::size_t>& own_body_limit,
                          const Maybe<TargetAuth>& own_auth, const Maybe<TlsConfig>& own_tls,
                          const ConnectionLayer& own_connection, const DefaultsLayer& defaults,
                          ProbeSpec& spec);

}  // namespace healthgap::config
