#pragma once

// One reader per section of the config file (docs/configuration.md), each in its own file:
// section_health.cc, section_samples.cc, section_defaults.cc (defaults and evaluation),
// section_auth.cc, section_probe.cc (probe.allow), section_file_sd.cc and section_modules.cc
// (what targets and modules share, and modules). loader.cc reads the top level and targets.
// Internal to config/; every reader returns a valid value or throws strict_yaml::Failure.

#include <map>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/settings.h"
#include "config/strict_yaml.h"

namespace healthgap::config {

// What every section reader works with.
using strict_yaml::Entry;
using strict_yaml::Fields;
using strict_yaml::KeySet;
using strict_yaml::Quote;
using strict_yaml::Reader;

// health: and each item of health_checks:.
HealthLayer ReadHealthLayer(const strict_yaml::Reader& reader, const strict_yaml::Entry& entry,
                            Level level);
Setting<LbPreset> ReadLbPreset(const strict_yaml::Reader& reader, const strict_yaml::Entry& entry,
                               Level level);
// The health checks of a target or module from its `lb`, `health` or `health_checks` keys,
// resolved against `defaults`: the primary one (readiness, else liveness) first.
std::vector<HealthCheck> ReadHealthChecks(const strict_yaml::Reader& reader,
                                          const strict_yaml::Fields& fields,
                                          const std::string& field, int line,
                                          const DefaultsLayer& defaults);

// fail_if_body_matches_regexp, fail_if_body_not_matches_regexp, fail_if_header_matches and
// fail_if_header_not_matches, allowed wherever a health check or sample is configured.
KeySet ConditionKeys();
ConditionsLayer ReadConditionsLayer(const Reader& reader, const Fields& fields, Level level);

// follow_redirects, max_redirects, compression and valid_http_versions: wherever a health check
// or sample is configured (section_http.cc).
KeySet HttpKeys();
HttpLayer ReadHttpLayer(const Reader& reader, const Fields& fields, Level level);

// proxy_url, preferred_ip_protocol and ip_protocol_fallback: on targets, modules and defaults.
KeySet ConnectionKeys();
ConnectionLayer ReadConnectionLayer(const Reader& reader, const Fields& fields, Level level);

// defaults.sample: the keys it shares with each sample.
strict_yaml::KeySet SampleSettingKeys();
SampleLayer ReadSampleLayer(const strict_yaml::Reader& reader, const strict_yaml::Fields& fields,
                            Level level);
// samples: at least one, names unique, each resolved against defaults.sample.
std::vector<ApiSample> ReadSamples(const strict_yaml::Reader& reader,
                                   const strict_yaml::Fields& fields, const std::string& field,
                                   int line, const SampleLayer& defaults);

EvaluationLayer ReadEvaluationLayer(const strict_yaml::Reader& reader,
                                    const strict_yaml::Entry& entry, Level level);
DefaultsLayer ReadDefaults(const strict_yaml::Reader& reader, const strict_yaml::Entry& entry);

// auth: exactly one of bearer_token, bearer_token_file and basic_auth; files read now.
Setting<TargetAuth> ReadAuth(const strict_yaml::Reader& reader, const strict_yaml::Entry& entry,
                             Level level);

// tls_config: blackbox_exporter's keys; the files named must be readable PEM.
Setting<TlsConfig> ReadTlsConfig(const Reader& reader, const Entry& entry, Level level);

// probe: the /probe allowlist.
ProbeSettings ReadProbeSettings(const strict_yaml::Reader& reader, const strict_yaml::Entry& entry);

// file_sd_configs: each naming a module of `modules`.
// sources:, and a target's lb_source: and traffic_source:, each naming one of them that gives
// what it is for.
enum class SourceUse { kLbState, kTraffic };
std::vector<Source> ReadSources(const strict_yaml::Reader& reader, const strict_yaml::Entry& entry);
SourceRef ReadLbSourceRef(const strict_yaml::Reader& reader, const strict_yaml::Entry& entry,
                          const std::vector<Source>& sources);
TrafficSourceRef ReadTrafficSourceRef(const strict_yaml::Reader& reader,
                                      const strict_yaml::Entry& entry,
                                      const std::vector<Source>& sources);
std::vector<FileSdConfig> ReadFileSdConfigs(const strict_yaml::Reader& reader,
                                            const strict_yaml::Entry& entry,
                                            const std::map<std::string, Module>& modules);
// A Prometheus file_sd file: a list of {targets: [...], labels: {...}} groups.
std::vector<Target> ReadFileSdGroups(const strict_yaml::Reader& reader, const yaml::Node& root,
                                     const Module& module);

// The keys targets and modules share, and their reader: health, samples, evaluation,
// max_body_bytes and auth, each resolved against `defaults`.
strict_yaml::KeySet ProbeSpecKeys();
ProbeSpec ReadProbeSpec(const strict_yaml::Reader& reader, const strict_yaml::Fields& fields,
                        const std::string& field, int line, const DefaultsLayer& defaults);
std::map<std::string, Module> ReadModules(const strict_yaml::Reader& reader,
                                          const strict_yaml::Entry& entry,
                                          const DefaultsLayer& defaults);

}  // namespace healthgap::config
