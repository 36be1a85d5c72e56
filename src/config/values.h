#pragma once

// Parsers and validators for single configuration values (durations, sizes, status patterns,
// URLs, names). Pure functions, safe from any thread. The loader turns their messages into
// ConfigErrors; the CLI may use them directly.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace healthgap::config {

// A parsed value, or why the text is not one. Exactly one of the two is set.
template <typename T>
struct Parsed {
  std::optional<T> value;
  std::string error;  // e.g. `invalid duration "10": ...`; empty when value is set

  static Parsed Ok(T v) { return Parsed{std::move(v), {}}; }
  static Parsed Fail(std::string message) { return Parsed{std::nullopt, std::move(message)}; }
};

// Prometheus-style duration: units y w d h m s ms, each at most once, largest first
// ("1m30s"). Must be greater than zero.
Parsed<Millis> ParseDurationText(std::string_view text);
std::optional<Millis> ParseDuration(std::string_view text);

// Shortest Prometheus-style spelling: 1500ms -> "1s500ms", 90000ms -> "1m30s".
std::string FormatDuration(Millis duration);

// Byte size: plain integer bytes, or an integer with a KiB, MiB or GiB suffix ("64KiB").
Parsed<std::size_t> ParseByteSizeText(std::string_view text);

// One status pattern: a code ("200"), a class ("2xx") or an inclusive range ("200-399").
Parsed<StatusRange> ParseStatusPattern(std::string_view text);
// One pattern or several separated by commas ("200,201,3xx").
std::optional<StatusMatcher> ParseStatusMatcher(std::string_view text);
// gRPC status codes as an ALB's Matcher.GrpcCode takes them, 0-99: a code ("12"), a range
// ("0-5") or a comma-separated list of those ("0,12").
Parsed<StatusMatcher> ParseGrpcCodes(std::string_view text);
// Each element one pattern (as the YAML list form); at least one.
std::optional<StatusMatcher> ParseStatusMatcherList(const std::vector<std::string>& patterns);

// Checks a target URL (http or https, host, optional port and path prefix, no query, fragment
// or credentials) and returns it without trailing slashes.
Parsed<std::string> NormalizeBaseUrl(std::string_view url);

// Request path: starts with '/', no whitespace or fragment; a query string is allowed.
// Returns an empty string when valid, else the message.
std::string CheckRequestPath(std::string_view path);

// The HTTP methods healthgap sends.
inline constexpr std::string_view kAllowedMethods[] = {"GET",   "HEAD",   "POST",   "PUT",
                                                       "PATCH", "DELETE", "OPTIONS"};
std::string CheckMethod(std::string_view method);

// Label names healthgap puts on its own series; user labels may not reuse them.
// (The metrics collector drops any that slip through, so the list is the one place to add a
// label healthgap starts setting.)
inline constexpr std::string_view kReservedLabelNames[] = {
    "target", "sample",   "reason",  "verdict", "state", "phase",     "kind",
    "le",     "instance", "job",     "version", "check", "component", "status",
    "cause",  "lb",       "primary", "result",  "type",  "url",       "bound", "source"};
// Prometheus label name rules plus the reserved list above.
std::string CheckLabelName(std::string_view name);

// Target and sample names: non-empty, [A-Za-z0-9_.:-] only. `what` is "target" or "sample".
std::string CheckName(std::string_view name, std::string_view what);

// HTTP header name (RFC 9110 token) and value (no CR, LF or NUL).
std::string CheckHeader(std::string_view name, std::string_view value);

// Sample name derived from its path when none is given: "/api/data?x=1" -> "api_data",
// "/" -> "root".
std::string DeriveSampleName(std::string_view path);

}  // namespace healthgap::config
