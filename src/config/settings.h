#pragma once

// What the config file set, before inheritance resolves it (config/inheritance.h): each value
// with where it was set and how specific that place is, so a cross-field rule can point at the
// line the user most likely just wrote. Internal to config/.

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/lb_presets.h"
#include "config/strict_yaml.h"

namespace healthgap::config {

// How specific a setting is; the more specific one wins and is the one errors point at.
enum Level { kBuiltin = 0, kDefaults = 1, kOwn = 2 };

// A value the file set explicitly, with where it was set.
template <typename T>
struct Setting {
  T value;
  std::string field;
  int line = 0;
  Level level = kBuiltin;
};
template <typename T>
using Maybe = std::optional<Setting<T>>;

template <typename T>
Setting<T> SetAt(const strict_yaml::Entry& entry, T value, Level level) {
  return Setting<T>{std::move(value), entry.field, entry.line, level};
}

// The most specific of an own and an inherited setting; nullptr means the built-in default.
template <typename T>
const Setting<T>* Pick(const Maybe<T>& own, const Maybe<T>& inherited) {
  if (own) return &*own;
  if (inherited) return &*inherited;
  return nullptr;
}
template <typename T>
T ValueOr(const Setting<T>* setting, T builtin) {
  return setting ? setting->value : builtin;
}

struct Header {
  std::string name;
  std::string value;
};

// fail_if_body_* and fail_if_header_*, each one setting: an own list replaces an inherited one.
struct ConditionsLayer {
  Maybe<std::vector<Regex>> fail_if_body_matches, fail_if_body_not_matches;
  Maybe<std::vector<HeaderCondition>> fail_if_header_matches, fail_if_header_not_matches;
  Maybe<std::vector<JsonCondition>> json_conditions;
};

// follow_redirects, max_redirects, compression, valid_http_versions: field by field.
struct HttpLayer {
  Maybe<bool> follow_redirects;
  Maybe<int> max_redirects;
  Maybe<std::string> compression;
  Maybe<std::vector<HttpVersion>> valid_http_versions;
};

// proxy_url, preferred_ip_protocol, ip_protocol_fallback: field by field.
struct ConnectionLayer {
  Maybe<std::string> proxy_url;
  Maybe<IpProtocol> preferred_ip_protocol;
  Maybe<bool> ip_protocol_fallback;
};

struct HealthLayer {
  Maybe<HealthCheckType> type;
  Maybe<int> port;
  Maybe<bool> tls;
  Maybe<std::string> send, service;
  Maybe<Regex> expect;
  Maybe<StatusMatcher> expected_grpc_codes;
  // Every key this map set, for the check that each applies to the type (ReadHealthChecks).
  std::vector<strict_yaml::Entry> keys;
  Maybe<HealthRole> role;
  Maybe<std::string> path, method, body;
  std::vector<Header> headers;
  Maybe<StatusMatcher> expected_status;
  Maybe<Millis> interval, timeout, fast_interval, down_interval;
  Maybe<int> healthy_threshold, unhealthy_threshold;
  ConditionsLayer conditions;
  HttpLayer http;
};

// The keys defaults.sample and each sample share.
struct SampleLayer {
  Maybe<std::string> method;
  Maybe<StatusMatcher> expected_status;
  Maybe<Millis> interval, timeout, latency_budget;
  Maybe<bool> keep_alive;
  std::vector<Header> headers;
  ConditionsLayer conditions;
  HttpLayer http;
};

struct EvaluationLayer {
  Maybe<Millis> window;
  Maybe<double> max_error_ratio;
  Maybe<int> min_samples;
};

struct DefaultsLayer {
  HealthLayer health;
  SampleLayer sample;
  EvaluationLayer evaluation;
  Maybe<std::size_t> max_body_bytes;
  Maybe<TargetAuth> auth;
  Maybe<TlsConfig> tls;
  ConnectionLayer connection;
  Maybe<LbPreset> lb;
};

// One key of a section and how it is read into the section's layer. A section's allowed keys
// are its table's keys, so the two cannot drift.
template <typename Layer>
struct FieldRule {
  std::string_view key;
  void (*read)(const strict_yaml::Reader&, const strict_yaml::Entry&, Level, Layer&);
};

// The usual rule: `read` the value and keep it, with where it was set, in `member`.
template <typename Layer, auto member, auto read>
void SetMember(const strict_yaml::Reader& reader, const strict_yaml::Entry& entry, Level level,
               Layer& layer) {
  layer.*member = SetAt(entry, read(reader, entry), level);
}

template <typename Layer, std::size_t N>
strict_yaml::KeySet KeysOf(const std::array<FieldRule<Layer>, N>& table) {
  strict_yaml::KeySet keys;
  for (const auto& rule : table) keys.Add(rule.key);
  return keys;
}

// Reads every entry of `fields` that `table` has a rule for; the caller reads the others.
template <typename Layer, std::size_t N>
void ReadFields(const strict_yaml::Reader& reader, const strict_yaml::Fields& fields,
                const std::array<FieldRule<Layer>, N>& table, Level level, Layer& layer) {
  for (const strict_yaml::Entry& entry : fields) {
    for (const auto& rule : table) {
      if (rule.key == entry.key) rule.read(reader, entry, level, layer);
    }
  }
}

}  // namespace healthgap::config
