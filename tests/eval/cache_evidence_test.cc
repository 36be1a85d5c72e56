#include "eval/cache_evidence.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"

namespace healthgap::eval {
namespace {

using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A response the test owns; eval reads it through a view, valid while this lives.
struct OwnedResponse {
  std::optional<FailureReason> transport_failure;
  int status_code = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  operator Response() const {  // NOLINT(google-explicit-constructor): as eval reads it
    return Response{transport_failure, status_code, Duration{0}, headers, body};
  }
};

OwnedResponse Answer(std::vector<std::pair<std::string, std::string>> headers,
                     std::string body = R"({"status": "ok"})") {
  return OwnedResponse{std::nullopt, 200, std::move(headers), std::move(body)};
}

std::chrono::sys_seconds Utc(int y, unsigned m, unsigned d, int hh, int mm, int ss) {
  return std::chrono::sys_days(std::chrono::year(y) / m / d) + std::chrono::hours(hh) +
         std::chrono::minutes(mm) + seconds(ss);
}

// An HTTP date `offset` seconds after Tue, 24 Nov 2026 01:00:00 GMT.
std::string HttpDate(int offset) {
  char buffer[40];
  const int s = offset % 60, m = offset / 60 % 60;
  std::snprintf(buffer, sizeof buffer, "Tue, 24 Nov 2026 01:%02d:%02d GMT", m, s);
  return buffer;
}

TEST(ParseHttpDateTest, Table) {
  EXPECT_EQ(ParseHttpDate("Tue, 24 Nov 2026 01:00:00 GMT"), Utc(2026, 11, 24, 1, 0, 0));
  EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), Utc(1994, 11, 6, 8, 49, 37));
  EXPECT_EQ(ParseHttpDate(" Thu, 29 Feb 2024 23:59:59 GMT "), Utc(2024, 2, 29, 23, 59, 59));
  EXPECT_EQ(ParseHttpDate("Fri, 29 Feb 2025 00:00:00 GMT"), std::nullopt);   // not a leap year
  EXPECT_EQ(ParseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), std::nullopt);  // obsolete RFC 850
  EXPECT_EQ(ParseHttpDate("Sun Nov  6 08:49:37 1994"), std::nullopt);        // asctime
  EXPECT_EQ(ParseHttpDate("Tue, 24 Foo 2026 01:00:00 GMT"), std::nullopt);
  EXPECT_EQ(ParseHttpDate("Tue, 24 Nov 2026 25:00:00 GMT"), std::nullopt);
  EXPECT_EQ(ParseHttpDate("Tue, 24 Nov 2026 01:00:00 UTC"), std::nullopt);
  EXPECT_EQ(ParseHttpDate(""), std::nullopt);
}

TEST(ParseIso8601Test, Table) {
  EXPECT_EQ(ParseIso8601("2026-11-24T01:00:00Z"), Utc(2026, 11, 24, 1, 0, 0));
  EXPECT_EQ(ParseIso8601("2026-11-24t01:00:00.123456z"), Utc(2026, 11, 24, 1, 0, 0));
  EXPECT_EQ(ParseIso8601("2026-11-24T03:00:00+02:00"), Utc(2026, 11, 24, 1, 0, 0));
  EXPECT_EQ(ParseIso8601("2026-11-23T20:00:00-0500"), Utc(2026, 11, 24, 1, 0, 0));
  EXPECT_EQ(ParseIso8601("2026-11-24 01:00:00"), Utc(2026, 11, 24, 1, 0, 0));  // no zone: UTC
  EXPECT_EQ(ParseIso8601("2026-11-24"), std::nullopt);                         // no time of day
  EXPECT_EQ(ParseIso8601("2026-11-24T01:00Z"), std::nullopt);                  // no seconds
  EXPECT_EQ(ParseIso8601("2026-13-24T01:00:00Z"), std::nullopt);
  EXPECT_EQ(ParseIso8601("2026-11-24T01:00:00Q"), std::nullopt);
  EXPECT_EQ(ParseIso8601("2026-11-24T01:00:00."), std::nullopt);
}

TEST(FactsFromTest, HeadersAreExtracted) {
  const auto facts = FactsFrom(Answer({{"age", "3500"},
                                       {"cache-control", "public, max-age=3600, s-maxage=\"60\""},
                                       {"date", "Tue, 24 Nov 2026 01:00:00 GMT"},
                                       {"etag", "\"abc\""},
                                       {"last-modified", "Mon, 23 Nov 2026 01:00:00 GMT"}}),
                               TimePoint{} + seconds(7));
  EXPECT_EQ(facts.at, TimePoint{} + seconds(7));
  EXPECT_EQ(facts.age_seconds, 3500);
  EXPECT_EQ(facts.max_age_seconds, 3600);
  EXPECT_EQ(facts.s_maxage_seconds, 60);
  EXPECT_TRUE(facts.cache_control_public);
  EXPECT_FALSE(facts.cache_control_no_store);
  EXPECT_EQ(facts.date_header, "Tue, 24 Nov 2026 01:00:00 GMT");
  EXPECT_EQ(facts.date, Utc(2026, 11, 24, 1, 0, 0));
  EXPECT_EQ(facts.etag, "\"abc\"");
  EXPECT_EQ(facts.last_modified, "Mon, 23 Nov 2026 01:00:00 GMT");
  EXPECT_EQ(facts.body_bytes, 16u);
  EXPECT_NE(facts.body_hash, 0u);
}

TEST(FactsFromTest, HostileHeadersAreBounded) {
  const auto facts = FactsFrom(Answer({{"age", "-5"},
                                       {"cache-control", "max-age=99999999999999999999, no-store"},
                                       {"date", std::string(10'000, '\x01')}}),
                               TimePoint{});
  EXPECT_EQ(facts.age_seconds, std::nullopt);
  EXPECT_EQ(facts.max_age_seconds, std::int64_t{1} << 31);  // saturates, RFC 9111
  EXPECT_TRUE(facts.cache_control_no_store);
  EXPECT_EQ(facts.date_header, std::string(64, '?'));
  EXPECT_EQ(facts.date, std::nullopt);
}

TEST(FactsFromTest, NoResponseMeansNoFacts) {
  Response result;
  result.transport_failure = FailureReason::kTimeout;
  const auto facts = FactsFrom(result, TimePoint{});
  EXPECT_EQ(facts.body_bytes, 0u);
  EXPECT_TRUE(facts.date_header.empty());
}

struct TimestampCase {
  std::string name;
  std::string body;
  std::string text;  // empty: none found
  std::optional<std::chrono::sys_seconds> value;
};

// Names the case in test listings instead of dumping its bytes.
void PrintTo(const TimestampCase& c, std::ostream* out) { *out << c.name; }

class BodyTimestampTest : public ::testing::TestWithParam<TimestampCase> {};

TEST_P(BodyTimestampTest, Finds) {
  const auto facts = FactsFrom(Answer({}, GetParam().body), TimePoint{});
  EXPECT_EQ(facts.body_timestamp_text, GetParam().text);
  EXPECT_EQ(facts.body_timestamp, GetParam().value);
}

INSTANTIATE_TEST_SUITE_P(
    Bodies, BodyTimestampTest,
    ::testing::Values(
        TimestampCase{"iso", R"({"status":"ok","timestamp":"2026-11-24T01:00:00Z"})",
                      "2026-11-24T01:00:00Z", Utc(2026, 11, 24, 1, 0, 0)},
        TimestampCase{"checked_at_offset", R"({"checked_at" : "2026-11-24T02:00:00+01:00"})",
                      "2026-11-24T02:00:00+01:00", Utc(2026, 11, 24, 1, 0, 0)},
        TimestampCase{"epoch_seconds", R"({"time": 1795482000})", "1795482000",
                      Utc(2026, 11, 24, 1, 0, 0)},
        TimestampCase{"epoch_seconds_fraction", R"({"ts": 1795482000.25})", "1795482000.25",
                      Utc(2026, 11, 24, 1, 0, 0)},
        TimestampCase{"epoch_millis", R"({"checkedAt": 1795482000123})", "1795482000123",
                      Utc(2026, 11, 24, 1, 0, 0)},
        TimestampCase{"epoch_string", R"({"timestamp": "1795482000"})", "1795482000",
                      Utc(2026, 11, 24, 1, 0, 0)},
        TimestampCase{"ietf_check_time",
                      R"({"status":"pass","checks":{"db":[{"status":"pass",)"
                      R"("time":"2026-11-24T01:00:00Z"}]}})",
                      "2026-11-24T01:00:00Z", Utc(2026, 11, 24, 1, 0, 0)},
        // A key as a value, small numbers and day-only dates are not timestamps.
        TimestampCase{"key_as_value", R"({"name": "timestamp", "uptime": 5})", "", std::nullopt},
        TimestampCase{"small_number", R"({"time": 12})", "", std::nullopt},
        TimestampCase{"date_only", R"({"date": "2026-11-24"})", "", std::nullopt},
        TimestampCase{"escaped_quotes", R"({"msg": "say \"time\": 1795482000"})", "", std::nullopt},
        TimestampCase{"not_json", "timestamp=1795482000", "", std::nullopt},
        TimestampCase{"unterminated", R"({"timestamp)", "", std::nullopt}),
    [](const auto& info) { return info.param.name; });

TEST(FactsFromTest, TimestampScanIsBounded) {
  // Past the first 64 KiB the scan stops: a 1 MiB body costs what a 64 KiB one does.
  const std::string body =
      R"({"pad": ")" + std::string(70'000, 'x') + R"(", "timestamp": "2026-11-24T01:00:00Z"})";
  EXPECT_TRUE(FactsFrom(Answer({}, body), TimePoint{}).body_timestamp_text.empty());
}

// Probes a sequence of responses, one per interval, with a FakeClock.
class CacheDetectorTest : public ::testing::Test {
 protected:
  CacheEvidence Probe(std::vector<std::pair<std::string, std::string>> headers,
                      std::string body = R"({"status": "ok"})") {
    CacheEvidence evidence =
        detector_.Observe(FactsFrom(Answer(std::move(headers), std::move(body)), clock_.Now()));
    clock_.Advance(interval_);
    return evidence;
  }

  FakeClock clock_;
  Duration interval_ = seconds(10);
  CacheDetector detector_{CacheDetectorOptions{.probe_interval = seconds(10)}};
};

TEST_F(CacheDetectorTest, MovingDateIsNotCached) {
  for (int i = 0; i < 6; ++i) {
    const CacheEvidence evidence = Probe({{"date", HttpDate(i * 10)}});
    EXPECT_FALSE(evidence.cached);
    EXPECT_THAT(evidence.evidence, IsEmpty());
  }
}

TEST_F(CacheDetectorTest, StuckDateIsCachedFromTheThirdProbe) {
  EXPECT_FALSE(Probe({{"date", HttpDate(0)}}).cached);
  EXPECT_FALSE(Probe({{"date", HttpDate(0)}}).cached);
  EXPECT_THAT(Probe({{"date", HttpDate(0)}}).evidence,
              ElementsAre("Date header stuck at Tue, 24 Nov 2026 01:00:00 GMT across 3 probes "
                          "over 20 s",
                          "body byte-identical across 3 probes over 20 s"));
  const CacheEvidence evidence = Probe({{"date", HttpDate(0)}});
  EXPECT_TRUE(evidence.cached);
  EXPECT_THAT(evidence.evidence,
              ElementsAre("Date header stuck at Tue, 24 Nov 2026 01:00:00 GMT across 4 probes "
                          "over 30 s",
                          "body byte-identical across 4 probes over 30 s"));
}

TEST_F(CacheDetectorTest, StuckDateRecoversWhenItMovesAgain) {
  for (int i = 0; i < 4; ++i) Probe({{"date", HttpDate(0)}});
  EXPECT_FALSE(Probe({{"date", HttpDate(40)}}).cached);
}

TEST_F(CacheDetectorTest, StuckDateNeedsTwoSecondsNotJustThreeProbes) {
  // Three probes within one second share a Date legitimately.
  interval_ = std::chrono::milliseconds(500);
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(Probe({{"date", HttpDate(0)}}).cached) << i;
  EXPECT_TRUE(Probe({{"date", HttpDate(0)}}).cached);  // 5 probes over exactly 2 s
}

TEST_F(CacheDetectorTest, FailedProbeBreaksTheRun) {
  Probe({{"date", HttpDate(0)}});
  Probe({{"date", HttpDate(0)}});
  Response timeout;
  timeout.transport_failure = FailureReason::kTimeout;
  detector_.Observe(FactsFrom(timeout, clock_.Now()));
  clock_.Advance(interval_);
  EXPECT_FALSE(Probe({{"date", HttpDate(0)}}).cached);
}

TEST_F(CacheDetectorTest, AgeHeaderIsCachedAtOnce) {
  const CacheEvidence evidence = Probe({{"age", "3500"}, {"date", HttpDate(0)}});
  EXPECT_TRUE(evidence.cached);
  EXPECT_THAT(evidence.evidence, ElementsAre("Age: 3500 s"));
}

TEST_F(CacheDetectorTest, AgeZeroIsAFreshFetch) { EXPECT_FALSE(Probe({{"age", "0"}}).cached); }

struct CacheControlCase {
  std::string name;
  std::string value;
  bool cached;
  std::vector<std::string> evidence;
};

// Names the case in test listings instead of dumping its bytes.
void PrintTo(const CacheControlCase& c, std::ostream* out) { *out << c.name; }

class CacheControlTest : public ::testing::TestWithParam<CacheControlCase> {};

TEST_P(CacheControlTest, Judges) {
  CacheDetector detector(CacheDetectorOptions{.probe_interval = seconds(10)});
  const CacheEvidence evidence =
      detector.Observe(FactsFrom(Answer({{"cache-control", GetParam().value}}), TimePoint{}));
  EXPECT_EQ(evidence.cached, GetParam().cached);
  EXPECT_EQ(evidence.evidence, GetParam().evidence);
}

INSTANTIATE_TEST_SUITE_P(
    Headers, CacheControlTest,
    ::testing::Values(
        CacheControlCase{"long_max_age", "max-age=3600", true, {"Cache-Control max-age=3600"}},
        CacheControlCase{
            "at_interval", "public, max-age=10", true, {"Cache-Control max-age=10, public"}},
        CacheControlCase{
            "s_maxage_wins", "max-age=0, s-maxage=300", true, {"Cache-Control s-maxage=300"}},
        CacheControlCase{"short_is_a_hint",
                         "max-age=9",
                         false,
                         {"Cache-Control max-age=9 (shorter than the 10 s probe interval: not "
                          "proof on its own)"}},
        CacheControlCase{"zero", "max-age=0", false, {}},
        CacheControlCase{"no_store", "no-store, max-age=3600", false, {}},
        CacheControlCase{"no_cache", "no-cache", false, {}},
        CacheControlCase{"private", "private, max-age=3600", false, {}},
        CacheControlCase{"garbage", "max-age=abc, ,,=", false, {}},
        CacheControlCase{"case_insensitive", "MAX-AGE=60", true, {"Cache-Control max-age=60"}}),
    [](const auto& info) { return info.param.name; });

TEST_F(CacheDetectorTest, IdenticalBodyWithStuckTimestampIsCached) {
  const std::string body = R"({"status":"ok","timestamp":"2026-11-24T01:00:00Z"})";
  EXPECT_FALSE(Probe({}, body).cached);
  EXPECT_FALSE(Probe({}, body).cached);
  const CacheEvidence evidence = Probe({}, body);
  EXPECT_TRUE(evidence.cached);
  EXPECT_THAT(evidence.evidence,
              ElementsAre("body byte-identical across 3 probes over 20 s with embedded timestamp "
                          "2026-11-24T01:00:00Z not advancing"));
}

TEST_F(CacheDetectorTest, MovingTimestampIsNotCached) {
  for (int i = 0; i < 5; ++i) {
    const std::string body =
        R"({"status":"ok","timestamp":)" + std::to_string(1795482000 + i * 10) + "}";
    EXPECT_FALSE(Probe({{"date", HttpDate(i * 10)}}, body).cached) << i;
  }
}

TEST_F(CacheDetectorTest, IdenticalBodyWithoutTimestampIsNotEnoughAlone) {
  for (int i = 0; i < 6; ++i) {
    const CacheEvidence evidence = Probe({{"date", HttpDate(i * 10)}}, R"({"status":"ok"})");
    EXPECT_FALSE(evidence.cached);
    EXPECT_THAT(evidence.evidence, IsEmpty());
  }
}

TEST_F(CacheDetectorTest, IdenticalBodyAndEtagSupportOtherEvidence) {
  for (int i = 0; i < 2; ++i) Probe({{"date", HttpDate(0)}, {"etag", "\"v1\""}});
  const CacheEvidence evidence = Probe({{"date", HttpDate(0)}, {"etag", "\"v1\""}});
  EXPECT_TRUE(evidence.cached);
  EXPECT_THAT(evidence.evidence,
              ElementsAre("Date header stuck at Tue, 24 Nov 2026 01:00:00 GMT across 3 probes "
                          "over 20 s",
                          "body byte-identical across 3 probes over 20 s",
                          "ETag \"v1\" unchanged across 3 probes"));
}

TEST_F(CacheDetectorTest, EverySignalAtOnce) {
  const std::string body = R"({"status":"ok","checked_at":"2026-11-24T01:00:00Z"})";
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"age", "120"}, {"cache-control", "public, max-age=3600"}, {"date", HttpDate(0)}};
  Probe(headers, body);
  Probe(headers, body);
  const CacheEvidence evidence = Probe(headers, body);
  EXPECT_TRUE(evidence.cached);
  EXPECT_EQ(evidence.evidence.size(), 4u);
  std::vector<std::string_view> signals;
  for (CacheSignal signal : evidence.signals) signals.push_back(ToString(signal));
  EXPECT_THAT(signals, ElementsAre("age_header", "cache_control", "date_stuck", "body_frozen"));
}

TEST_F(CacheDetectorTest, HintsCarryNoSignal) {
  const CacheEvidence evidence = Probe({{"cache-control", "max-age=5"}});
  EXPECT_FALSE(evidence.cached);
  EXPECT_EQ(evidence.evidence.size(), 1u);
  EXPECT_THAT(evidence.signals, IsEmpty());
}

TEST_F(CacheDetectorTest, HistoryIsBoundedAndResettable) {
  for (int i = 0; i < 100; ++i) Probe({{"date", HttpDate(0)}});
  const CacheEvidence evidence = detector_.Evaluate();
  EXPECT_TRUE(evidence.cached);
  // The run reported never exceeds the kept history (8 by default).
  EXPECT_THAT(evidence.evidence[0], ::testing::HasSubstr("across 8 probes over 70 s"));
  detector_.Reset();
  EXPECT_FALSE(detector_.Evaluate().cached);
}

}  // namespace
}  // namespace healthgap::eval
