#pragma once

// Readers of the config's typed values (durations, sizes, statuses, methods, paths, headers),
// on top of strict_yaml's. Each returns a valid value or throws strict_yaml::Failure.

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "config/settings.h"
#include "config/strict_yaml.h"

namespace healthgap::config {

// strict_yaml's scalars, as free functions for the field tables (settings.h).
inline bool ReadBool(const strict_yaml::Reader& reader, const strict_yaml::Entry& entry) {
  return reader.ReadBool(entry);
}
inline int ReadCount(const strict_yaml::Reader& reader, const strict_yaml::Entry& entry) {
  return reader.ReadCount(entry);
}

inline std::string ReadBodyText(const strict_yaml::Reader& reader,
                                const strict_yaml::Entry& entry) {
  return reader.ReadString(entry);
}

Millis ReadDuration(const strict_yaml::Reader& reader, const strict_yaml::Entry& entry);
// A finite number between min and max.
double ReadNumber(const strict_yaml::Reader& reader, const strict_yaml::Entry& entry, double min,
                  double max);
// A number between 0 and 1.
double ReadRatio(const strict_yaml::Reader& reader, const strict_yaml::Entry& entry);
// A body size limit between 1KiB and 1GiB.
std::size_t ReadBodyLimit(const strict_yaml::Reader& reader, const strict_yaml::Entry& entry);
std::string ReadMethod(const strict_yaml::Reader& reader, const strict_yaml::Entry& entry);
std::string ReadPath(const strict_yaml::Reader& reader, const strict_yaml::Entry& entry);
// A single pattern ("2xx", 200) or a list of them.
StatusMatcher ReadStatus(const strict_yaml::Reader& reader, const strict_yaml::Entry& entry);
// A regular expression in RE2 syntax, compiled now.
Regex ReadRegex(const strict_yaml::Reader& reader, const strict_yaml::Entry& entry);
// gRPC status codes as an ALB's Matcher.GrpcCode takes them, 0-99: a code (12), a range (0-5),
// a comma-separated list ("0,12") or a YAML list of those.
StatusMatcher ReadGrpcCodes(const strict_yaml::Reader& reader, const strict_yaml::Entry& entry);
// A TCP port, 1-65535.
int ReadPort(const strict_yaml::Reader& reader, const strict_yaml::Entry& entry);
// Header names unique in any case.
std::vector<Header> ReadHeaders(const strict_yaml::Reader& reader, const strict_yaml::Entry& entry);

// A map of strings with the user's keys; `check(key, value)` returns an error or "".
template <typename Check>
std::vector<std::pair<strict_yaml::Entry, std::string>> ReadStringMap(
    const strict_yaml::Reader& reader, const strict_yaml::Entry& entry, Check check,
    bool keys_case_insensitive) {
  std::vector<std::pair<strict_yaml::Entry, std::string>> out;
  for (strict_yaml::Entry& item : reader.UserKeyedMap(entry, keys_case_insensitive)) {
    std::string value = reader.ReadString(item);
    if (auto error = check(item.key, value); !error.empty()) {
      reader.Fail(item.line, item.field, error);
    }
    out.emplace_back(std::move(item), std::move(value));
  }
  return out;
}

}  // namespace healthgap::config
