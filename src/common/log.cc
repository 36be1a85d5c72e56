#include "common/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "common/enum_names.h"

namespace healthgap::log {

namespace {

std::atomic<Level> current_level{Level::kInfo};

constexpr std::array<EnumName<Level>, 4> kLevelNames = {{
    {Level::kDebug, "debug"},
    {Level::kInfo, "info"},
    {Level::kWarn, "warn"},
    {Level::kError, "error"},
}};
static_assert(ListsValuesInOrder(kLevelNames));

std::string_view Name(Level level) { return NameOf(kLevelNames, level); }

// logfmt: quote values with spaces, quotes or '=' and escape what needs it.
void AppendValue(std::string& line, std::string_view value) {
  const bool needs_quotes =
      value.empty() || value.find_first_of(" \"=\\\n\t") != std::string_view::npos;
  if (!needs_quotes) {
    line += value;
    return;
  }
  line += '"';
  for (char c : value) {
    if (c == '"' || c == '\\') {
      line += '\\';
      line += c;
    } else if (c == '\n') {
      line += "\\n";
    } else {
      line += c;
    }
  }
  line += '"';
}

std::string Timestamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%S", &utc);
  char with_millis[40];
  std::snprintf(with_millis, sizeof(with_millis), "%s.%03dZ", buffer, static_cast<int>(millis));
  return with_millis;
}

}  // namespace

std::optional<Level> ParseLevel(std::string_view text) { return ValueNamed(kLevelNames, text); }

void SetLevel(Level level) { current_level = level; }

void Write(Level level, std::string_view message, std::initializer_list<Field> fields) {
  if (level < current_level.load()) return;
  std::string line = "ts=" + Timestamp() + " level=" + std::string(Name(level)) + " msg=";
  AppendValue(line, message);
  for (const auto& [key, value] : fields) {
    line += ' ';
    line += key;
    line += '=';
    AppendValue(line, value);
  }
  line += '\n';
  static std::mutex mu;
  std::lock_guard lock(mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace healthgap::log
