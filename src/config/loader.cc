#include "config/loader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <vector>

#include "common/strings.h"
#include "config/allowlist.h"
#include "config/file_sd.h"
#include "config/lb_presets.h"
#include "config/yaml_nodes.h"
#include "config/yaml_tree.h"

namespace healthgap::config {
namespace {

constexpr std::size_t kMinBodyBytes = 1ULL << 10;
constexpr std::size_t kMaxBodyBytes = 1ULL << 30;
constexpr int kMaxRounds = 100;  // /probe sends rounds x samples requests per scrape

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

struct HealthLayer {
  Maybe<HealthRole> role;
  Maybe<std::string> path, method;
  Maybe<StatusMatcher> expected_status;
  Maybe<Millis> interval, timeout;
  Maybe<int> healthy_threshold, unhealthy_threshold;
};

struct SampleLayer {
  Maybe<std::string> method;
  Maybe<StatusMatcher> expected_status;
  Maybe<Millis> interval, timeout, latency_budget;
  Maybe<bool> keep_alive;
  std::vector<Header> headers;
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
  Maybe<LbPreset> lb;
};

// Internal control flow only: Loader stops at the first error; LoadString turns it into a value.
struct LoadFailure {
  ConfigError error;
};

using yaml_nodes::Describe;
using yaml_nodes::LineOf;
using yaml_nodes::Quote;

// "a.b" -> "a"; "targets[0].health.timeout" -> "targets[0].health".
std::string_view Parent(std::string_view field) {
  const auto dot = field.rfind('.');
  return dot == std::string_view::npos ? std::string_view() : field.substr(0, dot);
}

// One key of a YAML map.
struct Entry {
  std::string key;
  yaml::Node value;
  std::string field;  // dotted path of this key
  int line = 0;       // line of the key
};

// The keys of one YAML map, already checked against the allowed set.
struct Fields {
  std::string field;
  int line = 0;
  std::vector<Entry> entries;

  const Entry* Get(std::string_view key) const {
    for (const auto& entry : entries) {
      if (entry.key == key) return &entry;
    }
    return nullptr;
  }
};

class Loader {
 public:
  explicit Loader(std::string source) : source_(std::move(source)) {}

  Config Load(const yaml::Node& root) {
    if (!root.IsMap()) {
      Fail(LineOf(root), "",
           "expected a map with a \"targets\" list at the top level, got " + Describe(root));
    }
    const Fields top = OpenMap(root, "", LineOf(root),
                               {"defaults", "targets", "modules", "probe", "file_sd_configs"});
    DefaultsLayer defaults;
    if (const Entry* entry = top.Get("defaults")) defaults = ReadDefaults(*entry);

    Config config;
    config.source = source_;
    if (const Entry* modules = top.Get("modules")) {
      config.modules = ReadModules(*modules, defaults);
    } else {
      config.modules.emplace(kDefaultModuleName, BuiltinDefaultModule());
    }
    if (const Entry* probe = top.Get("probe")) config.probe = ReadProbeSettings(*probe);
    if (const Entry* file_sd = top.Get("file_sd_configs")) {
      config.file_sd_configs = ReadFileSdConfigs(*file_sd, config.modules);
    }

    // Targets may come from discovery alone, or the exporter may serve /probe only.
    const bool targets_optional = !config.file_sd_configs.empty() || top.Get("modules");
    const Entry* targets = top.Get("targets");
    if (!targets) {
      if (targets_optional) return config;
      Fail(top.line, "targets", "required field is missing");
    }
    if (!targets->value.IsSequence()) ExpectedGot(*targets, "a list of targets");
    if (targets->value.size() == 0 && !targets_optional) {
      Fail(targets->line, "targets", "must list at least one target");
    }
    config.targets.reserve(targets->value.size());
    std::unordered_map<std::string, int> first_line_by_name;
    for (std::size_t i = 0; i < targets->value.size(); ++i) {
      const yaml::Node item = targets->value[i];
      const std::string field = "targets[" + std::to_string(i) + "]";
      int name_line = 0;
      Target target = ReadTarget(item, field, ItemLine(item, targets->line), defaults, &name_line);
      auto [it, inserted] = first_line_by_name.emplace(target.name, name_line);
      if (!inserted) {
        Fail(name_line, field + ".name",
             "duplicate target name " + Quote(target.name) + ", first defined at line " +
                 std::to_string(it->second));
      }
      config.targets.push_back(std::move(target));
    }
    return config;
  }

 private:
  [[noreturn]] void Fail(int line, std::string field, std::string message) const {
    throw LoadFailure{ConfigError{source_, line, std::move(field), std::move(message)}};
  }
  [[noreturn]] void ExpectedGot(const Entry& entry, std::string_view expected) const {
    Fail(entry.line, entry.field,
         "expected " + std::string(expected) + ", got " + Describe(entry.value));
  }

  static int ItemLine(const yaml::Node& item, int fallback) {
    const int line = LineOf(item);
    return line > 0 && !item.IsNull() ? line : fallback;
  }

  static std::string Join(const std::string& parent, std::string_view key) {
    return parent.empty() ? std::string(key) : parent + "." + std::string(key);
  }

  // Checks that `node` is a map whose keys are unique strings from `allowed`.
  Fields OpenMap(const yaml::Node& node, const std::string& field, int line,
                 std::initializer_list<std::string_view> allowed) const {
    if (!node.IsMap()) {
      Fail(line, field, "expected a map, got " + Describe(node));
    }
    Fields fields{field, line, {}};
    for (std::size_t i = 0; i < node.size(); ++i) {
      const yaml::Node key_node = node.Key(i);
      const int key_line = LineOf(key_node);
      if (!key_node.IsScalar()) {
        Fail(key_line, field, "expected a string key, got " + Describe(key_node));
      }
      const std::string& key = key_node.Scalar();
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string message = "unknown key " + Quote(key);
        if (key == "<<") message += " (YAML merge keys are not supported)";
        Fail(key_line, Join(field, key), message);
      }
      if (const Entry* previous = fields.Get(key)) {
        Fail(key_line, Join(field, key),
             "duplicate key " + Quote(key) + ", first set at line " +
                 std::to_string(previous->line));
      }
      fields.entries.push_back(Entry{key, node.Value(i), Join(field, key), key_line});
    }
    return fields;
  }

  std::string ReadString(const Entry& entry) const {
    if (!entry.value.IsScalar()) ExpectedGot(entry, "a string");
    return entry.value.Scalar();
  }

  // Plain (unquoted) scalars only: "3" in quotes is a string in YAML, and strict means strict.
  std::string_view PlainScalar(const Entry& entry, std::string_view expected) const {
    if (!entry.value.IsScalar() || entry.value.quoted()) ExpectedGot(entry, expected);
    return entry.value.Scalar();
  }

  template <typename T>
  Setting<T> Set(const Entry& entry, T value, Level level) const {
    return Setting<T>{std::move(value), entry.field, entry.line, level};
  }

  // YAML's `true` or `false` (the core schema's spellings; no yes/no/on/off).
  Setting<bool> ReadBool(const Entry& entry, Level level) const {
    const std::string_view text = PlainScalar(entry, "true or false");
    if (text != "true" && text != "false") ExpectedGot(entry, "true or false");
    return Set(entry, text == "true", level);
  }

  // An integer >= 1.
  Setting<int> ReadCount(const Entry& entry, Level level) const {
    const std::string_view text = PlainScalar(entry, "an integer");
    int value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) {
      ExpectedGot(entry, "an integer");
    }
    if (value < 1) {
      Fail(entry.line, entry.field, "must be at least 1, got " + std::string(text));
    }
    return Set(entry, value, level);
  }

  Setting<double> ReadRatio(const Entry& entry, Level level) const {
    const std::string_view text = PlainScalar(entry, "a number");
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
      ExpectedGot(entry, "a number");
    }
    if (value < 0 || value > 1) {
      Fail(entry.line, entry.field, "must be between 0 and 1, got " + std::string(text));
    }
    return Set(entry, value, level);
  }

  Setting<Millis> ReadDuration(const Entry& entry, Level level) const {
    if (!entry.value.IsScalar()) ExpectedGot(entry, "a duration such as 10s");
    auto parsed = ParseDurationText(entry.value.Scalar());
    if (!parsed.value) Fail(entry.line, entry.field, parsed.error);
    return Set(entry, *parsed.value, level);
  }

  Setting<std::size_t> ReadBodyLimit(const Entry& entry, Level level) const {
    if (!entry.value.IsScalar()) ExpectedGot(entry, "a size such as 64KiB");
    const std::string& text = entry.value.Scalar();
    auto parsed = ParseByteSizeText(text);
    if (!parsed.value) Fail(entry.line, entry.field, parsed.error);
    if (*parsed.value < kMinBodyBytes || *parsed.value > kMaxBodyBytes) {
      Fail(entry.line, entry.field, "must be between 1KiB and 1GiB, got " + text);
    }
    return Set(entry, *parsed.value, level);
  }

  Setting<std::string> ReadMethod(const Entry& entry, Level level) const {
    std::string method = ReadString(entry);
    if (auto error = CheckMethod(method); !error.empty()) Fail(entry.line, entry.field, error);
    return Set(entry, std::move(method), level);
  }

  Setting<std::string> ReadPath(const Entry& entry, Level level) const {
    std::string path = ReadString(entry);
    if (auto error = CheckRequestPath(path); !error.empty()) Fail(entry.line, entry.field, error);
    return Set(entry, std::move(path), level);
  }

  // A single pattern ("2xx", 200) or a list of them.
  Setting<StatusMatcher> ReadStatus(const Entry& entry, Level level) const {
    StatusMatcher matcher;
    matcher.ranges.clear();
    auto add = [&](const yaml::Node& node, const std::string& field, int line) {
      if (!node.IsScalar()) {
        Fail(line, field,
             "expected a status pattern such as 200, 2xx or 200-399, got " + Describe(node));
      }
      auto range = ParseStatusPattern(node.Scalar());
      if (!range.value) Fail(line, field, range.error);
      matcher.ranges.push_back(*range.value);
    };
    if (entry.value.IsSequence()) {
      if (entry.value.size() == 0) {
        Fail(entry.line, entry.field, "must list at least one status pattern");
      }
      for (std::size_t i = 0; i < entry.value.size(); ++i) {
        const yaml::Node item = entry.value[i];
        add(item, entry.field + "[" + std::to_string(i) + "]", ItemLine(item, entry.line));
      }
    } else {
      add(entry.value, entry.field, entry.line);
    }
    return Set(entry, std::move(matcher), level);
  }

  // The items of a map with keys of the user's choosing (labels, headers, module names), keys
  // unique.
  std::vector<Entry> MapEntries(const Entry& entry, bool keys_case_insensitive) const {
    if (!entry.value.IsMap()) ExpectedGot(entry, "a map");
    std::vector<Entry> out;
    std::unordered_map<std::string, int> first_line;
    for (std::size_t i = 0; i < entry.value.size(); ++i) {
      const yaml::Node key_node = entry.value.Key(i);
      const int key_line = LineOf(key_node);
      if (!key_node.IsScalar()) {
        Fail(key_line, entry.field, "expected a string key, got " + Describe(key_node));
      }
      Entry item{key_node.Scalar(), entry.value.Value(i), entry.field + "." + key_node.Scalar(),
                 key_line};
      const std::string normalized = keys_case_insensitive ? ToLower(item.key) : item.key;
      auto [previous, inserted] = first_line.emplace(normalized, key_line);
      if (!inserted) {
        Fail(key_line, item.field,
             "duplicate key " + Quote(item.key) + ", first set at line " +
                 std::to_string(previous->second));
      }
      out.push_back(std::move(item));
    }
    return out;
  }

  // A map of strings, keys unique; `check` validates each key/value pair.
  template <typename Check>
  std::vector<std::pair<Entry, std::string>> ReadStringMap(const Entry& entry, Check check,
                                                           bool keys_case_insensitive) const {
    std::vector<std::pair<Entry, std::string>> out;
    for (Entry& item : MapEntries(entry, keys_case_insensitive)) {
      std::string value = ReadString(item);
      if (auto error = check(item.key, value); !error.empty()) Fail(item.line, item.field, error);
      out.emplace_back(std::move(item), std::move(value));
    }
    return out;
  }

  std::vector<Header> ReadHeaders(const Entry& entry) const {
    std::vector<Header> headers;
    for (auto& [item, value] : ReadStringMap(entry, CheckHeader, /*keys_case_insensitive=*/true)) {
      headers.push_back(Header{item.key, std::move(value)});
    }
    return headers;
  }

  HealthLayer ReadHealth(const Entry& entry, Level level) const {
    const Fields fields = OpenMap(entry.value, entry.field, entry.line,
                                  {"role", "path", "method", "expected_status", "interval",
                                   "timeout", "healthy_threshold", "unhealthy_threshold"});
    HealthLayer layer;
    for (const Entry& e : fields.entries) {
      if (e.key == "role") layer.role = ReadRole(e, level);
      if (e.key == "path") layer.path = ReadPath(e, level);
      if (e.key == "method") layer.method = ReadMethod(e, level);
      if (e.key == "expected_status") layer.expected_status = ReadStatus(e, level);
      if (e.key == "interval") layer.interval = ReadDuration(e, level);
      if (e.key == "timeout") layer.timeout = ReadDuration(e, level);
      if (e.key == "healthy_threshold") layer.healthy_threshold = ReadCount(e, level);
      if (e.key == "unhealthy_threshold") layer.unhealthy_threshold = ReadCount(e, level);
    }
    return layer;
  }

  Setting<HealthRole> ReadRole(const Entry& entry, Level level) const {
    const std::string text = ReadString(entry);
    if (text == "readiness") return Set(entry, HealthRole::kReadiness, level);
    if (text == "liveness") return Set(entry, HealthRole::kLiveness, level);
    Fail(entry.line, entry.field,
         "invalid role " + Quote(text) + ", expected readiness or liveness");
  }

  Setting<LbPreset> ReadLbPreset(const Entry& entry, Level level) const {
    const std::string text = ReadString(entry);
    std::optional<LbPreset> preset = FindLbPreset(text);
    if (!preset) {
      Fail(entry.line, entry.field,
           "unknown load balancer " + Quote(text) + ", expected one of " + LbPresetNames());
    }
    return Set(entry, *preset, level);
  }

  // One health check, field by field: own field, own `lb` preset, defaults.health field,
  // defaults `lb` preset, built-in default.
  HealthCheck ResolveHealth(const HealthLayer& own, const Setting<LbPreset>* own_lb,
                            const DefaultsLayer& defaults, const std::string& field,
                            int line) const {
    const HealthLayer& dh = defaults.health;
    const Setting<LbPreset>* lb = own_lb ? own_lb : (defaults.lb ? &*defaults.lb : nullptr);
    HealthCheck builtin;
    if (lb) builtin = ApplyLbPreset(builtin, lb->value);
    // A preset's value, attributed to the `lb` key it came from (for error messages).
    auto from_preset = [](const Setting<LbPreset>* preset, Millis value) -> Maybe<Millis> {
      if (!preset) return std::nullopt;
      return Setting<Millis>{value, preset->field, preset->line, preset->level};
    };
    // Own fields beat the own preset, which beats defaults.health fields.
    auto pick = [&](const auto& own_value, const auto& inherited) {
      return own_value ? &*own_value : (own_lb ? nullptr : (inherited ? &*inherited : nullptr));
    };
    HealthCheck check = builtin;
    check.role = ValueOr(Pick(own.role, dh.role), builtin.role);
    check.path = ValueOr(Pick(own.path, dh.path), builtin.path);
    check.method = ValueOr(Pick(own.method, dh.method), builtin.method);
    check.expected_status =
        ValueOr(pick(own.expected_status, dh.expected_status), builtin.expected_status);
    const Maybe<Millis> preset_interval = from_preset(lb, builtin.interval);
    const Maybe<Millis> preset_timeout = from_preset(lb, builtin.timeout);
    const Setting<Millis>* interval = pick(own.interval, dh.interval);
    const Setting<Millis>* timeout = pick(own.timeout, dh.timeout);
    if (!interval && preset_interval) interval = &*preset_interval;
    if (!timeout && preset_timeout) timeout = &*preset_timeout;
    check.interval = ValueOr(interval, builtin.interval);
    check.timeout = ValueOr(timeout, builtin.timeout);
    check.healthy_threshold =
        ValueOr(pick(own.healthy_threshold, dh.healthy_threshold), builtin.healthy_threshold);
    check.unhealthy_threshold =
        ValueOr(pick(own.unhealthy_threshold, dh.unhealthy_threshold), builtin.unhealthy_threshold);
    CheckNotAbove(timeout, check.timeout, "timeout", interval, check.interval, "interval",
                  kTimeoutWhy, field + ".timeout", line);
    return check;
  }

  // The health checks of a target or module from its `lb`, `health` or `health_checks` keys:
  // the primary one (readiness, else liveness) first. The hook every level with health checks
  // uses.
  std::vector<HealthCheck> ReadHealthChecks(const Fields& fields, const std::string& field,
                                            int line, const DefaultsLayer& defaults) const {
    Maybe<LbPreset> own_lb;
    if (const Entry* lb = fields.Get("lb")) own_lb = ReadLbPreset(*lb, kOwn);
    const Setting<LbPreset>* lb = own_lb ? &*own_lb : nullptr;
    const Entry* health = fields.Get("health");
    const Entry* list = fields.Get("health_checks");
    if (health && list) {
      Fail(list->line, list->field,
           "set either health or health_checks, not both; health is already set at line " +
               std::to_string(health->line));
    }
    if (!list) {
      HealthLayer own;
      if (health) own = ReadHealth(*health, kOwn);
      return {ResolveHealth(own, lb, defaults, field + ".health", line)};
    }
    if (!list->value.IsSequence()) ExpectedGot(*list, "a list of health checks");
    if (list->value.size() == 0) {
      Fail(list->line, list->field, "must list at least one health check");
    }
    std::vector<HealthCheck> checks;
    std::map<HealthRole, int> first_line_by_role;
    for (std::size_t i = 0; i < list->value.size(); ++i) {
      const yaml::Node item = list->value[i];
      const Entry entry{"", item, list->field + "[" + std::to_string(i) + "]",
                        ItemLine(item, list->line)};
      const HealthLayer own = ReadHealth(entry, kOwn);
      HealthCheck check = ResolveHealth(own, lb, defaults, entry.field, entry.line);
      const int role_line = own.role ? own.role->line : entry.line;
      auto [it, inserted] = first_line_by_role.emplace(check.role, role_line);
      if (!inserted) {
        Fail(role_line, entry.field + ".role",
             std::string("duplicate role ") +
                 (check.role == HealthRole::kReadiness ? "\"readiness\"" : "\"liveness\"") +
                 ", first at line " + std::to_string(it->second) + "; at most one check per role");
      }
      checks.push_back(std::move(check));
    }
    std::stable_partition(checks.begin(), checks.end(),
                          [](const HealthCheck& c) { return c.role == HealthRole::kReadiness; });
    return checks;
  }

  // The keys defaults.sample and each sample share; the caller handles the others.
  SampleLayer ReadSampleSettings(const Fields& fields, Level level) const {
    SampleLayer layer;
    for (const Entry& e : fields.entries) {
      if (e.key == "method") layer.method = ReadMethod(e, level);
      if (e.key == "expected_status") layer.expected_status = ReadStatus(e, level);
      if (e.key == "interval") layer.interval = ReadDuration(e, level);
      if (e.key == "timeout") layer.timeout = ReadDuration(e, level);
      if (e.key == "latency_budget") layer.latency_budget = ReadDuration(e, level);
      if (e.key == "keep_alive") layer.keep_alive = ReadBool(e, level);
      if (e.key == "headers") layer.headers = ReadHeaders(e);
    }
    return layer;
  }

  EvaluationLayer ReadEvaluation(const Entry& entry, Level level) const {
    const Fields fields =
        OpenMap(entry.value, entry.field, entry.line, {"window", "max_error_ratio", "min_samples"});
    EvaluationLayer layer;
    for (const Entry& e : fields.entries) {
      if (e.key == "window") layer.window = ReadDuration(e, level);
      if (e.key == "max_error_ratio") layer.max_error_ratio = ReadRatio(e, level);
      if (e.key == "min_samples") layer.min_samples = ReadCount(e, level);
    }
    return layer;
  }

  DefaultsLayer ReadDefaults(const Entry& entry) const {
    const Fields fields =
        OpenMap(entry.value, entry.field, entry.line,
                {"health", "sample", "evaluation", "max_body_bytes", "auth", "lb"});
    DefaultsLayer defaults;
    for (const Entry& e : fields.entries) {
      if (e.key == "health") defaults.health = ReadHealth(e, kDefaults);
      if (e.key == "sample") {
        const Fields sample = OpenMap(e.value, e.field, e.line,
                                      {"method", "expected_status", "interval", "timeout",
                                       "latency_budget", "keep_alive", "headers"});
        defaults.sample = ReadSampleSettings(sample, kDefaults);
      }
      if (e.key == "evaluation") defaults.evaluation = ReadEvaluation(e, kDefaults);
      if (e.key == "max_body_bytes") defaults.max_body_bytes = ReadBodyLimit(e, kDefaults);
      if (e.key == "auth") defaults.auth = ReadAuth(e, kDefaults);
      if (e.key == "lb") defaults.lb = ReadLbPreset(e, kDefaults);
    }
    return defaults;
  }

  // Secret files are named relative to the config file, as Prometheus does.
  std::string ResolvePath(const std::string& path) const {
    if (path.empty() || path.front() == '/') return path;
    return (std::filesystem::path(source_).parent_path() / path).string();
  }

  // A secret's text; the messages never quote it.
  Secret CheckSecret(const Entry& entry, std::string text, const std::string& origin) const {
    if (text.empty()) Fail(entry.line, entry.field, origin + "is empty");
    if (text.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      Fail(entry.line, entry.field, origin + "contains CR, LF or NUL");
    }
    return Secret(std::move(text));
  }
  Secret ReadSecretValue(const Entry& entry) const {
    return CheckSecret(entry, ReadString(entry), "secret ");
  }
  // Read at load time, so a reload picks up a rotated secret; one trailing newline is trimmed.
  Secret ReadSecretFile(const Entry& entry) const {
    const std::string path = ResolvePath(ReadString(entry));
    std::string error;
    std::optional<std::string> text = ReadTextFile(path, &error);
    if (!text)
      Fail(entry.line, entry.field, "cannot read secret file " + Quote(path) + ": " + error);
    if (text->ends_with('\n')) text->pop_back();
    if (text->ends_with('\r')) text->pop_back();
    return CheckSecret(entry, std::move(*text), "secret file " + Quote(path) + " ");
  }

  // Exactly one of bearer_token, bearer_token_file and basic_auth.
  Setting<TargetAuth> ReadAuth(const Entry& entry, Level level) const {
    const Fields fields = OpenMap(entry.value, entry.field, entry.line,
                                  {"bearer_token", "bearer_token_file", "basic_auth"});
    if (fields.entries.empty()) {
      Fail(entry.line, entry.field, "set one of bearer_token, bearer_token_file or basic_auth");
    }
    if (fields.entries.size() > 1) {
      const Entry& first = fields.entries[0];
      const Entry& second = fields.entries[1];
      Fail(second.line, second.field,
           "set only one of bearer_token, bearer_token_file or basic_auth; " + first.key +
               " is already set at line " + std::to_string(first.line));
    }
    TargetAuth auth;
    const Entry& kind = fields.entries[0];
    if (kind.key == "bearer_token") auth.bearer_token = ReadSecretValue(kind);
    if (kind.key == "bearer_token_file") auth.bearer_token = ReadSecretFile(kind);
    if (kind.key == "basic_auth") {
      const Fields basic =
          OpenMap(kind.value, kind.field, kind.line, {"username", "password", "password_file"});
      const Entry* username = basic.Get("username");
      if (!username) Fail(kind.line, kind.field + ".username", "required field is missing");
      BasicAuth basic_auth;
      basic_auth.username = ReadString(*username);
      if (basic_auth.username.find(':') != std::string::npos) {
        Fail(username->line, username->field,
             "must not contain \":\", basic auth uses it to separate the password");
      }
      if (auto error = CheckHeader("Authorization", basic_auth.username); !error.empty()) {
        Fail(username->line, username->field, "username contains CR, LF or NUL");
      }
      const Entry* password = basic.Get("password");
      const Entry* password_file = basic.Get("password_file");
      if (password && password_file) {
        Fail(password_file->line, password_file->field,
             "set either password or password_file, not both");
      }
      if (!password && !password_file) {
        Fail(kind.line, kind.field + ".password",
             "required field is missing; set password or password_file");
      }
      basic_auth.password = password ? ReadSecretValue(*password) : ReadSecretFile(*password_file);
      auth.basic_auth = std::move(basic_auth);
    }
    return Set(entry, std::move(auth), level);
  }

  // " (built-in default)", " (from FIELD, line N)", or "" when `other` sits next to `reported`.
  template <typename T>
  static std::string Provenance(const Setting<T>* other, std::string_view reported_field) {
    if (!other) return " (built-in default)";
    if (Parent(other->field) == Parent(reported_field)) return "";
    return " (from " + other->field + ", line " + std::to_string(other->line) + ")";
  }

  // Requires lower <= upper. Reports at the more specific of the two settings (`lower` on a
  // tie), so the message points at the line the user most likely just wrote.
  void CheckNotAbove(const Setting<Millis>* lower, Millis lower_value, std::string_view lower_name,
                     const Setting<Millis>* upper, Millis upper_value, std::string_view upper_name,
                     std::string_view why, const std::string& fallback_field,
                     int fallback_line) const {
    if (lower_value <= upper_value) return;
    const Level lower_level = lower ? lower->level : kBuiltin;
    const Level upper_level = upper ? upper->level : kBuiltin;
    if (lower && lower_level >= upper_level) {
      Fail(lower->line, lower->field,
           std::string(lower_name) + " " + FormatDuration(lower_value) + " exceeds " +
               std::string(upper_name) + " " + FormatDuration(upper_value) +
               Provenance(upper, lower->field) + "; " + std::string(why));
    }
    if (upper) {
      Fail(upper->line, upper->field,
           std::string(upper_name) + " " + FormatDuration(upper_value) + " is shorter than " +
               std::string(lower_name) + " " + FormatDuration(lower_value) +
               Provenance(lower, upper->field) + "; " + std::string(why));
    }
    Fail(fallback_line, fallback_field,
         std::string(lower_name) + " exceeds " + std::string(upper_name));
  }

  static constexpr std::string_view kTimeoutWhy =
      "a request must time out before the next one is due";
  static constexpr std::string_view kBudgetWhy =
      "requests would time out before they could count as slow";

  ApiSample ReadSample(const yaml::Node& node, const std::string& field, int line,
                       const SampleLayer& defaults, Level level, int* name_line) const {
    const Fields fields = OpenMap(node, field, line,
                                  {"name", "path", "method", "headers", "body", "expected_status",
                                   "latency_budget", "interval", "timeout", "keep_alive"});
    const SampleLayer own = ReadSampleSettings(fields, level);
    ApiSample sample;
    const Entry* path = fields.Get("path");
    if (!path) Fail(line, field + ".path", "required field is missing");
    sample.path = ReadPath(*path, level).value;
    *name_line = line;
    if (const Entry* name = fields.Get("name")) {
      sample.name = ReadString(*name);
      if (auto error = CheckName(sample.name, "sample"); !error.empty()) {
        Fail(name->line, name->field, error);
      }
      *name_line = name->line;
    } else {
      sample.name = DeriveSampleName(sample.path);
    }
    if (const Entry* body = fields.Get("body")) sample.body = ReadString(*body);

    sample.method = ValueOr(Pick(own.method, defaults.method), std::string("GET"));
    sample.expected_status =
        ValueOr(Pick(own.expected_status, defaults.expected_status), StatusMatcher{});
    const auto* interval = Pick(own.interval, defaults.interval);
    const auto* timeout = Pick(own.timeout, defaults.timeout);
    const auto* budget = Pick(own.latency_budget, defaults.latency_budget);
    sample.interval = ValueOr(interval, ApiSample{}.interval);
    sample.timeout = ValueOr(timeout, ApiSample{}.timeout);
    if (budget) sample.latency_budget = budget->value;
    sample.keep_alive = ValueOr(Pick(own.keep_alive, defaults.keep_alive), ApiSample{}.keep_alive);

    // Defaults first; a sample header with the same name (any case) replaces the default.
    for (const Header& header : defaults.headers) {
      const bool overridden =
          std::any_of(own.headers.begin(), own.headers.end(),
                      [&](const Header& h) { return EqualsIgnoringCase(h.name, header.name); });
      if (!overridden) sample.headers.emplace_back(header.name, header.value);
    }
    for (const Header& header : own.headers) sample.headers.emplace_back(header.name, header.value);

    CheckNotAbove(timeout, sample.timeout, "timeout", interval, sample.interval, "interval",
                  kTimeoutWhy, field + ".timeout", line);
    if (budget) {
      CheckNotAbove(budget, budget->value, "latency_budget", timeout, sample.timeout, "timeout",
                    kBudgetWhy, field + ".latency_budget", line);
    }
    return sample;
  }

  // What targets and modules share: health, samples, evaluation, max_body_bytes and auth, each
  // resolved against `defaults`. Fills everything of `target` but name, url and labels.
  void ReadProbing(const Fields& fields, const std::string& field, int line,
                   const DefaultsLayer& defaults, Target* out) const {
    Target& target = *out;
    // Health: `lb`, `health` or `health_checks` (ReadHealthChecks); the primary check first.
    std::vector<HealthCheck> checks = ReadHealthChecks(fields, field, line, defaults);
    target.health = checks.front();
    target.other_health_checks.assign(checks.begin() + 1, checks.end());

    // Samples.
    const Entry* samples = fields.Get("samples");
    if (!samples) {
      Fail(line, field + ".samples", "required field is missing; list at least one API sample");
    }
    if (!samples->value.IsSequence()) ExpectedGot(*samples, "a list of samples");
    if (samples->value.size() == 0) {
      Fail(samples->line, samples->field, "must list at least one API sample");
    }
    std::unordered_map<std::string, int> first_sample_line;
    for (std::size_t i = 0; i < samples->value.size(); ++i) {
      const yaml::Node item = samples->value[i];
      const std::string item_field = samples->field + "[" + std::to_string(i) + "]";
      int sample_name_line = 0;
      ApiSample sample = ReadSample(item, item_field, ItemLine(item, samples->line),
                                    defaults.sample, kOwn, &sample_name_line);
      auto [it, inserted] = first_sample_line.emplace(sample.name, sample_name_line);
      if (!inserted) {
        std::string message = "duplicate sample name " + Quote(sample.name);
        const bool derived = !item.Find("name");
        if (derived) message += " (derived from path " + Quote(sample.path) + ")";
        message += ", first used at line " + std::to_string(it->second);
        if (derived) message += "; set a unique name";
        Fail(sample_name_line, item_field + ".name", message);
      }
      target.samples.push_back(std::move(sample));
    }

    // Evaluation.
    EvaluationLayer own_eval;
    const Entry* evaluation = fields.Get("evaluation");
    if (evaluation) own_eval = ReadEvaluation(*evaluation, kOwn);
    const EvaluationLayer& de = defaults.evaluation;
    const Evaluation builtin_eval;
    const auto* window = Pick(own_eval.window, de.window);
    const auto* min_samples = Pick(own_eval.min_samples, de.min_samples);
    target.evaluation.window = ValueOr(window, builtin_eval.window);
    target.evaluation.max_error_ratio =
        ValueOr(Pick(own_eval.max_error_ratio, de.max_error_ratio), builtin_eval.max_error_ratio);
    target.evaluation.min_samples = ValueOr(min_samples, builtin_eval.min_samples);
    CheckWindowHoldsMinSamples(target, field, line, window, min_samples);

    Maybe<std::size_t> own_limit;
    if (const Entry* limit = fields.Get("max_body_bytes")) own_limit = ReadBodyLimit(*limit, kOwn);
    target.max_body_bytes =
        ValueOr(Pick(own_limit, defaults.max_body_bytes), target.max_body_bytes);

    // Auth is one setting, not field by field: a target's own replaces the default.
    Maybe<TargetAuth> own_auth;
    if (const Entry* auth = fields.Get("auth")) own_auth = ReadAuth(*auth, kOwn);
    target.auth = ValueOr(Pick(own_auth, defaults.auth), TargetAuth{});
  }

  Module ReadModule(const Entry& entry, const DefaultsLayer& defaults) const {
    const Fields fields = OpenMap(entry.value, entry.field, entry.line,
                                  {"health", "health_checks", "lb", "samples", "evaluation",
                                   "max_body_bytes", "auth", "rounds"});
    Target probing;
    ReadProbing(fields, entry.field, entry.line, defaults, &probing);
    Module module;
    module.health = std::move(probing.health);
    module.other_health_checks = std::move(probing.other_health_checks);
    module.samples = std::move(probing.samples);
    module.evaluation = probing.evaluation;
    module.max_body_bytes = probing.max_body_bytes;
    module.auth = std::move(probing.auth);
    if (const Entry* rounds = fields.Get("rounds")) {
      module.rounds = ReadCount(*rounds, kOwn).value;
      if (module.rounds > kMaxRounds) {
        Fail(rounds->line, rounds->field,
             "must be at most " + std::to_string(kMaxRounds) + ", got " +
                 std::to_string(module.rounds));
      }
    }
    return module;
  }

  std::map<std::string, Module> ReadModules(const Entry& entry,
                                            const DefaultsLayer& defaults) const {
    std::map<std::string, Module> modules;
    for (const Entry& item : MapEntries(entry, /*keys_case_insensitive=*/false)) {
      if (auto error = CheckName(item.key, "module"); !error.empty()) {
        Fail(item.line, item.field, error);
      }
      modules.emplace(item.key, ReadModule(item, defaults));
    }
    if (modules.empty()) {
      Fail(entry.line, entry.field,
           "must define at least one module; leave the key out to get the built-in module "
           "\"default\"");
    }
    return modules;
  }

  // One rule of probe.allow: a map with exactly one of url_prefix, host and cidr.
  AllowRule ReadAllowRule(const yaml::Node& node, const std::string& field, int line) const {
    const Fields fields = OpenMap(node, field, line, {"url_prefix", "host", "cidr"});
    if (fields.entries.size() != 1) {
      Fail(line, field, "set exactly one of url_prefix, host or cidr in each rule");
    }
    const Entry& rule = fields.entries[0];
    const AllowRule::Kind kind = rule.key == "url_prefix" ? AllowRule::Kind::kUrlPrefix
                                 : rule.key == "host"     ? AllowRule::Kind::kHost
                                                          : AllowRule::Kind::kCidr;
    auto parsed = ParseAllowRule(kind, ReadString(rule));
    if (!parsed.value) Fail(rule.line, rule.field, parsed.error);
    return *parsed.value;
  }

  ProbeSettings ReadProbeSettings(const Entry& entry) const {
    const Fields fields = OpenMap(entry.value, entry.field, entry.line, {"allow"});
    ProbeSettings probe;
    if (const Entry* allow = fields.Get("allow")) {
      if (!allow->value.IsSequence()) ExpectedGot(*allow, "a list of rules");
      for (std::size_t i = 0; i < allow->value.size(); ++i) {
        const yaml::Node item = allow->value[i];
        probe.allow.push_back(ReadAllowRule(item, allow->field + "[" + std::to_string(i) + "]",
                                            ItemLine(item, allow->line)));
      }
    }
    return probe;
  }

  // A file_sd path: globs only in the file name (as Prometheus), a known extension.
  std::string ReadFileSdPath(const yaml::Node& node, const std::string& field, int line) const {
    const Entry entry{"", node, field, line};
    const std::string path = ReadString(entry);
    const std::string directory = std::filesystem::path(path).parent_path().string();
    if (directory.find_first_of("*?[") != std::string::npos) {
      Fail(line, field,
           "path " + Quote(path) +
               " has a glob in a directory; globs are allowed in the file "
               "name only");
    }
    if (!path.ends_with(".json") && !path.ends_with(".yml") && !path.ends_with(".yaml")) {
      Fail(line, field, "path " + Quote(path) + " must end in .json, .yml or .yaml");
    }
    return ResolvePath(path);
  }

  std::vector<FileSdConfig> ReadFileSdConfigs(const Entry& entry,
                                              const std::map<std::string, Module>& modules) const {
    if (!entry.value.IsSequence()) ExpectedGot(entry, "a list of file_sd configs");
    std::vector<FileSdConfig> configs;
    for (std::size_t i = 0; i < entry.value.size(); ++i) {
      const yaml::Node item = entry.value[i];
      const std::string field = entry.field + "[" + std::to_string(i) + "]";
      const int line = ItemLine(item, entry.line);
      const Fields fields = OpenMap(item, field, line, {"files", "refresh_interval", "module"});
      FileSdConfig config;
      const Entry* files = fields.Get("files");
      if (!files) Fail(line, field + ".files", "required field is missing");
      if (!files->value.IsSequence()) ExpectedGot(*files, "a list of file paths or globs");
      if (files->value.size() == 0) Fail(files->line, files->field, "must list at least one file");
      for (std::size_t j = 0; j < files->value.size(); ++j) {
        const yaml::Node file = files->value[j];
        config.files.push_back(ReadFileSdPath(file, files->field + "[" + std::to_string(j) + "]",
                                              ItemLine(file, files->line)));
      }
      if (const Entry* refresh = fields.Get("refresh_interval")) {
        config.refresh_interval = ReadDuration(*refresh, kOwn).value;
      }
      if (const Entry* module = fields.Get("module")) {
        config.module = ReadString(*module);
        if (!modules.contains(config.module)) {
          std::string known;
          for (const auto& [name, unused] : modules) known += (known.empty() ? "" : ", ") + name;
          Fail(module->line, module->field,
               "unknown module " + Quote(config.module) + "; defined modules: " + known);
        }
      }
      configs.push_back(std::move(config));
    }
    return configs;
  }

  // Public for LoadFileSdString.
 public:
  // A Prometheus file_sd file: a list of {targets: [...], labels: {...}} groups.
  std::vector<Target> ReadFileSdGroups(const yaml::Node& root, const Module& module) const {
    if (root.IsNull()) return {};
    if (!root.IsSequence()) {
      Fail(LineOf(root), "",
           "expected a list of target groups ({targets: [...], labels: {...}}), got " +
               Describe(root));
    }
    std::vector<Target> targets;
    for (std::size_t i = 0; i < root.size(); ++i) {
      const yaml::Node group = root[i];
      const std::string field = "[" + std::to_string(i) + "]";
      const int line = ItemLine(group, LineOf(root));
      const Fields fields = OpenMap(group, field, line, {"targets", "labels"});
      std::map<std::string, std::string> labels;
      std::string scheme = "http";
      std::optional<std::string> name_label;
      if (const Entry* entry = fields.Get("labels")) {
        // "__" labels are Prometheus meta labels: __scheme__ is honoured, the others dropped.
        auto check = [](std::string_view key, std::string_view) {
          return key.starts_with("__") || key == "name" ? std::string() : CheckLabelName(key);
        };
        for (auto& [item, value] : ReadStringMap(*entry, check, /*keys_case_insensitive=*/false)) {
          if (item.key == "__scheme__") {
            if (value != "http" && value != "https") {
              Fail(item.line, item.field, "must be http or https, got " + Quote(value));
            }
            scheme = value;
          } else if (item.key == "name") {
            name_label = value;
          } else if (!item.key.starts_with("__")) {
            labels.emplace(item.key, std::move(value));
          }
        }
      }
      const Entry* list = fields.Get("targets");
      if (!list) Fail(line, field + ".targets", "required field is missing");
      if (!list->value.IsSequence()) ExpectedGot(*list, "a list of \"host:port\" or URLs");
      for (std::size_t j = 0; j < list->value.size(); ++j) {
        const yaml::Node item = list->value[j];
        const Entry address{"", item, list->field + "[" + std::to_string(j) + "]",
                            ItemLine(item, list->line)};
        const std::string text = ReadString(address);
        const bool has_scheme = text.find("://") != std::string::npos;
        const auto url = NormalizeBaseUrl(has_scheme ? text : scheme + "://" + text);
        if (!url.value) Fail(address.line, address.field, url.error);
        std::string name =
            name_label.value_or(has_scheme ? text.substr(text.find("://") + 3) : text);
        while (!name_label && name.ends_with('/')) name.pop_back();
        if (auto error = CheckName(name, "target"); !error.empty()) {
          Fail(address.line, address.field, error + "; set a \"name\" label");
        }
        targets.push_back(TargetFromModule(module, std::move(name), *url.value, labels));
      }
    }
    return targets;
  }

 private:
  Target ReadTarget(const yaml::Node& node, const std::string& field, int line,
                    const DefaultsLayer& defaults, int* name_line) const {
    const Fields fields = OpenMap(node, field, line,
                                  {"name", "url", "labels", "health", "health_checks", "lb",
                                   "samples", "evaluation", "max_body_bytes", "auth"});
    Target target;
    const Entry* name = fields.Get("name");
    if (!name) Fail(line, field + ".name", "required field is missing");
    target.name = ReadString(*name);
    if (auto error = CheckName(target.name, "target"); !error.empty()) {
      Fail(name->line, name->field, error);
    }
    *name_line = name->line;

    const Entry* url = fields.Get("url");
    if (!url) Fail(line, field + ".url", "required field is missing");
    auto base_url = NormalizeBaseUrl(ReadString(*url));
    if (!base_url.value) Fail(url->line, url->field, base_url.error);
    target.base_url = *base_url.value;

    if (const Entry* labels = fields.Get("labels")) {
      auto check = [](std::string_view key, std::string_view) { return CheckLabelName(key); };
      for (auto& [item, value] : ReadStringMap(*labels, check, /*keys_case_insensitive=*/false)) {
        target.labels.emplace(item.key, std::move(value));
      }
    }

    ReadProbing(fields, field, line, defaults, &target);
    return target;
  }

  // The verdict needs min_samples in the window; a window that cannot hold them would leave the
  // verdict "unknown" forever, which looks like a working exporter but never alerts.
  void CheckWindowHoldsMinSamples(const Target& target, const std::string& field, int line,
                                  const Setting<Millis>* window,
                                  const Setting<int>* min_samples) const {
    const Millis span = target.evaluation.window;
    long long capacity = 0;
    std::string breakdown;
    for (const ApiSample& sample : target.samples) {
      const long long fits = span / sample.interval;
      capacity += fits;
      if (!breakdown.empty()) breakdown += ", ";
      breakdown +=
          sample.name + " every " + FormatDuration(sample.interval) + ": " + std::to_string(fits);
    }
    if (capacity >= target.evaluation.min_samples) return;
    const std::string window_field = field + ".evaluation.window";
    const bool own_window = window && window->level == kOwn;
    std::string message = "window " + FormatDuration(span) +
                          (own_window ? "" : Provenance(window, "")) + " holds at most " +
                          std::to_string(capacity) + " API samples (" + breakdown +
                          ") but min_samples is " + std::to_string(target.evaluation.min_samples) +
                          Provenance(min_samples, window_field) +
                          ", so the verdict would stay unknown; widen the window, sample more "
                          "often or lower min_samples";
    Fail(own_window ? window->line : line, window_field, message);
  }

  std::string source_;
};

}  // namespace

std::string ConfigError::Format() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  out += ": ";
  if (!field.empty()) out += field + ": ";
  out += message;
  return out;
}

namespace {

// Parses `yaml`, which must hold at most one document, and runs `load` on it (on a null node
// when there is none and `empty_message` is empty). Every failure becomes a ConfigError.
template <typename Load>
std::optional<ConfigError> WithDocument(std::string_view yaml, const std::string& source_name,
                                        std::string_view empty_message, Load load) {
  const yaml::SingleDocument document = yaml::ParseSingleDocument(yaml);
  if (document.error) {
    return ConfigError{source_name, document.error->line, "", document.error->message};
  }
  if (document.empty && !empty_message.empty()) {
    return ConfigError{source_name, 0, "", std::string(empty_message)};
  }
  try {
    load(document.root);
    return std::nullopt;
  } catch (const LoadFailure& failure) {
    return failure.error;
  } catch (const std::exception& e) {
    return ConfigError{source_name, 0, "", std::string("cannot load: ") + e.what()};
  }
}

// nlohmann's message without its "[json.exception.parse_error.101] " tag and, for syntax
// errors, the "parse error at line 1, column 2: " the ConfigError says its own way.
std::string WithoutJsonPrefix(std::string_view what) {
  if (what.starts_with('[')) {
    if (const auto tag_end = what.find("] "); tag_end != std::string_view::npos) {
      what.remove_prefix(tag_end + 2);
    }
  }
  if (what.starts_with("parse error")) {
    if (const auto colon = what.find(": "); colon != std::string_view::npos) {
      what.remove_prefix(colon + 2);
    }
  }
  return std::string(what);
}

// Prometheus reads a .json file_sd file as JSON; so does healthgap, before the YAML reader
// (JSON is YAML) builds the tree whose lines errors name.
std::optional<ConfigError> CheckJson(std::string_view text, const std::string& file_name) {
  if (nlohmann::json::accept(text)) return std::nullopt;
  try {
    [[maybe_unused]] const auto unused = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is 1-based, the byte after the last one read.
    const std::size_t end = std::min<std::size_t>(e.byte > 0 ? e.byte - 1 : 0, text.size());
    const std::string_view before = text.substr(0, end);
    const int line = 1 + static_cast<int>(std::count(before.begin(), before.end(), '\n'));
    return ConfigError{file_name, line, "", "invalid JSON: " + WithoutJsonPrefix(e.what())};
  } catch (const nlohmann::json::exception& e) {
    // Found by fuzz_config: a number too large for any type ("99998E00615") is out_of_range.
    return ConfigError{file_name, 0, "", "invalid JSON: " + WithoutJsonPrefix(e.what())};
  }
  return ConfigError{file_name, 0, "", "invalid JSON"};
}

}  // namespace

LoadResult LoadString(std::string_view yaml, std::string source_name) {
  LoadResult result;
  result.error = WithDocument(
      yaml, source_name, "configuration is empty, expected a map with a \"targets\" list",
      [&](const yaml::Node& root) { result.config = Loader(source_name).Load(root); });
  return result;
}

FileSdLoad LoadFileSdString(std::string_view text, const std::string& file_name,
                            const Module& module) {
  FileSdLoad result;
  if (file_name.ends_with(".json") && text.size() <= yaml::kMaxFileBytes) {
    result.error = CheckJson(text, file_name);
    if (result.error) return result;
  }
  result.error = WithDocument(text, file_name, "", [&](const yaml::Node& root) {
    result.targets = Loader(file_name).ReadFileSdGroups(root, module);
  });
  if (result.error) result.targets.clear();
  return result;
}

std::optional<std::string> ReadTextFile(const std::string& path, std::string* error) {
  // O_NONBLOCK: a FIFO planted where a file is expected must not hang the reader in open().
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    *error = std::strerror(errno);
    return std::nullopt;
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    *error = S_ISDIR(info.st_mode) ? std::strerror(EISDIR) : "not a regular file";
    ::close(fd);
    return std::nullopt;
  }
  std::string text;
  char buffer[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = std::strerror(errno);
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
    if (text.size() > yaml::kMaxFileBytes) {
      *error = "larger than " + std::to_string(yaml::kMaxFileBytes >> 20) + " MiB";
      ::close(fd);
      return std::nullopt;
    }
  }
  ::close(fd);
  return text;
}

LoadResult LoadFile(const std::string& path) {
  std::string error;
  const std::optional<std::string> text = ReadTextFile(path, &error);
  if (!text)
    return LoadResult{std::nullopt, ConfigError{path, 0, "", "cannot read file: " + error}};
  return LoadString(*text, path);
}

}  // namespace healthgap::config
