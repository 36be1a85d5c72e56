#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace healthgap::log {

enum class Level { kDebug, kInfo, kWarn, kError };

std::optional<Level> ParseLevel(std::string_view text);  // "debug", "info", "warn", "error"
void SetLevel(Level level);

using Field = std::pair<std::string_view, std::string>;

// One logfmt line on stderr, as Prometheus' own components log:
//   ts=2026-11-24T01:02:03.456Z level=info msg="config reloaded" targets=12
// Thread-safe: lines never interleave.
void Write(Level level, std::string_view message, std::initializer_list<Field> fields = {});

inline void Info(std::string_view message, std::initializer_list<Field> fields = {}) {
  Write(Level::kInfo, message, fields);
}
inline void Warn(std::string_view message, std::initializer_list<Field> fields = {}) {
  Write(Level::kWarn, message, fields);
}
inline void Error(std::string_view message, std::initializer_list<Field> fields = {}) {
  Write(Level::kError, message, fields);
}

}  // namespace healthgap::log
