#pragma once

#include <string>
#include <string_view>

#include "config/yaml_tree.h"

// What every strict YAML loader here (the config, the web config) says about a node in its
// error messages: where it is and what it is.
namespace healthgap::config::yaml_nodes {

// 1-based line of `node`, 0 when it has none.
inline int LineOf(const yaml::Node& node) { return node.line(); }

std::string Quote(std::string_view text);

// "nothing", "a list", "a map", "\"text\"", or "the quoted string \"3\"" for an explicitly
// quoted scalar (so `"3"` where a number is expected explains itself).
std::string Describe(const yaml::Node& node);

}  // namespace healthgap::config::yaml_nodes
