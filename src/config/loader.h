#pragma once

// Loads healthgap's YAML configuration (docs/configuration.md) into config::Config, applying
// defaults while parsing and validating strictly. Nothing here throws: every problem, including
// a YAML syntax error or an unreadable file, comes back as a ConfigError. Stateless functions,
// safe to call from any thread.

#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "config/config_error.h"
#include "config/values.h"

namespace healthgap::config {

// Exactly one of the two is set.
struct LoadResult {
  std::optional<Config> config;
  std::optional<ConfigError> error;
};

// Reads and loads `path`. An unreadable file is an error naming the file.
LoadResult LoadFile(const std::string& path);

// The whole regular file, or nullopt with *error set (strerror's text, "not a regular file",
// or "larger than 16 MiB": yaml::kMaxFileBytes). Shared by everything in config/ that reads
// files (the config, secret files, file_sd files) and by the web config.
std::optional<std::string> ReadTextFile(const std::string& path, std::string* error);

// Loads YAML text; `source_name` is used in errors and as Config::source.
LoadResult LoadString(std::string_view yaml, std::string source_name);

}  // namespace healthgap::config
