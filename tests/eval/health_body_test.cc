#include "eval/health_body.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace healthgap::eval {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr auto kPass = ComponentStatus::kPass;
constexpr auto kWarn = ComponentStatus::kWarn;
constexpr auto kFail = ComponentStatus::kFail;

// "name=status" per component, in body order: compact to compare in tables.
std::vector<std::string> Summary(const BodyReport& report) {
  std::vector<std::string> out;
  for (const auto& c : report.components) {
    out.push_back(c.name + "=" + std::string(ToString(c.status)));
  }
  return out;
}

struct FormatCase {
  std::string name;
  std::string content_type;
  std::string body;
  BodyFormat format;
  std::optional<ComponentStatus> overall;
  std::vector<std::string> components;
};

// Names the case in test listings instead of dumping its bytes.
void PrintTo(const FormatCase& c, std::ostream* out) { *out << c.name; }

class ParseFormatTest : public ::testing::TestWithParam<FormatCase> {};

TEST_P(ParseFormatTest, RecognisesFormatAndComponents) {
  const FormatCase& c = GetParam();
  const BodyReport report = ParseHealthBody(c.body, c.content_type);
  EXPECT_EQ(report.error, "");
  EXPECT_EQ(ToString(report.format), ToString(c.format));
  EXPECT_EQ(report.overall, c.overall);
  EXPECT_EQ(Summary(report), c.components);
}

// Bodies on one line each: clang-format mangles multi-line raw strings.
std::vector<FormatCase> FormatCases() {
  return {
      // The reference text's deep check: the map is the verdict, values lead with the status.
      {"flat_map_mixed",
       "application/json",
       R"({"database": "ok", "redis": "error: Connection refused", "disk": "ok: 42.0% free", "connection_pool": "warning: pool exhausted", "version": "1.2.3"})",
       BodyFormat::kFlatMap,
       kFail,
       {"connection_pool=warn", "database=pass", "disk=pass", "redis=fail"}},
      {"flat_map_critical_disk",
       "application/json",
       R"({"disk": "critical: 3.1% free", "database": "ok"})",
       BodyFormat::kFlatMap,
       kFail,
       {"database=pass", "disk=fail"}},
      {"flat_map_status_only",
       "application/json",
       R"({"status": "ok"})",
       BodyFormat::kFlatMap,
       kPass,
       {}},
      // The body's own status wins over the worst component: it is what the app claims.
      {"flat_map_checks_nesting",
       "application/json",
       R"({"status": "ok", "checks": {"db": "up", "cache": "degraded", "queue": {"status": "down", "error": "no broker"}, "flag": true}})",
       BodyFormat::kFlatMap,
       kPass,
       {"cache=warn", "db=pass", "flag=pass", "queue=fail"}},
      {"flat_map_booleans",
       "application/json",
       R"({"db": true, "search": false, "uptime": 12345, "note": null})",
       BodyFormat::kFlatMap,
       kFail,
       {"db=pass", "search=fail"}},
      {"microprofile_checks_array",
       "application/json",
       R"({"status": "DOWN", "checks": [{"name": "db", "status": "UP"}, {"name": "kafka", "status": "DOWN"}, {"status": "UP"}]})",
       BodyFormat::kFlatMap,
       kFail,
       {"db=pass", "kafka=fail"}},
      {"spring_flat",
       "application/vnd.spring-boot.actuator.v3+json",
       R"json({"status": "UP", "components": {"db": {"status": "UP", "details": {"database": "PostgreSQL", "validationQuery": "isValid()"}}, "diskSpace": {"status": "UP", "details": {"total": 1, "free": 1}}, "ping": {"status": "UP"}}})json",
       BodyFormat::kSpringActuator,
       kPass,
       {"db=pass", "diskSpace=pass", "ping=pass"}},
      // Composites are flattened to their leaves, named by path.
      {"spring_nested",
       "application/json",
       R"({"status": "DOWN", "components": {"db": {"status": "DOWN", "components": {"primary": {"status": "UP"}, "replica": {"status": "DOWN", "details": {"error": "timeout"}}}}, "custom": {"status": "OUT_OF_SERVICE"}, "mail": {"status": "UNKNOWN"}}})",
       BodyFormat::kSpringActuator,
       kFail,
       {"custom=fail", "db.primary=pass", "db.replica=fail", "mail=warn"}},
      {"spring_2_0_details",
       "application/json",
       R"({"status": "UP", "details": {"db": {"status": "UP", "details": {"database": "H2"}}, "redis": {"status": "DOWN"}}})",
       BodyFormat::kSpringActuator,
       kPass,
       {"db=pass", "redis=fail"}},
      {"spring_1_x_top_level",
       "application/json",
       R"({"status": "DOWN", "db": {"status": "UP", "database": "H2"}, "diskSpace": {"status": "DOWN", "free": 1}})",
       BodyFormat::kSpringActuator,
       kFail,
       {"db=pass", "diskSpace=fail"}},
      {"spring_status_only",
       "application/json",
       R"({"status": "UP"})",
       BodyFormat::kSpringActuator,
       kPass,
       {}},
      {"ietf_warn",
       "application/health+json",
       R"({"status": "warn", "version": "1", "releaseId": "1.2.2", "checks": {"cassandra:responseTime": [{"componentId": "a", "status": "pass", "observedValue": 250}, {"componentId": "b", "status": "warn", "output": "slow"}], "uptime": [{"componentType": "system", "status": "pass"}], "memory:utilization": [{"status": "fail", "output": "oom"}]}})",
       BodyFormat::kIetfHealth,
       kWarn,
       {"cassandra:responseTime=warn", "memory:utilization=fail", "uptime=pass"}},
      {"ietf_aliases",
       "application/health+json; charset=utf-8",
       R"({"status": "up", "checks": {"db": [{"status": "down"}], "cache": [{"status": "ok"}]}})",
       BodyFormat::kIetfHealth,
       kPass,
       {"cache=pass", "db=fail"}},
      // Shape alone: checks whose values are arrays.
      {"ietf_by_shape",
       "application/json",
       R"({"status": "fail", "checks": {"db:connections": [{"status": "fail"}]}})",
       BodyFormat::kIetfHealth,
       kFail,
       {"db:connections=fail"}},
      {"k8s_readyz_failed",
       "text/plain; charset=utf-8",
       "[+]ping ok\n[+]log ok\n[-]etcd failed: reason withheld\n"
       "[+]poststarthook/start-informers ok\nreadyz check failed\n",
       BodyFormat::kK8sVerbose,
       kFail,
       {"ping=pass", "log=pass", "etcd=fail", "poststarthook_start-informers=pass"}},
      {"k8s_livez_passed_crlf",
       "text/plain",
       "[+]ping ok\r\n[+]etcd excluded: ok\r\nlivez check passed\r\n",
       BodyFormat::kK8sVerbose,
       kPass,
       {"ping=pass", "etcd=pass"}},
      {"k8s_without_final_line",
       "",
       "[+]ping ok\n[-]shutdown failed: reason withheld\n",
       BodyFormat::kK8sVerbose,
       kFail,
       {"ping=pass", "shutdown=fail"}},
      // Wrong content type, JSON body: shape decides.
      {"json_as_text_html",
       "text/html",
       R"({"database": "ok", "redis": "down"})",
       BodyFormat::kFlatMap,
       kFail,
       {"database=pass", "redis=fail"}},
      {"json_as_text_plain",
       "text/plain",
       R"({"status": "UP", "components": {"db": {"status": "UP"}}})",
       BodyFormat::kSpringActuator,
       kPass,
       {"db=pass"}},
  };
}

INSTANTIATE_TEST_SUITE_P(Formats, ParseFormatTest, ::testing::ValuesIn(FormatCases()),
                         [](const auto& info) { return info.param.name; });

struct ErrorCase {
  std::string name;
  std::string content_type;
  std::string body;
  std::string error;
};

// Names the case in test listings instead of dumping its bytes.
void PrintTo(const ErrorCase& c, std::ostream* out) { *out << c.name; }

class ParseErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ParseErrorTest, FailsWithReason) {
  const ErrorCase& c = GetParam();
  const BodyReport report = ParseHealthBody(c.body, c.content_type);
  EXPECT_EQ(report.error, c.error);
  EXPECT_EQ(report.format, BodyFormat::kNone);
  EXPECT_FALSE(report.overall.has_value());
  EXPECT_THAT(report.components, IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(
    Errors, ParseErrorTest,
    ::testing::Values(
        ErrorCase{"empty", "application/json", "", "empty"},
        ErrorCase{"whitespace", "application/json", " \r\n\t", "empty"},
        ErrorCase{"truncated_json", "application/json", R"({"status": "ok")", "invalid_json"},
        ErrorCase{"trailing_garbage", "application/json", R"({"status": "ok"} x)", "invalid_json"},
        ErrorCase{"ietf_not_json", "application/health+json", "pass", "invalid_json"},
        ErrorCase{"plain_ok", "text/plain", "OK", "unrecognised"},
        ErrorCase{"html", "text/html", "<html><body>fine</body></html>", "unrecognised"},
        ErrorCase{"json_array", "application/json", R"(["ok"])", "unrecognised"},
        ErrorCase{"json_no_status_words", "application/json", R"({"version": "1.2.3"})",
                  "unrecognised"},
        ErrorCase{"invalid_utf8", "application/json", "{\"db\": \"ok\xff\"}", "invalid_utf8"},
        ErrorCase{"overlong_utf8", "application/json", "{\"db\": \"\xc0\xaf\"}", "invalid_utf8"},
        ErrorCase{"surrogate_utf8", "application/json", "{\"db\": \"\xed\xa0\x80\"}",
                  "invalid_utf8"},
        ErrorCase{"truncated_utf8", "text/plain", "[+]ping ok\xe2\x82", "invalid_utf8"},
        ErrorCase{"depth_bomb_arrays", "application/json", std::string(100'000, '['), "too_deep"},
        ErrorCase{"depth_bomb_objects", "application/json",
                  [] {
                    std::string s;
                    for (int i = 0; i < 50'000; ++i) s += "{\"a\":";
                    return s;
                  }(),
                  "too_deep"}),
    [](const auto& info) { return info.param.name; });

TEST(ParseHealthBodyTest, DepthAtLimitParsesAndOneMoreIsTooDeep) {
  BodyLimits limits;
  limits.max_depth = 5;
  // Depth 5: root, components, a, components, b.
  const std::string ok =
      R"({"status":"UP","components":{"a":{"status":"UP","components":{"b":{"status":"DOWN"}}}}})";
  const BodyReport parsed = ParseHealthBody(ok, "application/json", limits);
  EXPECT_EQ(parsed.error, "");
  EXPECT_THAT(Summary(parsed), ElementsAre("a.b=fail"));

  limits.max_depth = 4;
  EXPECT_EQ(ParseHealthBody(ok, "application/json", limits).error, "too_deep");
}

TEST(ParseHealthBodyTest, BracketsInsideStringsDoNotCountAsDepth) {
  BodyLimits limits;
  limits.max_depth = 2;
  const BodyReport report =
      ParseHealthBody(R"({"db": "error: [[[[{{{{ \"[[[\" ]]"})", "application/json", limits);
  EXPECT_EQ(report.error, "");
  EXPECT_THAT(Summary(report), ElementsAre("db=fail"));
}

TEST(ParseHealthBodyTest, BodyOverLimitIsNotParsed) {
  const std::string huge = "{\"db\": \"" + std::string(10 << 20, 'x') + "\"}";  // > 10 MiB
  const BodyReport report = ParseHealthBody(huge, "application/json");
  EXPECT_EQ(report.error, "too_large");
  EXPECT_EQ(report.format, BodyFormat::kNone);
}

TEST(ParseHealthBodyTest, LargeBodyWithinLimitParses) {
  BodyLimits limits;
  limits.max_bytes = 16 << 20;
  std::string body = R"({"status": "ok", "padding": ")" + std::string(10 << 20, 'x') + "\"}";
  const BodyReport report = ParseHealthBody(body, "application/json", limits);
  EXPECT_EQ(report.error, "");
  EXPECT_EQ(report.overall, kPass);
}

TEST(ParseHealthBodyTest, ComponentsAreCappedWithReason) {
  std::string body = "{";
  for (int i = 0; i < 100; ++i) {
    if (i > 0) body += ",";
    body += "\"c" + std::to_string(1000 + i) + "\": \"ok\"";
  }
  body += ", \"z_last\": \"down\"}";
  const BodyReport report = ParseHealthBody(body, "application/json");
  EXPECT_EQ(report.error, "too_many_components");
  EXPECT_EQ(report.format, BodyFormat::kFlatMap);
  EXPECT_EQ(report.components.size(), 64u);
  // The cut component is lost, so the overall comes from what was kept.
  EXPECT_EQ(report.overall, kPass);
}

TEST(ParseHealthBodyTest, K8sComponentsAreCapped) {
  std::string body;
  for (int i = 0; i < 200; ++i) body += "[+]check" + std::to_string(i) + " ok\n";
  body += "readyz check passed\n";
  const BodyReport report = ParseHealthBody(body, "text/plain");
  EXPECT_EQ(report.error, "too_many_components");
  EXPECT_EQ(report.components.size(), 64u);
  EXPECT_EQ(report.overall, kPass);
}

TEST(ParseHealthBodyTest, NamesAreSanitisedBoundedAndUnique) {
  const std::string long_name(200, 'n');
  const std::string body =
      R"({"db primary": "ok", "db/primary": "down", "db_primary": "warn",)"
      R"( "caf\u00e9": "ok", "": "ok", "a{b=\"c\"}": "ok", "nul\u0000x": "ok",)"
      R"( ")" +
      long_name + R"(": "ok"})";
  const BodyReport report = ParseHealthBody(body, "application/json");
  ASSERT_EQ(report.error, "");
  std::vector<std::string> names;
  for (const auto& c : report.components) {
    names.push_back(c.name);
    EXPECT_LE(c.name.size(), 64u);
    EXPECT_EQ(c.name.find_first_not_of(
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:-"),
              std::string::npos)
        << c.name;
  }
  // nlohmann keeps object keys sorted; collisions get a numeric suffix in that order.
  EXPECT_THAT(names, ElementsAre("_", "a_b__c__", "caf__", "db_primary", "db_primary_2",
                                 "db_primary_3", std::string(64, 'n'), "nul_x"));
}

TEST(SanitizeComponentNameTest, Table) {
  EXPECT_EQ(SanitizeComponentName("db.primary:5432"), "db.primary:5432");
  EXPECT_EQ(SanitizeComponentName("a b\n\"c\""), "a_b__c_");
  EXPECT_EQ(SanitizeComponentName(""), "_");
  EXPECT_EQ(SanitizeComponentName("abcdef", 3), "abc");
  EXPECT_EQ(SanitizeComponentName(std::string("x\0y", 3)), "x_y");
}

TEST(ParseHealthBodyTest, DetailsAreBoundedAndPrintable) {
  const std::string body =
      "{\"redis\": \"error: line1\\nline2\\u0007 " + std::string(500, 'e') + "\"}";
  const BodyReport report = ParseHealthBody(body, "application/json");
  ASSERT_EQ(report.components.size(), 1u);
  const std::string& detail = report.components[0].detail;
  EXPECT_LE(detail.size(), 200u);
  EXPECT_TRUE(detail.starts_with("error: line1 line2  e")) << detail;
}

TEST(ParseHealthBodyTest, DetailsCarryTheReason) {
  const BodyReport spring = ParseHealthBody(
      R"({"status":"DOWN","components":{"db":{"status":"DOWN","details":{"error":"refused"}}}})",
      "application/json");
  ASSERT_EQ(spring.components.size(), 1u);
  EXPECT_EQ(spring.components[0].detail, "DOWN: refused");

  const BodyReport k8s = ParseHealthBody("[-]etcd failed: reason withheld\n", "text/plain");
  ASSERT_EQ(k8s.components.size(), 1u);
  EXPECT_EQ(k8s.components[0].detail, "failed: reason withheld");

  const BodyReport ietf =
      ParseHealthBody(R"({"status":"warn","checks":{"db":[{"status":"pass","componentId":"p"},)"
                      R"({"status":"warn","componentId":"r","output":"lag 30 s"}]}})",
                      "application/health+json");
  ASSERT_EQ(ietf.components.size(), 1u);
  EXPECT_EQ(ietf.components[0].detail, "warn: lag 30 s (r)");
}

TEST(ParseHealthBodyTest, NullsAndOddTypesAreIgnored) {
  const BodyReport report = ParseHealthBody(
      R"({"status": null, "checks": {"db": null, "cache": 1, "queue": [], "q2": {"status": null},
          "ok_one": "ok"}})",
      "application/json");
  EXPECT_EQ(report.error, "");
  EXPECT_THAT(Summary(report), ElementsAre("ok_one=pass"));
  EXPECT_EQ(report.overall, kPass);
}

TEST(WorstStatusTest, CombinesOverallAndComponents) {
  BodyReport report;
  EXPECT_EQ(WorstStatus(report), std::nullopt);
  report.overall = kPass;
  EXPECT_EQ(WorstStatus(report), kPass);
  report.components.push_back({"db", kWarn, ""});
  EXPECT_EQ(WorstStatus(report), kWarn);
  report.components.push_back({"cache", kFail, ""});
  EXPECT_EQ(WorstStatus(report), kFail);
  report.overall = std::nullopt;
  EXPECT_EQ(WorstStatus(report), kFail);
}

TEST(ToStringTest, StableNames) {
  EXPECT_EQ(ToString(BodyFormat::kNone), "none");
  EXPECT_EQ(ToString(BodyFormat::kFlatMap), "flat_map");
  EXPECT_EQ(ToString(BodyFormat::kSpringActuator), "spring_actuator");
  EXPECT_EQ(ToString(BodyFormat::kIetfHealth), "ietf");
  EXPECT_EQ(ToString(BodyFormat::kK8sVerbose), "k8s_verbose");
  EXPECT_EQ(ToString(kPass), "pass");
  EXPECT_EQ(ToString(kWarn), "warn");
  EXPECT_EQ(ToString(kFail), "fail");
}

}  // namespace
}  // namespace healthgap::eval
