#include "config/field_readers.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "config/values.h"

namespace healthgap::config {
namespace {

constexpr std::size_t kMinBodyBytes = 1ULL << 10;
constexpr std::size_t kMaxBodyBytes = 1ULL << 30;

}  // namespace

using strict_yaml::Entry;
using strict_yaml::Reader;

Millis ReadDuration(const Reader& reader, const Entry& entry) {
  if (!entry.value.IsScalar()) reader.ExpectedGot(entry, "a duration such as 10s");
  auto parsed = ParseDurationText(entry.value.Scalar());
  if (!parsed.value) reader.Fail(entry.line, entry.field, parsed.error);
  return *parsed.value;
}

double ReadNumber(const Reader& reader, const Entry& entry, double min, double max) {
  const std::string_view text = reader.PlainScalar(entry, "a number");
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    reader.ExpectedGot(entry, "a number");
  }
  if (value < min || value > max) {
    char bounds[96];
    std::snprintf(bounds, sizeof bounds, "must be between %g and %g, got ", min, max);
    reader.Fail(entry.line, entry.field, bounds + std::string(text));
  }
  return value;
}

double ReadRatio(const Reader& reader, const Entry& entry) {
  return ReadNumber(reader, entry, 0, 1);
}

std::size_t ReadBodyLimit(const Reader& reader, const Entry& entry) {
  if (!entry.value.IsScalar()) reader.ExpectedGot(entry, "a size such as 64KiB");
  const std::string& text = entry.value.Scalar();
  auto parsed = ParseByteSizeText(text);
  if (!parsed.value) reader.Fail(entry.line, entry.field, parsed.error);
  if (*parsed.value < kMinBodyBytes || *parsed.value > kMaxBodyBytes) {
    reader.Fail(entry.line, entry.field, "must be between 1KiB and 1GiB, got " + text);
  }
  return *parsed.value;
}

std::string ReadMethod(const Reader& reader, const Entry& entry) {
  std::string method = reader.ReadString(entry);
  if (auto error = CheckMethod(method); !error.empty()) {
    reader.Fail(entry.line, entry.field, error);
  }
  return method;
}

std::string ReadPath(const Reader& reader, const Entry& entry) {
  std::string path = reader.ReadString(entry);
  if (auto error = CheckRequestPath(path); !error.empty()) {
    reader.Fail(entry.line, entry.field, error);
  }
  return path;
}

StatusMatcher ReadStatus(const Reader& reader, const Entry& entry) {
  StatusMatcher matcher;
  matcher.ranges.clear();
  auto add = [&](const Entry& item) {
    if (!item.value.IsScalar()) {
      reader.ExpectedGot(item, "a status pattern such as 200, 2xx or 200-399");
    }
    auto range = ParseStatusPattern(item.value.Scalar());
    if (!range.value) reader.Fail(item.line, item.field, range.error);
    matcher.ranges.push_back(*range.value);
  };
  if (!entry.value.IsSequence()) {
    add(entry);
    return matcher;
  }
  const std::vector<Entry> items = reader.Items(entry);
  if (items.empty()) reader.Fail(entry.line, entry.field, "must list at least one status pattern");
  for (const Entry& item : items) add(item);
  return matcher;
}

Regex ReadRegex(const Reader& reader, const Entry& entry) {
  std::string error;
  std::optional<Regex> regex = Regex::Compile(reader.ReadString(entry), &error);
  if (!regex) reader.Fail(entry.line, entry.field, "invalid regular expression: " + error);
  return std::move(*regex);
}

StatusMatcher ReadGrpcCodes(const Reader& reader, const Entry& entry) {
  StatusMatcher matcher;
  matcher.ranges.clear();
  const auto add = [&](const Entry& item) {
    // Quoted or not: a comma list inside a YAML flow map must be quoted.
    const auto codes = ParseGrpcCodes(reader.ReadString(item));
    if (!codes.value) reader.Fail(item.line, item.field, codes.error);
    matcher.ranges.insert(matcher.ranges.end(), codes.value->ranges.begin(),
                          codes.value->ranges.end());
  };
  if (!entry.value.IsSequence()) {
    add(entry);
    return matcher;
  }
  const std::vector<Entry> items = reader.Items(entry);
  if (items.empty()) reader.Fail(entry.line, entry.field, "must list at least one gRPC code");
  for (const Entry& item : items) add(item);
  return matcher;
}

int ReadPort(const Reader& reader, const Entry& entry) {
  const std::string_view text = reader.PlainScalar(entry, "a port number");
  int port = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc() || end != text.data() + text.size() || port < 1 || port > 65535) {
    reader.Fail(entry.line, entry.field,
                "must be a port number between 1 and 65535, got " + strict_yaml::Quote(text));
  }
  return port;
}

std::vector<Header> ReadHeaders(const Reader& reader, const Entry& entry) {
  std::vector<Header> headers;
  for (auto& [item, value] :
       ReadStringMap(reader, entry, CheckHeader, /*keys_case_insensitive=*/true)) {
    headers.push_back(Header{item.key, std::move(value)});
  }
  return headers;
}

}  // namespace healthgap::config
