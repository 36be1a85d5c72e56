#include "config/values.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace healthgap::config {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

struct DurationCase {
  std::string text;
  std::optional<Millis> expected;
};

TEST(ParseDurationTest, Table) {
  const std::vector<DurationCase> cases = {
      {"500ms", Millis(500)},
      {"10s", seconds(10)},
      {"2m", minutes(2)},
      {"1h", hours(1)},
      {"1m30s", seconds(90)},
      {"1h2m3s4ms", hours(1) + minutes(2) + seconds(3) + Millis(4)},
      {"1d", hours(24)},
      {"1w", hours(24 * 7)},
      {"1y", hours(24 * 365)},
      {"90s", seconds(90)},  // a unit need not be normalised
      {"0s1ms", Millis(1)},
      // Rejected.
      {"", std::nullopt},
      {"0s", std::nullopt},
      {"0", std::nullopt},
      {"10", std::nullopt},
      {"s", std::nullopt},
      {"-5s", std::nullopt},
      {"1.5s", std::nullopt},
      {"5 s", std::nullopt},
      {" 5s", std::nullopt},
      {"5sec", std::nullopt},
      {"30s1m", std::nullopt},  // largest unit first
      {"1m1m", std::nullopt},   // each unit once
      {"5S", std::nullopt},
      {"99999999999999999999s", std::nullopt},
      {"999999999y", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ParseDuration(c.text), c.expected) << "input: \"" << c.text << "\"";
  }
}

TEST(ParseDurationTest, MessagesSayWhatIsWrong) {
  EXPECT_EQ(ParseDurationText("10").error, "invalid duration \"10\": missing unit, e.g. 10s");
  EXPECT_EQ(ParseDurationText("0s").error, "invalid duration \"0s\": must be greater than 0");
  EXPECT_EQ(ParseDurationText("ten").error,
            "invalid duration \"ten\": expected e.g. 500ms, 10s, 2m or 1m30s");
  EXPECT_EQ(ParseDurationText("10s").error, "");
}

TEST(FormatDurationTest, ShortestSpellingRoundTrips) {
  EXPECT_EQ(FormatDuration(Millis(0)), "0s");
  EXPECT_EQ(FormatDuration(Millis(500)), "500ms");
  EXPECT_EQ(FormatDuration(Millis(1500)), "1s500ms");
  EXPECT_EQ(FormatDuration(seconds(90)), "1m30s");
  EXPECT_EQ(FormatDuration(hours(25)), "1d1h");
  for (const char* text : {"500ms", "1m30s", "2h", "1w1d", "1y"}) {
    EXPECT_EQ(FormatDuration(*ParseDuration(text)), text);
  }
}

struct StatusCase {
  std::string text;
  std::optional<std::vector<StatusRange>> expected;
};

TEST(ParseStatusMatcherTest, Table) {
  const std::vector<StatusCase> cases = {
      {"200", std::vector<StatusRange>{{200, 200}}},
      {"2xx", std::vector<StatusRange>{{200, 299}}},
      {"5XX", std::vector<StatusRange>{{500, 599}}},
      {"200-399", std::vector<StatusRange>{{200, 399}}},
      {"100-599", std::vector<StatusRange>{{100, 599}}},
      {"204-204", std::vector<StatusRange>{{204, 204}}},
      {"200,201,3xx", std::vector<StatusRange>{{200, 200}, {201, 201}, {300, 399}}},
      {"200, 404", std::vector<StatusRange>{{200, 200}, {404, 404}}},
      // Rejected.
      {"", std::nullopt},
      {"99", std::nullopt},
      {"600", std::nullopt},
      {"0", std::nullopt},
      {"6xx", std::nullopt},
      {"0xx", std::nullopt},
      {"2x", std::nullopt},
      {"ok", std::nullopt},
      {"399-200", std::nullopt},
      {"200-", std::nullopt},
      {"-200", std::nullopt},
      {"200-700", std::nullopt},
      {"200,", std::nullopt},
      {"2xx-3xx", std::nullopt},
      {"+200", std::nullopt},
  };
  for (const auto& c : cases) {
    auto matcher = ParseStatusMatcher(c.text);
    if (c.expected) {
      ASSERT_TRUE(matcher.has_value()) << "input: \"" << c.text << "\"";
      EXPECT_EQ(matcher->ranges, *c.expected) << "input: \"" << c.text << "\"";
    } else {
      EXPECT_FALSE(matcher.has_value()) << "input: \"" << c.text << "\"";
    }
  }
}

TEST(ParseStatusMatcherTest, ListForm) {
  auto matcher = ParseStatusMatcherList({"200", "3xx", "404-410"});
  ASSERT_TRUE(matcher.has_value());
  EXPECT_TRUE(matcher->Matches(200));
  EXPECT_FALSE(matcher->Matches(201));
  EXPECT_TRUE(matcher->Matches(302));
  EXPECT_TRUE(matcher->Matches(410));
  EXPECT_FALSE(matcher->Matches(500));
  EXPECT_FALSE(ParseStatusMatcherList({}).has_value());
  EXPECT_FALSE(ParseStatusMatcherList({"200", "nope"}).has_value());
}

TEST(ParseStatusPatternTest, Messages) {
  EXPECT_EQ(ParseStatusPattern("600").error, "status code 600 is outside 100-599");
  EXPECT_EQ(ParseStatusPattern("300-200").error,
            "invalid status range \"300-200\": 300 is greater than 200");
  EXPECT_EQ(ParseStatusPattern("7xx").error, "invalid status class \"7xx\": expected 1xx to 5xx");
  EXPECT_EQ(ParseStatusPattern("abc").error,
            "invalid status pattern \"abc\": expected a code (200), a class (2xx) or a range "
            "(200-399)");
}

TEST(ParseByteSizeTest, Table) {
  EXPECT_EQ(ParseByteSizeText("1024").value, 1024u);
  EXPECT_EQ(ParseByteSizeText("64KiB").value, 64u * 1024);
  EXPECT_EQ(ParseByteSizeText("1MiB").value, 1u << 20);
  EXPECT_EQ(ParseByteSizeText("1GiB").value, 1u << 30);
  for (const char* bad :
       {"", "KiB", "1KB", "1 KiB", "1.5MiB", "-1", "1kib", "99999999999999999999"}) {
    EXPECT_FALSE(ParseByteSizeText(bad).value.has_value()) << bad;
  }
}

struct UrlCase {
  std::string url;
  std::string normalized;  // empty: rejected
};

TEST(NormalizeBaseUrlTest, Table) {
  const std::vector<UrlCase> cases = {
      {"http://10.0.1.1:8080", "http://10.0.1.1:8080"},
      {"http://10.0.1.1:8080/", "http://10.0.1.1:8080"},
      {"https://api.example.com/v1//", "https://api.example.com/v1"},
      {"HTTP://host", "http://host"},
      {"http://[::1]:9000/app", "http://[::1]:9000/app"},
      {"http://localhost:1", "http://localhost:1"},
      {"http://localhost:65535", "http://localhost:65535"},
      // Rejected.
      {"", ""},
      {"10.0.1.1:8080", ""},
      {"ftp://host", ""},
      {"http://", ""},
      {"http:///path", ""},
      {"http://host:0", ""},
      {"http://host:65536", ""},
      {"http://host:", ""},
      {"http://host:http", ""},
      {"http://host/a?b=1", ""},
      {"http://host/#x", ""},
      {"http://user:pw@host", ""},
      {"http://ho st", ""},
      {"http://[::1", ""},
      {"http://[zz]", ""},
      {"http://a:b:c", ""},
  };
  for (const auto& c : cases) {
    auto parsed = NormalizeBaseUrl(c.url);
    if (c.normalized.empty()) {
      EXPECT_FALSE(parsed.value.has_value()) << c.url;
      EXPECT_FALSE(parsed.error.empty()) << c.url;
    } else {
      EXPECT_EQ(parsed.value, c.normalized) << c.url << ": " << parsed.error;
    }
  }
}

TEST(CheckRequestPathTest, Table) {
  EXPECT_EQ(CheckRequestPath("/"), "");
  EXPECT_EQ(CheckRequestPath("/api/search?q=1&x=2"), "");
  EXPECT_EQ(CheckRequestPath("api"), "path \"api\" must start with \"/\"");
  EXPECT_EQ(CheckRequestPath(""), "path \"\" must start with \"/\"");
  EXPECT_NE(CheckRequestPath("/a b"), "");
  EXPECT_NE(CheckRequestPath("/a#b"), "");
}

TEST(CheckMethodTest, AllowsExactlyTheDocumentedMethods) {
  for (const char* method : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
    EXPECT_EQ(CheckMethod(method), "") << method;
  }
  for (const char* method : {"get", "TRACE", "CONNECT", "", "FETCH"}) {
    EXPECT_NE(CheckMethod(method), "") << method;
  }
}

TEST(CheckLabelNameTest, Table) {
  for (const char* ok : {"team", "_private", "env2", "a_b_C"}) {
    EXPECT_EQ(CheckLabelName(ok), "") << ok;
  }
  for (const char* bad : {"", "1env", "team-name", "a.b", "__meta", "target", "sample", "reason",
                          "verdict", "state", "phase", "kind", "le", "instance", "job"}) {
    EXPECT_NE(CheckLabelName(bad), "") << bad;
  }
}

TEST(CheckNameTest, Table) {
  EXPECT_EQ(CheckName("checkout-eu_1.prod:8080", "target"), "");
  EXPECT_EQ(CheckName("", "target"), "target name must not be empty");
  EXPECT_EQ(CheckName("a/b", "sample"),
            "invalid sample name \"a/b\", allowed characters are A-Z a-z 0-9 _ . : -");
}

TEST(CheckHeaderTest, Table) {
  EXPECT_EQ(CheckHeader("Content-Type", "application/json"), "");
  EXPECT_EQ(CheckHeader("X-Custom_1", ""), "");
  EXPECT_NE(CheckHeader("", "x"), "");
  EXPECT_NE(CheckHeader("Bad Name", "x"), "");
  EXPECT_NE(CheckHeader("Bad:Name", "x"), "");
  EXPECT_NE(CheckHeader("X", "a\r\nInjected: yes"), "");
}

TEST(DeriveSampleNameTest, Table) {
  EXPECT_EQ(DeriveSampleName("/api/data"), "api_data");
  EXPECT_EQ(DeriveSampleName("/api/v1/users/"), "api_v1_users");
  EXPECT_EQ(DeriveSampleName("/api/search?q=1"), "api_search");
  EXPECT_EQ(DeriveSampleName("/api/order-items.json"), "api_order_items_json");
  EXPECT_EQ(DeriveSampleName("/"), "root");
  EXPECT_EQ(DeriveSampleName("/?x=1"), "root");
  // A derived name is always a valid sample name.
  for (const char* path : {"/api/data", "/-/x", "/%20", "/a__b"}) {
    EXPECT_EQ(CheckName(DeriveSampleName(path), "sample"), "") << path;
  }
}

}  // namespace
}  // namespace healthgap::config
