#include "eval/cache_evidence.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <limits>
#include <utility>

#include "common/duration_text.h"
#include "common/enum_names.h"
#include "common/hash.h"
#include "common/strings.h"

namespace healthgap::eval {
namespace {

using std::chrono::sys_days;
using std::chrono::sys_seconds;

// Header values and body timestamps are kept only this long: they end up in evidence lines.
constexpr std::size_t kMaxKeptText = 64;
// The body timestamp scan stops here: timestamps sit near the top of health bodies, and the scan
// must cost the same on a 1 MiB body as on a small one.
constexpr std::size_t kTimestampScanBytes = 64 * 1024;

// Printable ASCII only, bounded: header values come from the probed server.
std::string Bounded(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, kMaxKeptText)) out += (c >= 0x20 && c < 0x7F) ? c : '?';
  return out;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Non-negative decimal, saturating; nullopt unless `text` is all digits.
std::optional<std::int64_t> ParseDeltaSeconds(std::string_view text) {
  text = Trim(text);
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
    text = text.substr(1, text.size() - 2);  // max-age="60": invalid but seen
  }
  if (text.empty()) return std::nullopt;
  std::int64_t value = 0;
  for (char c : text) {
    if (!IsDigit(c)) return std::nullopt;
    // RFC 9111: delta-seconds too large saturate at 2^31.
    value = std::min<std::int64_t>(value * 10 + (c - '0'), std::int64_t{1} << 31);
  }
  return value;
}

// Fixed-width decimal field, nullopt on a non-digit.
std::optional<int> Digits(std::string_view text, std::size_t pos, std::size_t count) {
  if (pos + count > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (!IsDigit(text[i])) return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

std::optional<sys_seconds> MakeTime(int year, int month, int day, int hour, int minute,
                                    int second) {
  const std::chrono::year_month_day date{std::chrono::year(year),
                                         std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(day))};
  // Leap second 60 is allowed by RFC 3339; it folds onto the next second.
  if (!date.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  return sys_days(date) + std::chrono::hours(hour) + std::chrono::minutes(minute) +
         std::chrono::seconds(second);
}

void SkipSpaces(std::string_view text, std::size_t& i) {
  while (i < text.size() &&
         (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n')) {
    ++i;
  }
}

// Keys under which health bodies embed the time they were produced.
bool IsTimestampKey(std::string_view key) {
  static constexpr std::array<std::string_view, 20> kKeys = {
      "timestamp",   "checked_at", "checkedat", "time",         "last_checked",
      "lastchecked", "updated_at", "updatedat", "generated_at", "generatedat",
      "now",         "date",       "datetime",  "current_time", "currenttime",
      "server_time", "servertime", "ts",        "checked",      "last_updated"};
  if (key.size() > 20) return false;
  return std::any_of(kKeys.begin(), kKeys.end(),
                     [&](std::string_view k) { return EqualsIgnoringCase(k, key); });
}

// Epoch seconds or milliseconds, told apart by magnitude: 1e9 s is 2001, 1e11 s is year 5138, so
// anything from 1e11 up is milliseconds.
std::optional<sys_seconds> FromEpoch(std::string_view digits) {
  if (digits.empty() || digits.size() > 15) return std::nullopt;
  std::int64_t value = 0;
  for (char c : digits) {
    if (!IsDigit(c)) return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value >= 100'000'000'000) value /= 1000;
  if (value < 1'000'000'000 || value >= 100'000'000'000) return std::nullopt;
  return sys_seconds(std::chrono::seconds(value));
}

struct BodyTimestamp {
  std::string text;
  std::optional<sys_seconds> value;
};

// Finds the first `"<timestamp key>": <time>` in the body's first kTimestampScanBytes, by a
// single pass over JSON string tokens (no parse: the body may be huge, broken or not JSON).
std::optional<BodyTimestamp> FindBodyTimestamp(std::string_view body) {
  body = body.substr(0, kTimestampScanBytes);
  std::size_t i = 0;
  while (i < body.size()) {
    if (body[i] != '"') {
      ++i;
      continue;
    }
    const std::size_t start = ++i;
    bool escaped = false;
    while (i < body.size() && (escaped || body[i] != '"')) {
      escaped = !escaped && body[i] == '\\';
      ++i;
    }
    if (i >= body.size()) return std::nullopt;
    const std::string_view key = body.substr(start, i - start);
    ++i;  // closing quote
    std::size_t j = i;
    SkipSpaces(body, j);
    if (j >= body.size() || body[j] != ':' || !IsTimestampKey(key)) continue;
    ++j;
    SkipSpaces(body, j);
    std::string_view value;
    std::optional<sys_seconds> parsed;
    if (j < body.size() && body[j] == '"') {
      const std::size_t end = body.find('"', j + 1);
      if (end == std::string_view::npos || end - j - 1 > kMaxKeptText) continue;
      value = body.substr(j + 1, end - j - 1);
      parsed = ParseIso8601(value);
      if (!parsed) parsed = ParseHttpDate(value);
      if (!parsed) parsed = FromEpoch(value);
    } else {
      std::size_t end = j;
      while (end < body.size() && end - j <= 20 && (IsDigit(body[end]) || body[end] == '.')) ++end;
      value = body.substr(j, end - j);
      parsed = FromEpoch(value.substr(0, value.find('.')));  // fractions of a second: dropped
    }
    if (parsed) return BodyTimestamp{Bounded(value), parsed};
  }
  return std::nullopt;
}

void ParseCacheControl(std::string_view value, HealthResponseFacts& facts) {
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    const std::string_view directive = Trim(value.substr(0, comma));
    value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
    const std::size_t equals = directive.find('=');
    const std::string_view name = Trim(directive.substr(0, equals));
    const std::string_view argument =
        equals == std::string_view::npos ? std::string_view() : directive.substr(equals + 1);
    if (EqualsIgnoringCase(name, "max-age")) {
      facts.max_age_seconds = ParseDeltaSeconds(argument);
    } else if (EqualsIgnoringCase(name, "s-maxage")) {
      facts.s_maxage_seconds = ParseDeltaSeconds(argument);
    } else if (EqualsIgnoringCase(name, "public")) {
      facts.cache_control_public = true;
    } else if (EqualsIgnoringCase(name, "private")) {
      facts.cache_control_private = true;
    } else if (EqualsIgnoringCase(name, "no-store") || EqualsIgnoringCase(name, "no-cache")) {
      facts.cache_control_no_store = true;
    }
  }
}

std::string Probes(std::size_t count, Duration span) {
  return std::to_string(count) + " probes over " + HumanDuration(span);
}

// The newest facts and how many before them share `key`, with the time they span.
template <typename Entry, typename Key>
std::pair<std::size_t, Duration> TrailingRun(const RingBuffer<Entry>& history, Key key) {
  const auto newest = key(history.back());
  if (!newest) return {0, Duration::zero()};
  std::size_t count = 0;
  for (auto it = history.rbegin(); it != history.rend() && key(*it) == newest; ++it) ++count;
  return {count, history.back().at - history[history.size() - count].at};
}

CacheDetectorOptions AtLeastTheMinimum(CacheDetectorOptions options) {
  options.history = std::max<std::size_t>(options.history, 1);
  options.min_probes = std::max(options.min_probes, 2);
  return options;
}

}  // namespace

constexpr std::array<EnumName<CacheSignal>, 4> kCacheSignalNames = {{
    {CacheSignal::kAgeHeader, "age_header"},
    {CacheSignal::kCacheControl, "cache_control"},
    {CacheSignal::kDateStuck, "date_stuck"},
    {CacheSignal::kBodyFrozen, "body_frozen"},
}};
static_assert(ListsValuesInOrder(kCacheSignalNames));

std::string_view ToString(CacheSignal signal) { return NameOf(kCacheSignalNames, signal); }

std::optional<sys_seconds> ParseHttpDate(std::string_view text) {
  text = Trim(text);
  // IMF-fixdate only ("Sun, 06 Nov 1994 08:49:37 GMT"): RFC 7231 makes it the one form senders
  // may generate; the two obsolete forms are left unparsed (still compared as text).
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  static constexpr std::array<std::string_view, 7> kDays = {"Mon", "Tue", "Wed", "Thu",
                                                            "Fri", "Sat", "Sun"};
  if (text.size() != 29 || text.substr(3, 2) != ", " || text[7] != ' ' || text[11] != ' ' ||
      text[16] != ' ' || text[19] != ':' || text[22] != ':' || text.substr(25) != " GMT") {
    return std::nullopt;
  }
  if (std::find(kDays.begin(), kDays.end(), text.substr(0, 3)) == kDays.end()) return std::nullopt;
  const auto month = std::find(kMonths.begin(), kMonths.end(), text.substr(8, 3));
  if (month == kMonths.end()) return std::nullopt;
  const auto day = Digits(text, 5, 2), year = Digits(text, 12, 4), hour = Digits(text, 17, 2),
             minute = Digits(text, 20, 2), second = Digits(text, 23, 2);
  if (!day || !year || !hour || !minute || !second) return std::nullopt;
  return MakeTime(*year, static_cast<int>(month - kMonths.begin()) + 1, *day, *hour, *minute,
                  *second);
}

std::optional<sys_seconds> ParseIso8601(std::string_view text) {
  text = Trim(text);
  // YYYY-MM-DD[T ]HH:MM:SS: seconds required, so a coarse "2026-11-24" or "...T01:00Z" (which
  // legitimately stays put for a day or a minute) never reads as a frozen clock.
  if (text.size() < 19 || text[4] != '-' || text[7] != '-' || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  const char separator = text[10];
  if (separator != 'T' && separator != 't' && separator != ' ') return std::nullopt;
  const auto year = Digits(text, 0, 4), month = Digits(text, 5, 2), day = Digits(text, 8, 2),
             hour = Digits(text, 11, 2), minute = Digits(text, 14, 2), second = Digits(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  std::size_t i = 19;
  if (i < text.size() && (text[i] == '.' || text[i] == ',')) {
    ++i;
    const std::size_t digits_start = i;
    while (i < text.size() && IsDigit(text[i])) ++i;
    if (i == digits_start) return std::nullopt;
  }
  std::chrono::minutes offset{0};
  if (i < text.size()) {
    const std::string_view zone = text.substr(i);
    if (zone == "Z" || zone == "z") {
      // UTC
    } else if (zone.front() == '+' || zone.front() == '-') {
      const auto zone_hour = Digits(zone, 1, 2);
      std::optional<int> zone_minute;
      if (zone.size() == 6 && zone[3] == ':') zone_minute = Digits(zone, 4, 2);
      if (zone.size() == 5) zone_minute = Digits(zone, 3, 2);
      if (zone.size() == 3) zone_minute = 0;
      if (!zone_hour || !zone_minute || *zone_hour > 23 || *zone_minute > 59) return std::nullopt;
      offset = std::chrono::hours(*zone_hour) + std::chrono::minutes(*zone_minute);
      if (zone.front() == '-') offset = -offset;
    } else {
      return std::nullopt;
    }
  }
  const auto local = MakeTime(*year, *month, *day, *hour, *minute, *second);
  if (!local) return std::nullopt;
  return *local - offset;
}

HealthResponseFacts FactsFrom(const Response& response, TimePoint at) {
  HealthResponseFacts facts;
  facts.at = at;
  if (response.transport_failure != std::nullopt && response.status_code == 0) return facts;
  for (const auto& [raw_name, value] : response.headers) {
    const std::string_view name = raw_name;
    if (EqualsIgnoringCase(name, "age")) {
      facts.age_seconds = ParseDeltaSeconds(value);
    } else if (EqualsIgnoringCase(name, "cache-control")) {
      ParseCacheControl(value, facts);
    } else if (EqualsIgnoringCase(name, "date")) {
      facts.date_header = Bounded(Trim(value));
      facts.date = ParseHttpDate(value);
    } else if (EqualsIgnoringCase(name, "etag")) {
      facts.etag = Bounded(Trim(value));
    } else if (EqualsIgnoringCase(name, "last-modified")) {
      facts.last_modified = Bounded(Trim(value));
    }
  }
  facts.body_hash = StableHash(response.body);
  facts.body_bytes = response.body.size();
  if (auto timestamp = FindBodyTimestamp(response.body)) {
    facts.body_timestamp_text = std::move(timestamp->text);
    facts.body_timestamp = timestamp->value;
  }
  return facts;
}

CacheDetector::CacheDetector(CacheDetectorOptions options)
    : options_(AtLeastTheMinimum(options)), history_(options_.history) {}

CacheDetector::Trace CacheDetector::TraceOf(const HealthResponseFacts& facts) {
  const auto hash = [](const std::string& text) {
    return text.empty() ? std::optional<std::uint64_t>() : StableHash(text);
  };
  return Trace{.at = facts.at,
               .date = hash(facts.date_header),
               .etag = hash(facts.etag),
               .body_hash = facts.body_hash,
               .body_bytes = facts.body_bytes};
}

CacheEvidence CacheDetector::Observe(const HealthResponseFacts& facts) {
  while (history_.size() >= options_.history) history_.pop_front();
  history_.push_back(TraceOf(facts));
  newest_ = facts;
  return Evaluate();
}

CacheEvidence CacheDetector::Evaluate() const {
  CacheEvidence result;
  if (history_.empty()) return result;
  const HealthResponseFacts& newest = newest_;
  const auto min_probes = static_cast<std::size_t>(options_.min_probes);
  const auto long_enough = [&](std::pair<std::size_t, Duration> run) {
    return run.first >= min_probes && run.second >= options_.min_span;
  };

  // Only a cache sends Age (RFC 9111 5.1); Age 0 is a cache that just fetched from the origin.
  if (newest.age_seconds && *newest.age_seconds > 0) {
    result.cached = true;
    result.signals.push_back(CacheSignal::kAgeHeader);
    result.evidence.push_back("Age: " + std::to_string(*newest.age_seconds) + " s");
  }

  // Permission to cache for at least a probe interval: a shared cache in the path may then answer
  // every probe. private / no-store / no-cache keep shared caches out.
  const std::optional<std::int64_t> shared_max_age =
      newest.s_maxage_seconds ? newest.s_maxage_seconds : newest.max_age_seconds;
  if (shared_max_age && *shared_max_age > 0 && !newest.cache_control_no_store &&
      !newest.cache_control_private) {
    const char* directive = newest.s_maxage_seconds ? "s-maxage" : "max-age";
    std::string line =
        std::string("Cache-Control ") + directive + "=" + std::to_string(*shared_max_age);
    if (newest.cache_control_public) line += ", public";
    if (std::chrono::seconds(*shared_max_age) >= options_.probe_interval) {
      result.cached = true;
      result.signals.push_back(CacheSignal::kCacheControl);
      result.evidence.push_back(std::move(line));
    } else {
      result.evidence.push_back(line + " (shorter than the " +
                                HumanDuration(options_.probe_interval) +
                                " probe interval: not proof on its own)");
    }
  }

  // The origin stamps Date when it generates a response and caches replay it (with Age). A fresh
  // Date has 1 s resolution, so across >= 2 s it must have moved at least once.
  const auto date_run = TrailingRun(history_, [](const Trace& f) { return f.date; });
  if (long_enough(date_run)) {
    result.cached = true;
    result.signals.push_back(CacheSignal::kDateStuck);
    result.evidence.push_back("Date header stuck at " + newest.date_header + " across " +
                              Probes(date_run.first, date_run.second));
  }

  // Same bytes, timestamp included: whatever produced the body did not run again.
  const auto body_run = TrailingRun(history_, [](const Trace& f) {
    return f.body_bytes == 0 ? std::optional<std::pair<std::uint64_t, std::size_t>>()
                             : std::make_pair(f.body_hash, f.body_bytes);
  });
  if (long_enough(body_run) && !newest.body_timestamp_text.empty()) {
    result.cached = true;
    result.signals.push_back(CacheSignal::kBodyFrozen);
    result.evidence.push_back(
        "body byte-identical across " + Probes(body_run.first, body_run.second) +
        " with embedded timestamp " + newest.body_timestamp_text + " not advancing");
  } else if (result.cached && long_enough(body_run)) {
    // A static {"status": "ok"} is identical every time: supporting detail only.
    result.evidence.push_back("body byte-identical across " +
                              Probes(body_run.first, body_run.second));
  }

  if (result.cached && !newest.etag.empty()) {
    const auto etag_run = TrailingRun(history_, [](const Trace& f) { return f.etag; });
    if (etag_run.first >= min_probes) {
      result.evidence.push_back("ETag " + newest.etag + " unchanged across " +
                                std::to_string(etag_run.first) + " probes");
    }
  }
  return result;
}

}  // namespace healthgap::eval
