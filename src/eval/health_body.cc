#include "eval/health_body.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "common/enum_names.h"
#include "common/strings.h"
#include "common/utf8.h"

namespace healthgap::eval {
namespace {

using nlohmann::json;

constexpr int Rank(ComponentStatus status) {
  switch (status) {
    case ComponentStatus::kPass:
      return 0;
    case ComponentStatus::kWarn:
      return 1;
    case ComponentStatus::kFail:
      return 2;
  }
  return 2;
}

std::optional<ComponentStatus> Worse(std::optional<ComponentStatus> a,
                                     std::optional<ComponentStatus> b) {
  if (!a) return b;
  if (!b) return a;
  return Rank(*a) >= Rank(*b) ? a : b;
}

// The first word of a status text, lowercased, '-' folded to '_': "error: timeout" -> "error",
// "OUT_OF_SERVICE" -> "out_of_service". Health bodies put the verdict first and the reason after.
std::string FirstWord(std::string_view text) {
  std::size_t start = 0;
  while (start < text.size() && (text[start] == ' ' || text[start] == '\t')) ++start;
  std::string word;
  for (std::size_t i = start; i < text.size() && word.size() < 32; ++i) {
    const char c = LowerAscii(text[i]);
    if ((c >= 'a' && c <= 'z') || c == '_') {
      word += c;
    } else if (c == '-') {
      word += '_';
    } else {
      break;
    }
  }
  return word;
}

// Status words seen in the wild (flat maps, Spring, IETF, gRPC, MicroProfile). Unknown words are
// not statuses: a flat map also carries "version": "1.2.3".
std::optional<ComponentStatus> ClassifyStatusText(std::string_view text) {
  static const std::set<std::string, std::less<>> kPass = {
      "ok",   "up",   "pass",    "passed",    "passing", "healthy", "green",
      "true", "good", "success", "available", "ready",   "alive",   "serving"};
  static const std::set<std::string, std::less<>> kWarn = {
      "warn", "warning", "warnings", "degraded", "yellow", "unknown", "partial"};
  static const std::set<std::string, std::less<>> kFail = {
      "error",       "errors",   "err",         "fail",      "failed",  "failure", "failing",
      "down",        "critical", "crit",        "unhealthy", "red",     "false",   "out_of_service",
      "unavailable", "dead",     "not_serving", "fatal",     "timeout", "broken"};
  const std::string word = FirstWord(text);
  if (word.empty()) return std::nullopt;
  if (kPass.contains(word)) return ComponentStatus::kPass;
  if (kWarn.contains(word)) return ComponentStatus::kWarn;
  if (kFail.contains(word)) return ComponentStatus::kFail;
  return std::nullopt;
}

std::optional<ComponentStatus> ClassifyStatusValue(const json& value) {
  if (value.is_string()) return ClassifyStatusText(value.get_ref<const std::string&>());
  if (value.is_boolean()) {
    return value.get<bool>() ? ComponentStatus::kPass : ComponentStatus::kFail;
  }
  return std::nullopt;
}

// Human detail: control characters become spaces, cut on a UTF-8 boundary (input is valid
// UTF-8 by the time it gets here).
std::string SanitizeDetail(std::string_view raw, std::size_t max_bytes) {
  std::string out;
  for (std::size_t i = 0; i < raw.size();) {
    std::size_t length = utf8::SequenceLength(raw, i);
    if (length == 0) length = 1;  // defensive: never loop forever
    if (out.size() + length > max_bytes) break;
    const unsigned char c = static_cast<unsigned char>(raw[i]);
    if (length == 1 && (c < 0x20 || c == 0x7F)) {
      out += ' ';
    } else if (length == 1 && c >= 0x80) {
      out += '?';
    } else {
      out.append(raw.substr(i, length));
    }
    i += length;
  }
  return out;
}

// Collects components within the limits; names are sanitised and made unique (two raw names may
// sanitise to the same label value, and a duplicate series would break the scrape).
class Collector {
 public:
  Collector(BodyReport& report, const BodyLimits& limits) : report_(report), limits_(limits) {}

  void Add(std::string_view raw_name, ComponentStatus status, std::string_view detail) {
    if (report_.components.size() >= limits_.max_components) {
      report_.error = "too_many_components";
      return;
    }
    std::string name = SanitizeComponentName(raw_name, limits_.max_name_bytes);
    for (int n = 2; names_.contains(name); ++n) {
      const std::string suffix = "_" + std::to_string(n);
      std::string base = SanitizeComponentName(raw_name, limits_.max_name_bytes);
      if (base.size() + suffix.size() > limits_.max_name_bytes) {
        base.resize(limits_.max_name_bytes > suffix.size() ? limits_.max_name_bytes - suffix.size()
                                                           : 0);
      }
      name = base + suffix;
    }
    names_.insert(name);
    report_.components.push_back(
        {std::move(name), status, SanitizeDetail(detail, limits_.max_detail_bytes)});
  }

 private:
  BodyReport& report_;
  const BodyLimits& limits_;
  std::set<std::string, std::less<>> names_;
};

const json* Member(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::string_view StringMember(const json& object, const char* key) {
  const json* value = Member(object, key);
  return value && value->is_string() ? std::string_view(value->get_ref<const std::string&>())
                                     : std::string_view();
}

bool HasStatus(const json& value) {
  const json* status = Member(value, "status");
  return status && (status->is_string() || status->is_boolean());
}

// Text of a status value, for details: "DOWN", "true".
std::string StatusText(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  return "";
}

// The first human message an object carries about its state.
std::string_view MessageOf(const json& object) {
  for (const char* key : {"error", "output", "message", "detail", "reason", "description"}) {
    const std::string_view text = StringMember(object, key);
    if (!text.empty()) return text;
  }
  if (const json* details = Member(object, "details")) {
    const std::string_view text = StringMember(*details, "error");
    if (!text.empty()) return text;
  }
  return {};
}

std::string DetailOf(const json& object) {
  std::string detail = StatusText(*Member(object, "status"));
  const std::string_view message = MessageOf(object);
  if (!message.empty()) detail += std::string(": ").append(message);
  return detail;
}

// --- Spring Boot Actuator ---------------------------------------------------------------------

// The children of a Spring health node: "components" (Boot >= 2.2), "details" (2.0/2.1), or the
// node's own keys (1.x), keeping only values that are themselves health nodes.
const json* SpringChildren(const json& node) {
  for (const char* key : {"components", "details"}) {
    const json* children = Member(node, key);
    if (children && children->is_object()) {
      for (const auto& [name, child] : children->items()) {
        if (HasStatus(child)) return children;
      }
    }
  }
  for (const auto& [name, child] : node.items()) {
    if (HasStatus(child)) return &node;
  }
  return nullptr;
}

// Leaves only, named by their path: a composite's status is its children's aggregate, and
// leaves keep cardinality at the number of real dependencies. Depth is bounded by the pre-scan.
void WalkSpring(const json& node, const std::string& prefix, Collector& out) {
  const json* children = SpringChildren(node);
  if (children == nullptr) return;
  for (const auto& [name, child] : children->items()) {
    if (!HasStatus(child)) continue;
    const std::string path = prefix.empty() ? name : prefix + "." + name;
    if (SpringChildren(child) != nullptr) {
      WalkSpring(child, path, out);
      continue;
    }
    const auto status = ClassifyStatusValue(*Member(child, "status"));
    // Spring's UNKNOWN and custom codes: not proof of failure, not a pass either.
    out.Add(path, status.value_or(ComponentStatus::kWarn), DetailOf(child));
  }
}

bool LooksLikeSpring(const json& root) {
  const std::string_view status = StringMember(root, "status");
  if (status == "UP" || status == "DOWN" || status == "OUT_OF_SERVICE" || status == "UNKNOWN") {
    return true;
  }
  const json* components = Member(root, "components");
  return components && components->is_object();
}

// --- IETF draft-inadarei-api-health-check -----------------------------------------------------

// "checks" whose values are arrays of check objects: the IETF shape.
bool HasIetfChecks(const json& root) {
  const json* checks = Member(root, "checks");
  if (!checks || !checks->is_object() || checks->empty()) return false;
  return std::all_of(checks->begin(), checks->end(),
                     [](const json& value) { return value.is_array(); });
}

// One component per "component:measurement" key, with the worst of its entries: componentIds
// are often UUIDs, unfit as label values.
void CollectIetfChecks(const json& root, Collector& out) {
  const json* checks = Member(root, "checks");
  if (!checks || !checks->is_object()) return;
  for (auto it = checks->begin(); it != checks->end(); ++it) {
    const json& value = it.value();  // not a structured binding: lambdas capture it
    const bool several = value.is_array() && value.size() > 1;
    std::optional<ComponentStatus> worst;
    std::string detail;
    const auto consider = [&](const json& entry) {
      const json* status = Member(entry, "status");
      if (!status) return;
      const auto parsed = ClassifyStatusValue(*status);
      if (!parsed) return;
      if (!worst || Rank(*parsed) > Rank(*worst)) {
        worst = parsed;
        detail = DetailOf(entry);
        const std::string_view id = StringMember(entry, "componentId");
        if (!id.empty() && several) {
          detail += std::string(" (").append(id) + ")";
        }
      }
    };
    if (value.is_array()) {
      for (const json& entry : value) consider(entry);
    } else {
      consider(value);
    }
    if (!worst) continue;
    out.Add(it.key(), *worst, detail);
  }
}

// --- flat maps (the reference text's shape, and MicroProfile's checks array) -------------------

void CollectFlatMap(const json& map, Collector& out, bool skip_status) {
  for (const auto& [name, value] : map.items()) {
    if (skip_status && name == "status") continue;
    if (value.is_string() || value.is_boolean()) {
      const auto status = ClassifyStatusValue(value);
      if (status) out.Add(name, *status, StatusText(value));
    } else if (value.is_object() && HasStatus(value)) {
      const auto status = ClassifyStatusValue(*Member(value, "status"));
      if (status) out.Add(name, *status, DetailOf(value));
    }
  }
}

// MicroProfile Health / Quarkus: {"status": "UP", "checks": [{"name": "db", "status": "UP"}]}.
void CollectChecksArray(const json& checks, Collector& out) {
  for (const json& entry : checks) {
    const std::string_view name = StringMember(entry, "name");
    if (name.empty() || !HasStatus(entry)) continue;
    const auto status = ClassifyStatusValue(*Member(entry, "status"));
    if (status) out.Add(name, *status, DetailOf(entry));
  }
}

void ParseJson(const json& root, bool ietf_content_type, BodyReport& report,
               const BodyLimits& limits) {
  if (!root.is_object()) {
    report.error = "unrecognised";
    return;
  }
  Collector out(report, limits);
  const json* status = Member(root, "status");
  const json* checks = Member(root, "checks");
  if (ietf_content_type || HasIetfChecks(root)) {
    report.format = BodyFormat::kIetfHealth;
    CollectIetfChecks(root, out);
  } else if (checks && checks->is_array()) {
    report.format = BodyFormat::kFlatMap;
    CollectChecksArray(*checks, out);
  } else if (LooksLikeSpring(root)) {
    report.format = BodyFormat::kSpringActuator;
    WalkSpring(root, "", out);
  } else {
    report.format = BodyFormat::kFlatMap;
    if (checks && checks->is_object()) {
      CollectFlatMap(*checks, out, false);
    } else {
      CollectFlatMap(root, out, true);
    }
  }
  if (status) report.overall = ClassifyStatusValue(*status);
  if (report.format == BodyFormat::kSpringActuator && status && !report.overall) {
    report.overall = ComponentStatus::kWarn;  // a custom Spring status code
  }
  if (report.format == BodyFormat::kFlatMap && !report.overall && !report.components.empty()) {
    // The reference text's map has no overall field: the map is the verdict.
    for (const auto& component : report.components) {
      report.overall = Worse(report.overall, component.status);
    }
  }
  if (!report.overall && report.components.empty()) {
    report.format = BodyFormat::kNone;
    report.error = "unrecognised";
  }
}

// --- Kubernetes /readyz?verbose ----------------------------------------------------------------

bool LooksLikeK8sVerbose(std::string_view body) {
  std::size_t start = 0;
  while (start < body.size()) {
    std::size_t end = body.find('\n', start);
    if (end == std::string_view::npos) end = body.size();
    const std::string_view line = body.substr(start, end - start);
    if (line.starts_with("[+]") || line.starts_with("[-]")) return true;
    start = end + 1;
  }
  return false;
}

void ParseK8sVerbose(std::string_view body, BodyReport& report, const BodyLimits& limits) {
  report.format = BodyFormat::kK8sVerbose;
  Collector out(report, limits);
  std::size_t start = 0;
  while (start < body.size()) {
    std::size_t end = body.find('\n', start);
    if (end == std::string_view::npos) end = body.size();
    std::string_view line = body.substr(start, end - start);
    start = end + 1;
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.starts_with("[+]") || line.starts_with("[-]")) {
      const bool passed = line[1] == '+';
      line.remove_prefix(3);
      const std::size_t space = line.find(' ');
      const std::string_view name = line.substr(0, space);
      const std::string_view rest =
          space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
      out.Add(name, passed ? ComponentStatus::kPass : ComponentStatus::kFail, rest);
    } else if (line.ends_with(" check passed")) {
      report.overall = ComponentStatus::kPass;
    } else if (line.ends_with(" check failed")) {
      report.overall = ComponentStatus::kFail;
    }
  }
  if (!report.overall) {
    for (const auto& component : report.components) {
      report.overall = Worse(report.overall, component.status);
    }
  }
}

std::string_view MediaType(std::string_view content_type) {
  const std::size_t semicolon = content_type.find(';');
  std::string_view type = content_type.substr(0, semicolon);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  return type;
}

std::string_view TrimLeft(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\r' ||
                           text.front() == '\n')) {
    text.remove_prefix(1);
  }
  return text;
}

}  // namespace

constexpr std::array<EnumName<BodyFormat>, 5> kBodyFormatNames = {{
    {BodyFormat::kNone, "none"},
    {BodyFormat::kFlatMap, "flat_map"},
    {BodyFormat::kSpringActuator, "spring_actuator"},
    {BodyFormat::kIetfHealth, "ietf"},
    {BodyFormat::kK8sVerbose, "k8s_verbose"},
}};
static_assert(ListsValuesInOrder(kBodyFormatNames));

std::string_view ToString(BodyFormat format) { return NameOf(kBodyFormatNames, format); }

constexpr std::array<EnumName<ComponentStatus>, 3> kComponentStatusNames = {{
    {ComponentStatus::kPass, "pass"},
    {ComponentStatus::kWarn, "warn"},
    {ComponentStatus::kFail, "fail"},
}};
static_assert(ListsValuesInOrder(kComponentStatusNames));

std::string_view ToString(ComponentStatus status) { return NameOf(kComponentStatusNames, status); }

std::optional<ComponentStatus> WorstStatus(const BodyReport& report) {
  std::optional<ComponentStatus> worst = report.overall;
  for (const auto& component : report.components) worst = Worse(worst, component.status);
  return worst;
}

std::string SanitizeComponentName(std::string_view raw, std::size_t max_bytes) {
  std::string out;
  for (char c : raw) {
    if (out.size() >= max_bytes) break;
    const bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                         (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' || c == '-';
    out += allowed ? c : '_';
  }
  if (out.empty() && max_bytes > 0) out = "_";
  return out;
}

BodyReport ParseHealthBody(std::string_view body, std::string_view content_type,
                           const BodyLimits& limits) {
  BodyReport report;
  if (TrimLeft(body).empty()) {
    report.error = "empty";
    return report;
  }
  if (body.size() > limits.max_bytes) {
    report.error = "too_large";
    return report;
  }
  if (!utf8::IsValid(body)) {
    report.error = "invalid_utf8";
    return report;
  }
  const std::string media = ToLower(MediaType(content_type));
  const bool ietf = media == "application/health+json";
  const std::string_view trimmed = TrimLeft(body);
  const bool k8s_like = trimmed.starts_with("[+]") || trimmed.starts_with("[-]");
  const bool json_like = trimmed.front() == '{' || (trimmed.front() == '[' && !k8s_like);
  // Content type first: a text/plain body is the Kubernetes listing when it has its lines; JSON
  // is recognised by shape whatever it claims to be (many servers say text/html or nothing).
  if (!ietf && (media == "text/plain" || !json_like) && LooksLikeK8sVerbose(body)) {
    ParseK8sVerbose(body, report, limits);
    return report;
  }
  if (!json_like) {
    report.error = ietf ? "invalid_json" : "unrecognised";
    return report;
  }
  if (JsonNestingDepth(body, limits.max_depth) > limits.max_depth) {
    report.error = "too_deep";
    return report;
  }
  const json root = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    report.error = "invalid_json";
    return report;
  }
  ParseJson(root, ietf, report, limits);
  return report;
}

int JsonNestingDepth(std::string_view text, int limit) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) return deepest;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

}  // namespace healthgap::eval
