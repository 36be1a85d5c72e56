#include "config/yaml_nodes.h"

namespace healthgap::config::yaml_nodes {

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

}  // namespace healthgap::config::yaml_nodes
