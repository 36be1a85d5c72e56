#include "config/yaml_nodes.h"

namespace healthgap::config::yaml_nodes {

std::string Quote(std::string_view text) { return "\"" + std::string(text) + "\""; }

std::string Describe(const yaml::Node& node) {
  switch (node.kind()) {
    case yaml::Node::Kind::kNull:
      return "nothing";
    case yaml::Node::Kind::kSequence:
      return "a list";
    case yaml::Node::Kind::kMap:
      return "a map";
    case yaml::Node::Kind::kScalar:
      return node.quoted() ? "the quoted string " + Quote(node.Scalar()) : Quote(node.Scalar());
  }
  return "an unknown node";
}

}  // namespace healthgap::config::yaml_nodes
