#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/ring_buffer.h"
#include "eval/response.h"

namespace healthgap::eval {

// What one health response says about its own freshness. Extracted once per probe; cheap to
// keep a few of.
struct HealthResponseFacts {
  TimePoint at{};                                // when healthgap received it (monotonic)
  std::optional<std::int64_t> age_seconds;       // Age header
  std::optional<std::int64_t> max_age_seconds;   // Cache-Control max-age
  std::optional<std::int64_t> s_maxage_seconds;  // Cache-Control s-maxage
  bool cache_control_public = false;             // Cache-Control public
  bool cache_control_no_store = false;           // no-store or no-cache: asks not to cache
  bool cache_control_private = false;            // only the client may cache: not a shared cache
  std::string date_header;                       // raw (bounded), for evidence lines
  std::optional<std::chrono::sys_seconds> date;  // Date parsed as RFC 7231 IMF-fixdate
  std::string etag;                              // bounded
  std::string last_modified;                     // bounded
  std::uint64_t body_hash = 0;                   // StableHash of the body
  std::size_t body_bytes = 0;
  // A timestamp the body embeds (key timestamp/checked_at/time/..., ISO 8601 / RFC 3339 or
  // epoch seconds/millis), as the raw text (bounded) and parsed, when one was found.
  std::string body_timestamp_text;
  std::optional<std::chrono::sys_seconds> body_timestamp;
};

// Facts from one completed health response (no response: all empty but `at`). Pure; bounded
// work whatever the body size.
HealthResponseFacts FactsFrom(const Response& response, TimePoint at);

// Parses an RFC 7231 IMF-fixdate ("Tue, 24 Nov 2026 01:00:00 GMT"); nullopt otherwise.
std::optional<std::chrono::sys_seconds> ParseHttpDate(std::string_view text);
// Parses RFC 3339 / ISO 8601 date-time ("2026-11-24T01:00:00Z", "...+02:00", fractions);
// nullopt otherwise.
std::optional<std::chrono::sys_seconds> ParseIso8601(std::string_view text);

// The decisive cache signals, bounded: usable as a label value.
enum class CacheSignal {
  kAgeHeader,     // Age > 0 on the newest response
  kCacheControl,  // shared max-age / s-maxage at least the probe interval
  kDateStuck,     // Date header frozen across probes
  kBodyFrozen,    // byte-identical body whose embedded timestamp does not move
};

// "age_header", "cache_control", "date_stuck", "body_frozen".
std::string_view ToString(CacheSignal signal);

struct CacheEvidence {
  bool cached = false;
  // Human lines, most telling first, e.g. "Age: 3500 s", "Cache-Control max-age=3600",
  // "Date header stuck at Tue, 24 Nov 2026 01:00:00 GMT across 4 probes over 30 s". May be
  // non-empty while !cached (hints that are not proof on their own). Never labels.
  std::vector<std::string> evidence;
  // What made `cached` true, in the order of `evidence`; empty iff !cached.
  std::vector<CacheSignal> signals;
};

struct CacheDetectorOptions {
  // The health probe interval: a max-age at least this long means the LB may only ever see
  // cached answers.
  Duration probe_interval = std::chrono::seconds(10);
  // A stuck Date or body timestamp counts only across this many probes spanning this long.
  int min_probes = 3;
  Duration min_span = std::chrono::seconds(2);
  std::size_t history = 8;  // facts kept
};

// Decides whether a health endpoint's answers come from a cache, from successive facts.
// Pure; not thread-safe.
class CacheDetector {
 public:
  explicit CacheDetector(CacheDetectorOptions options = {});

  // Adds the newest facts (in probe order) and returns the evidence over the kept history.
  CacheEvidence Observe(const HealthResponseFacts& facts);
  // The evidence over the kept history, without adding anything.
  CacheEvidence Evaluate() const;
  void Reset() {
    history_.clear();
    newest_ = {};
  }

 private:
  // What a run compares of a response: its Date, ETag and body by hash, so the history keeps
  // 56 bytes per response instead of its headers' text (2.6 KB per check for 8 of nginx's).
  // Two different values count as one run only if their 64-bit hashes collide.
  struct Trace {
    TimePoint at{};
    std::optional<std::uint64_t> date;  // of the Date header's text; nullopt: none sent
    std::optional<std::uint64_t> etag;
    std::uint64_t body_hash = 0;
    std::size_t body_bytes = 0;
  };
  static Trace TraceOf(const HealthResponseFacts& facts);

  CacheDetectorOptions options_;
  RingBuffer<Trace> history_;   // oldest first, the newest response's last
  HealthResponseFacts newest_;  // the newest response whole: what the evidence lines quote
};

}  // namespace healthgap::eval
