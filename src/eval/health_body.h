#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace healthgap::eval {

// Deepest array/object nesting of JSON text, counted without parsing: nlohmann's parser
// recurses, so a hostile "[[[[..." must be refused before it reaches it. Stops counting past
// `limit`.
int JsonNestingDepth(std::string_view text, int limit);

// Which health body dialect a response speaks.
enum class BodyFormat {
  kNone,            // not recognised (or not parsed: see BodyReport::error)
  kFlatMap,         // {"database": "ok", "redis": "error: ..."}, optionally under "checks"
  kSpringActuator,  // {"status": "UP", "components": {...}} (or older "details")
  kIetfHealth,      // application/health+json, draft-inadarei-api-health-check
  kK8sVerbose,      // /readyz?verbose text: "[+]name ok" / "[-]name failed: ..."
};

// "none", "flat_map", "spring_actuator", "ietf", "k8s_verbose".
std::string_view ToString(BodyFormat format);

enum class ComponentStatus { kPass, kWarn, kFail };

// "pass", "warn", "fail".
std::string_view ToString(ComponentStatus status);

struct ComponentReport {
  // Sanitised: only [A-Za-z0-9_.:-], at most BodyLimits::max_name_bytes. Safe as a label value.
  std::string name;
  ComponentStatus status = ComponentStatus::kPass;
  // Human detail for `check` and logs (e.g. "error: connection refused"); printable ASCII,
  // bounded by BodyLimits::max_detail_bytes. Never a label.
  std::string detail;
};

// Bounds on the work one body may cause: a hostile endpoint must not cost more than this.
struct BodyLimits {
  std::size_t max_bytes = 1 << 20;  // bodies longer than this are not parsed ("too_large")
  int max_depth = 32;               // JSON nesting; checked before parsing ("too_deep")
  std::size_t max_components = 64;  // beyond this: components cut, error "too_many_components"
  std::size_t max_name_bytes = 64;
  std::size_t max_detail_bytes = 200;
};

struct BodyReport {
  BodyFormat format = BodyFormat::kNone;
  // The body's own overall verdict; for a flat map without one, the worst component.
  std::optional<ComponentStatus> overall;
  // At most BodyLimits::max_components. JSON: sorted by key (the parser keeps objects sorted);
  // Kubernetes text: in line order.
  std::vector<ComponentReport> components;
  // Why parsing failed or was partial; empty on success. Bounded, usable as a label value:
  // "empty", "too_large", "too_deep", "invalid_json", "invalid_utf8", "too_many_components",
  // "unrecognised".
  std::string error;
};

// The worst of the body's overall status and its components' (fail > warn > pass); nullopt
// when the body said nothing.
std::optional<ComponentStatus> WorstStatus(const BodyReport& report);

// Parses a health response body. Detection: content type first (application/health+json ->
// IETF, text/plain -> Kubernetes verbose), then shape (JSON bodies are recognised by their keys
// whatever their content type). Never throws; work is bounded by `limits`. Pure.
BodyReport ParseHealthBody(std::string_view body, std::string_view content_type,
                           const BodyLimits& limits = {});

// A component name made safe as a label value: characters outside [A-Za-z0-9_.:-] become '_',
// cut to `max_bytes`; "_" when empty.
std::string SanitizeComponentName(std::string_view raw, std::size_t max_bytes = 64);

}  // namespace healthgap::eval
