#include "config/values.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <limits>

#include "common/strings.h"

namespace healthgap::config {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsSpaceOrControl(char c) { return static_cast<unsigned char>(c) <= ' ' || c == '\x7f'; }

std::string Quote(std::string_view text) { return "\"" + std::string(text) + "\""; }

// Parses a run of decimal digits with no sign; nullopt on empty input, junk or overflow.
std::optional<std::uint64_t> ParseUnsigned(std::string_view text) {
  if (text.empty() || !std::all_of(text.begin(), text.end(), IsDigit)) return std::nullopt;
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

struct DurationUnit {
  std::string_view suffix;
  std::int64_t millis;
};
// Largest first: Prometheus requires this order and each unit at most once.
constexpr std::array<DurationUnit, 7> kDurationUnits = {{
    {"y", 365LL * 24 * 3600 * 1000},
    {"w", 7LL * 24 * 3600 * 1000},
    {"d", 24LL * 3600 * 1000},
    {"h", 3600LL * 1000},
    {"m", 60LL * 1000},
    {"s", 1000},
    {"ms", 1},
}};

}  // namespace

Parsed<Millis> ParseDurationText(std::string_view text) {
  const std::string generic =
      "invalid duration " + Quote(text) + ": expected e.g. 500ms, 10s, 2m or 1m30s";
  if (text.empty()) return Parsed<Millis>::Fail(generic);
  if (std::all_of(text.begin(), text.end(), IsDigit)) {
    return Parsed<Millis>::Fail("invalid duration " + Quote(text) + ": missing unit, e.g. " +
                                std::string(text) + "s");
  }
  std::int64_t total = 0;
  std::size_t next_unit = 0;  // units must appear in kDurationUnits order
  std::string_view rest = text;
  while (!rest.empty()) {
    std::size_t digits = 0;
    while (digits < rest.size() && IsDigit(rest[digits])) ++digits;
    std::size_t letters = 0;
    while (digits + letters < rest.size() && IsAlpha(rest[digits + letters])) ++letters;
    auto number = ParseUnsigned(rest.substr(0, digits));
    std::string_view suffix = rest.substr(digits, letters);
    if (!number || suffix.empty()) return Parsed<Millis>::Fail(generic);
    std::size_t unit = next_unit;
    while (unit < kDurationUnits.size() && kDurationUnits[unit].suffix != suffix) ++unit;
    if (unit == kDurationUnits.size()) return Parsed<Millis>::Fail(generic);
    const std::int64_t limit =
        std::numeric_limits<std::int64_t>::max() / kDurationUnits[unit].millis;
    if (*number > static_cast<std::uint64_t>(limit)) {
      return Parsed<Millis>::Fail("invalid duration " + Quote(text) + ": too large");
    }
    const std::int64_t add = static_cast<std::int64_t>(*number) * kDurationUnits[unit].millis;
    if (total > std::numeric_limits<std::int64_t>::max() - add) {
      return Parsed<Millis>::Fail("invalid duration " + Quote(text) + ": too large");
    }
    total += add;
    next_unit = unit + 1;
    rest.remove_prefix(digits + letters);
  }
  if (total == 0) {
    return Parsed<Millis>::Fail("invalid duration " + Quote(text) + ": must be greater than 0");
  }
  return Parsed<Millis>::Ok(Millis(total));
}

std::optional<Millis> ParseDuration(std::string_view text) { return ParseDurationText(text).value; }

std::string FormatDuration(Millis duration) {
  std::int64_t remaining = duration.count();
  if (remaining <= 0) return remaining == 0 ? "0s" : "-" + FormatDuration(Millis(-remaining));
  std::string out;
  for (const auto& unit : kDurationUnits) {
    if (remaining >= unit.millis) {
      out += std::to_string(remaining / unit.millis) + std::string(unit.suffix);
      remaining %= unit.millis;
    }
  }
  return out;
}

Parsed<std::size_t> ParseByteSizeText(std::string_view text) {
  const std::string generic = "invalid size " + Quote(text) +
                              ": expected bytes or a number with KiB, MiB or GiB, e.g. 64KiB";
  std::size_t digits = 0;
  while (digits < text.size() && IsDigit(text[digits])) ++digits;
  auto number = ParseUnsigned(text.substr(0, digits));
  if (!number) return Parsed<std::size_t>::Fail(generic);
  std::string_view suffix = text.substr(digits);
  std::uint64_t multiplier = 0;
  if (suffix.empty()) {
    multiplier = 1;
  } else if (suffix == "KiB") {
    multiplier = 1ULL << 10;
  } else if (suffix == "MiB") {
    multiplier = 1ULL << 20;
  } else if (suffix == "GiB") {
    multiplier = 1ULL << 30;
  } else {
    return Parsed<std::size_t>::Fail(generic);
  }
  if (*number > std::numeric_limits<std::size_t>::max() / multiplier) {
    return Parsed<std::size_t>::Fail("invalid size " + Quote(text) + ": too large");
  }
  return Parsed<std::size_t>::Ok(static_cast<std::size_t>(*number * multiplier));
}

Parsed<StatusRange> ParseStatusPattern(std::string_view raw) {
  std::string_view text = Trim(raw, " ");
  auto check_code = [](std::uint64_t code) -> std::string {
    if (code < 100 || code > 599) {
      return "status code " + std::to_string(code) + " is outside 100-599";
    }
    return "";
  };
  const std::string generic = "invalid status pattern " + Quote(text) +
                              ": expected a code (200), a class (2xx) or a range (200-399)";
  // Class: "2xx".
  if (text.size() == 3 && IsDigit(text[0]) && (text[1] == 'x' || text[1] == 'X') &&
      (text[2] == 'x' || text[2] == 'X')) {
    const int hundred = text[0] - '0';
    if (hundred < 1 || hundred > 5) {
      return Parsed<StatusRange>::Fail("invalid status class " + Quote(text) +
                                       ": expected 1xx to 5xx");
    }
    return Parsed<StatusRange>::Ok({hundred * 100, hundred * 100 + 99});
  }
  // Range: "200-399".
  if (auto dash = text.find('-'); dash != std::string_view::npos) {
    auto low = ParseUnsigned(Trim(text.substr(0, dash), " "));
    auto high = ParseUnsigned(Trim(text.substr(dash + 1), " "));
    if (!low || !high) return Parsed<StatusRange>::Fail(generic);
    for (auto code : {*low, *high}) {
      if (auto error = check_code(code); !error.empty()) return Parsed<StatusRange>::Fail(error);
    }
    if (*low > *high) {
      return Parsed<StatusRange>::Fail("invalid status range " + Quote(text) + ": " +
                                       std::to_string(*low) + " is greater than " +
                                       std::to_string(*high));
    }
    return Parsed<StatusRange>::Ok({static_cast<int>(*low), static_cast<int>(*high)});
  }
  // Single code: "200".
  auto code = ParseUnsigned(text);
  if (!code) return Parsed<StatusRange>::Fail(generic);
  if (auto error = check_code(*code); !error.empty()) return Parsed<StatusRange>::Fail(error);
  return Parsed<StatusRange>::Ok({static_cast<int>(*code), static_cast<int>(*code)});
}

std::optional<StatusMatcher> ParseStatusMatcher(std::string_view text) {
  std::vector<std::string> patterns;
  std::size_t start = 0;
  while (true) {
    std::size_t comma = text.find(',', start);
    patterns.emplace_back(text.substr(start, comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return ParseStatusMatcherList(patterns);
}

Parsed<StatusMatcher> ParseGrpcCodes(std::string_view text) {
  constexpr std::uint64_t kMaxCode = 99;  // what an ALB accepts; gRPC itself defines 0-16
  StatusMatcher matcher;
  matcher.ranges.clear();
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    const std::string_view part = Trim(text.substr(start, comma - start), " ");
    const std::size_t dash = part.find('-');
    const auto low = ParseUnsigned(Trim(part.substr(0, dash), " "));
    const auto high =
        dash == std::string_view::npos ? low : ParseUnsigned(Trim(part.substr(dash + 1), " "));
    if (!low || !high) {
      return Parsed<StatusMatcher>::Fail("invalid gRPC code pattern " + Quote(text) +
                                         ": expected a code (12), a range (0-5) or a list "
                                         "(\"0,12\")");
    }
    if (*low > kMaxCode || *high > kMaxCode) {
      return Parsed<StatusMatcher>::Fail("gRPC code " + std::to_string(std::max(*low, *high)) +
                                         " is outside 0-99");
    }
    if (*low > *high) return Parsed<StatusMatcher>::Fail("range " + Quote(part) + " is reversed");
    matcher.ranges.push_back({static_cast<int>(*low), static_cast<int>(*high)});
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return Parsed<StatusMatcher>::Ok(std::move(matcher));
}

std::optional<StatusMatcher> ParseStatusMatcherList(const std::vector<std::string>& patterns) {
  if (patterns.empty()) return std::nullopt;
  StatusMatcher matcher;
  matcher.ranges.clear();
  for (const auto& pattern : patterns) {
    auto range = ParseStatusPattern(pattern);
    if (!range.value) return std::nullopt;
    matcher.ranges.push_back(*range.value);
  }
  return matcher;
}

Parsed<std::string> NormalizeBaseUrl(std::string_view url) {
  auto fail = [&](std::string_view why) {
    return Parsed<std::string>::Fail("invalid URL " + Quote(url) + ": " + std::string(why));
  };
  if (url.empty()) return fail("empty");
  if (std::any_of(url.begin(), url.end(), IsSpaceOrControl)) {
    return fail("contains whitespace or control characters");
  }
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return fail("missing scheme, expected http:// or https://");
  }
  const std::string scheme = ToLower(url.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") {
    return fail("scheme \"" + std::string(url.substr(0, scheme_end)) +
                "\" is not supported, expected http or https");
  }
  std::string_view rest = url.substr(scheme_end + 3);
  if (rest.find('?') != std::string_view::npos) {
    return fail("must not contain a query; put query strings in sample paths");
  }
  if (rest.find('#') != std::string_view::npos) return fail("must not contain a fragment");
  const auto authority_end = rest.find('/');
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view prefix =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) {
    return fail("must not contain credentials; set them in the target's auth");
  }
  std::string_view host;
  std::optional<std::string_view> port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return fail("unterminated IPv6 address");
    host = authority.substr(1, close - 1);
    const bool ipv6_chars = std::all_of(host.begin(), host.end(), [](char c) {
      return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
    });
    if (host.empty() || !ipv6_chars) return fail("invalid IPv6 address");
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return fail("unexpected characters after IPv6 address");
      port = after.substr(1);
    }
  } else {
    const auto colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    if (host.empty()) return fail("missing host");
    const bool host_chars = std::all_of(host.begin(), host.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
    });
    if (!host_chars) return fail("invalid host \"" + std::string(host) + "\"");
  }
  if (port) {
    auto number = port->size() <= 5 ? ParseUnsigned(*port) : std::nullopt;
    if (!number || *number < 1 || *number > 65535) {
      return fail("invalid port \"" + std::string(*port) + "\", expected 1-65535");
    }
  }
  while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  return Parsed<std::string>::Ok(scheme + "://" + std::string(authority) + std::string(prefix));
}

std::string CheckRequestPath(std::string_view path) {
  if (path.empty() || path.front() != '/') {
    return "path " + Quote(path) + " must start with \"/\"";
  }
  if (std::any_of(path.begin(), path.end(), IsSpaceOrControl)) {
    return "path " + Quote(path) + " contains whitespace or control characters";
  }
  if (path.find('#') != std::string_view::npos) {
    return "path " + Quote(path) + " must not contain a fragment";
  }
  return "";
}

std::string CheckMethod(std::string_view method) {
  for (auto allowed : kAllowedMethods) {
    if (method == allowed) return "";
  }
  std::string list;
  for (auto allowed : kAllowedMethods) {
    if (!list.empty()) list += ", ";
    list += allowed;
  }
  return "unsupported method " + Quote(method) + ", expected one of " + list;
}

std::string CheckLabelName(std::string_view name) {
  const bool valid = !name.empty() && (IsAlpha(name[0]) || name[0] == '_') &&
                     std::all_of(name.begin(), name.end(),
                                 [](char c) { return IsAlpha(c) || IsDigit(c) || c == '_'; });
  if (!valid) {
    return "invalid label name " + Quote(name) + ", must match [a-zA-Z_][a-zA-Z0-9_]*";
  }
  if (name.starts_with("__")) {
    return "invalid label name " + Quote(name) +
           ", names starting with \"__\" are reserved for Prometheus";
  }
  for (auto reserved : kReservedLabelNames) {
    if (name == reserved) {
      return "label name " + Quote(name) + " is reserved, healthgap sets it on its own series";
    }
  }
  return "";
}

std::string CheckName(std::string_view name, std::string_view what) {
  if (name.empty()) return std::string(what) + " name must not be empty";
  const bool valid = std::all_of(name.begin(), name.end(), [](char c) {
    return IsAlpha(c) || IsDigit(c) || c == '_' || c == '.' || c == ':' || c == '-';
  });
  if (!valid) {
    return "invalid " + std::string(what) + " name " + Quote(name) +
           ", allowed characters are A-Z a-z 0-9 _ . : -";
  }
  return "";
}

std::string CheckHeader(std::string_view name, std::string_view value) {
  // RFC 9110 tchar.
  constexpr std::string_view kTokenPunctuation = "!#$%&'*+-.^_`|~";
  const bool valid_name = !name.empty() && std::all_of(name.begin(), name.end(), [&](char c) {
    return IsAlpha(c) || IsDigit(c) || kTokenPunctuation.find(c) != std::string_view::npos;
  });
  if (!valid_name) return "invalid header name " + Quote(name);
  if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    return "header " + Quote(name) + " value must not contain CR, LF or NUL";
  }
  return "";
}

std::string DeriveSampleName(std::string_view path) {
  path = path.substr(0, path.find('?'));
  std::string name;
  for (char c : path) {
    if (IsAlpha(c) || IsDigit(c) || c == '_') {
      name += c;
    } else if (!name.empty() && name.back() != '_') {
      name += '_';
    }
  }
  while (!name.empty() && name.back() == '_') name.pop_back();
  return name.empty() ? "root" : name;
}

}  // namespace healthgap::config
