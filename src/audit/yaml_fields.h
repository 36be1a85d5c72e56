#pragma once

// Reading the YAML (and JSON, YAML's flow style) formats audit reads: Kubernetes manifests, AWS
// target groups, Envoy clusters. A missing or mistyped field reads as absent, so each parser
// applies its balancer's default instead.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "audit/pool.h"
#include "config/yaml_tree.h"

namespace healthgap::audit {

using YamlNode = config::yaml::Node;

inline std::optional<YamlNode> At(const YamlNode& map, std::string_view key) {
  if (!map.IsMap()) return std::nullopt;
  return map.Find(key);
}

inline std::string ScalarAt(const YamlNode& map, std::string_view key) {
  const std::optional<YamlNode> value = At(map, key);
  return value && value->IsScalar() ? value->Scalar() : "";
}

// A non-negative whole number, else `fallback`.
inline int IntAt(const YamlNode& map, std::string_view key, int fallback) {
  const std::optional<int> value = ParseInteger(ScalarAt(map, key));
  return value && *value >= 0 ? *value : fallback;
}

// The documents of `text`, or nullptr with *error set to "line N: ..." (`what` when the parser
// gives no line).
inline std::unique_ptr<config::yaml::Stream> ParseDocuments(std::string_view text,
                                                            std::string_view what,
                                                            std::string* error) {
  config::yaml::Stream::Parsed parsed = config::yaml::Stream::Parse(text);
  if (!parsed.stream) {
    *error = parsed.error
                 ? "line " + std::to_string(parsed.error->line) + ": " + parsed.error->message
                 : std::string(what);
    return nullptr;
  }
  return std::move(parsed.stream);
}

}  // namespace healthgap::audit
