#pragma once

#include <string>

namespace healthgap::config {

// The first problem found in a file, located well enough to fix it without guessing.
struct ConfigError {
  std::string file;   // path as given, or "<embedded>"
  int line = 0;       // 1-based; 0 if unknown
  std::string field;  // dotted path, e.g. "targets[1].samples[0].interval"; empty if none
  std::string message;

  // "FILE:LINE: FIELD: MESSAGE"; the line is left out when unknown and the field when empty.
  std::string Format() const;
  bool operator==(const ConfigError&) const = default;
};

}  // namespace healthgap::config
