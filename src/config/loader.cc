#include "config/loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <unordered_map>
#include <vector>

namespace healthgap::config {
namespace {

constexpr std::size_t kMinBodyBytes = 1ULL << 10;
constexpr std::size_t kMaxBodyBytes = 1ULL << 30;

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
  Maybe<std::string> path, method;
  Maybe<StatusMatcher> expected_status;
  Maybe<Millis> interval, timeout;
  Maybe<int> healthy_threshold, unhealthy_threshold;
};

struct SampleLayer {
  Maybe<std::string> method;
  Maybe<StatusMatcher> expected_status;
  Maybe<Millis> interval, timeout, latency_budget;
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
};

// Internal control flow only: Loader stops at the first error; LoadString turns it into a value.
struct LoadFailure {
  ConfigError error;
};

int LineOf(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return mark.line >= 0 ? mark.line + 1 : 0;
}

std::string Quote(std::string_view text) { return "\"" + std::string(text) + "\""; }

std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return "nothing";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Scalar:
      return node.Tag() == "!" ? "the quoted string " + Quote(node.Scalar()) : Quote(node.Scalar());
  }
  return "an unknown node";
}

// "a.b" -> "a"; "targets[0].health.timeout" -> "targets[0].health".
std::string_view Parent(std::string_view field) {
  const auto dot = field.rfind('.');
  return dot == std::string_view::npos ? std::string_view() : field.substr(0, dot);
}

// One key of a YAML map.
struct Entry {
  std::string key;
  YAML::Node value;
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

  Config Load(const YAML::Node& root) {
    if (!root.IsMap()) {
      Fail(LineOf(root), "",
           "expected a map with a \"targets\" list at the top level, got " + Describe(root));
    }
    const Fields top = OpenMap(root, "", LineOf(root), {"defaults", "targets"});
    DefaultsLayer defaults;
    if (const Entry* entry = top.Get("defaults")) defaults = ReadDefaults(*entry);

    const Entry* targets = top.Get("targets");
    if (!targets) Fail(top.line, "targets", "required field is missing");
    if (!targets->value.IsSequence()) ExpectedGot(*targets, "a list of targets");
    if (targets->value.size() == 0) Fail(targets->line, "targets", "must list at least one target");

    Config config;
    config.source = source_;
    config.targets.reserve(targets->value.size());
    std::unordered_map<std::string, int> first_line_by_name;
    for (std::size_t i = 0; i < targets->value.size(); ++i) {
      const YAML::Node item = targets->value[i];
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

  static int ItemLine(const YAML::Node& item, int fallback) {
    const int line = LineOf(item);
    return line > 0 && !item.IsNull() ? line : fallback;
  }

  static std::string Join(const std::string& parent, std::string_view key) {
    return parent.empty() ? std::string(key) : parent + "." + std::string(key);
  }

  // Checks that `node` is a map whose keys are unique strings from `allowed`.
  Fields OpenMap(const YAML::Node& node, const std::string& field, int line,
                 std::initializer_list<std::string_view> allowed) const {
    if (!node.IsMap()) {
      Fail(line, field, "expected a map, got " + Describe(node));
    }
    Fields fields{field, line, {}};
    for (auto it = node.begin(); it != node.end(); ++it) {
      const int key_line = LineOf(it->first);
      if (!it->first.IsScalar()) {
        Fail(key_line, field, "expected a string key, got " + Describe(it->first));
      }
      const std::string key = it->first.Scalar();
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
      fields.entries.push_back(Entry{key, it->second, Join(field, key), key_line});
    }
    return fields;
  }

  std::string ReadString(const Entry& entry) const {
    if (!entry.value.IsScalar()) ExpectedGot(entry, "a string");
    return entry.value.Scalar();
  }

  // Plain (unquoted) scalars only: "3" in quotes is a string in YAML, and strict means strict.
  std::string_view PlainScalar(const Entry& entry, std::string_view expected) const {
    if (!entry.value.IsScalar() || entry.value.Tag() == "!") ExpectedGot(entry, expected);
    return entry.value.Scalar();
  }

  template <typename T>
  Setting<T> Set(const Entry& entry, T value, Level level) const {
    return Setting<T>{std::move(value), entry.field, entry.line, level};
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
    auto add = [&](const YAML::Node& node, const std::string& field, int line) {
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
        const YAML::Node item = entry.value[i];
        add(item, entry.field + "[" + std::to_string(i) + "]", ItemLine(item, entry.line));
      }
    } else {
      add(entry.value, entry.field, entry.line);
    }
    return Set(entry, std::move(matcher), level);
  }

  // A map of strings, keys unique; `check` validates each key/value pair.
  template <typename Check>
  std::vector<std::pair<Entry, std::string>> ReadStringMap(const Entry& entry, Check check,
                                                           bool keys_case_insensitive) const {
    if (!entry.value.IsMap()) ExpectedGot(entry, "a map");
    std::vector<std::pair<Entry, std::string>> out;
    std::unordered_map<std::string, int> first_line;
    for (auto it = entry.value.begin(); it != entry.value.end(); ++it) {
      const int key_line = LineOf(it->first);
      if (!it->first.IsScalar()) {
        Fail(key_line, entry.field, "expected a string key, got " + Describe(it->first));
      }
      Entry item{it->first.Scalar(), it->second, entry.field + "." + it->first.Scalar(), key_line};
      std::string normalized = item.key;
      if (keys_case_insensitive) {
        std::transform(normalized.begin(), normalized.end(), normalized.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      }
      auto [previous, inserted] = first_line.emplace(normalized, key_line);
      if (!inserted) {
        Fail(key_line, item.field,
             "duplicate key " + Quote(item.key) + ", first set at line " +
                 std::to_string(previous->second));
      }
      std::string value = ReadString(item);
      if (auto error = check(item.key, value); !error.empty()) Fail(key_line, item.field, error);
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
                                  {"path", "method", "expected_status", "interval", "timeout",
                                   "healthy_threshold", "unhealthy_threshold"});
    HealthLayer layer;
    for (const Entry& e : fields.entries) {
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

  // The keys defaults.sample and each sample share; the caller handles the others.
  SampleLayer ReadSampleSettings(const Fields& fields, Level level) const {
    SampleLayer layer;
    for (const Entry& e : fields.entries) {
      if (e.key == "method") layer.method = ReadMethod(e, level);
      if (e.key == "expected_status") layer.expected_status = ReadStatus(e, level);
      if (e.key == "interval") layer.interval = ReadDuration(e, level);
      if (e.key == "timeout") layer.timeout = ReadDuration(e, level);
      if (e.key == "latency_budget") layer.latency_budget = ReadDuration(e, level);
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
    const Fields fields = OpenMap(entry.value, entry.field, entry.line,
                                  {"health", "sample", "evaluation", "max_body_bytes"});
    DefaultsLayer defaults;
    for (const Entry& e : fields.entries) {
      if (e.key == "health") defaults.health = ReadHealth(e, kDefaults);
      if (e.key == "sample") {
        const Fields sample = OpenMap(
            e.value, e.field, e.line,
            {"method", "expected_status", "interval", "timeout", "latency_budget", "headers"});
        defaults.sample = ReadSampleSettings(sample, kDefaults);
      }
      if (e.key == "evaluation") defaults.evaluation = ReadEvaluation(e, kDefaults);
      if (e.key == "max_body_bytes") defaults.max_body_bytes = ReadBodyLimit(e, kDefaults);
    }
    return defaults;
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

  ApiSample ReadSample(const YAML::Node& node, const std::string& field, int line,
                       const SampleLayer& defaults, Level level, int* name_line) const {
    const Fields fields = OpenMap(node, field, line,
                                  {"name", "path", "method", "headers", "body", "expected_status",
                                   "latency_budget", "interval", "timeout"});
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

    // Defaults first; a sample header with the same name (any case) replaces the default.
    auto same_name = [](const std::string& a, const std::string& b) {
      return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) ==
               std::tolower(static_cast<unsigned char>(y));
      });
    };
    for (const Header& header : defaults.headers) {
      const bool overridden =
          std::any_of(own.headers.begin(), own.headers.end(),
                      [&](const Header& h) { return same_name(h.name, header.name); });
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

  Target ReadTarget(const YAML::Node& node, const std::string& field, int line,
                    const DefaultsLayer& defaults, int* name_line) const {
    const Fields fields =
        OpenMap(node, field, line,
                {"name", "url", "labels", "health", "samples", "evaluation", "max_body_bytes"});
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

    // Health: field by field, own setting over defaults over built-in.
    HealthLayer own_health;
    if (const Entry* health = fields.Get("health")) own_health = ReadHealth(*health, kOwn);
    const HealthLayer& dh = defaults.health;
    const HealthCheck builtin_health;
    target.health.path = ValueOr(Pick(own_health.path, dh.path), builtin_health.path);
    target.health.method = ValueOr(Pick(own_health.method, dh.method), builtin_health.method);
    target.health.expected_status = ValueOr(Pick(own_health.expected_status, dh.expected_status),
                                            builtin_health.expected_status);
    const auto* health_interval = Pick(own_health.interval, dh.interval);
    const auto* health_timeout = Pick(own_health.timeout, dh.timeout);
    target.health.interval = ValueOr(health_interval, builtin_health.interval);
    target.health.timeout = ValueOr(health_timeout, builtin_health.timeout);
    target.health.healthy_threshold = ValueOr(
        Pick(own_health.healthy_threshold, dh.healthy_threshold), builtin_health.healthy_threshold);
    target.health.unhealthy_threshold =
        ValueOr(Pick(own_health.unhealthy_threshold, dh.unhealthy_threshold),
                builtin_health.unhealthy_threshold);
    CheckNotAbove(health_timeout, target.health.timeout, "timeout", health_interval,
                  target.health.interval, "interval", kTimeoutWhy, field + ".health.timeout", line);

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
      const YAML::Node item = samples->value[i];
      const std::string item_field = samples->field + "[" + std::to_string(i) + "]";
      int sample_name_line = 0;
      ApiSample sample = ReadSample(item, item_field, ItemLine(item, samples->line),
                                    defaults.sample, kOwn, &sample_name_line);
      auto [it, inserted] = first_sample_line.emplace(sample.name, sample_name_line);
      if (!inserted) {
        std::string message = "duplicate sample name " + Quote(sample.name);
        const bool derived = !item.IsMap() || !item["name"];
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

LoadResult LoadString(std::string_view yaml, std::string source_name) {
  try {
    std::vector<YAML::Node> documents = YAML::LoadAll(std::string(yaml));
    if (documents.empty()) {
      return {std::nullopt, ConfigError{source_name, 0, "",
                                        "configuration is empty, expected a map with a "
                                        "\"targets\" list"}};
    }
    if (documents.size() > 1) {
      return {std::nullopt, ConfigError{source_name, LineOf(documents[1]), "",
                                        "found " + std::to_string(documents.size()) +
                                            " YAML documents, expected exactly one"}};
    }
    Loader loader(source_name);
    return {loader.Load(documents[0]), std::nullopt};
  } catch (const LoadFailure& failure) {
    return {std::nullopt, failure.error};
  } catch (const YAML::Exception& e) {
    const int line = e.mark.line >= 0 ? e.mark.line + 1 : 0;
    std::string message = "invalid YAML: " + e.msg;
    if (e.mark.column >= 0) message += " (column " + std::to_string(e.mark.column + 1) + ")";
    return {std::nullopt, ConfigError{source_name, line, "", message}};
  } catch (const std::exception& e) {
    return {std::nullopt, ConfigError{source_name, 0, "", std::string("cannot load: ") + e.what()}};
  }
}

LoadResult LoadFile(const std::string& path) {
  auto close = [](std::FILE* f) { std::fclose(f); };
  std::unique_ptr<std::FILE, decltype(close)> file(std::fopen(path.c_str(), "rb"), close);
  auto unreadable = [&](int error) {
    return LoadResult{
        std::nullopt,
        ConfigError{path, 0, "", "cannot read file: " + std::string(std::strerror(error))}};
  };
  if (!file) return unreadable(errno);
  std::string text;
  char buffer[1 << 16];
  while (true) {
    const std::size_t n = std::fread(buffer, 1, sizeof buffer, file.get());
    text.append(buffer, n);
    if (n < sizeof buffer) break;
  }
  if (std::ferror(file.get())) return unreadable(errno);
  return LoadString(text, path);
}

}  // namespace healthgap::config
