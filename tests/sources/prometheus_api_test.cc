// Prometheus's query answers, as a Prometheus writes them and as a broken or hostile one might,
// and the client against loopback servers: a real answer, an error answer, a hang, no end.

#include "sources/prometheus_api.h"

#include <gtest/gtest.h>

#include <string>

#include "support/hostile_server.h"
#include "support/loopback_server.h"

namespace healthgap::sources {
namespace {

using std::chrono::milliseconds;

constexpr char kVector[] = R"({"status":"success","data":{"resultType":"vector","result":[
  {"metric":{"instance":"127.0.0.1:8081","job":"app"},"value":[1764583200.1,"1523"]},
  {"metric":{"instance":"127.0.0.1:8082"},"value":[1764583200.1,"0"]},
  {"metric":{"job":"no instance label"},"value":[1764583200.1,"7"]},
  {"metric":{"instance":"127.0.0.1:8083"},"value":[1764583200.1,"NaN"]},
  {"metric":{"instance":"127.0.0.1:8084"},"value":[1764583200.1,12]}
]}})";

TEST(PrometheusAnswer, SeriesByTheirLabelSkippingThoseWithoutAUsableValue) {
  const QueryResult result = ParseQueryAnswer(kVector, "instance");
  ASSERT_EQ(result.error, "");
  ASSERT_EQ(result.values.size(), 2u);
  EXPECT_EQ(result.values[0].label, "127.0.0.1:8081");
  EXPECT_EQ(result.values[0].value, 1523);
  EXPECT_EQ(result.values[1].label, "127.0.0.1:8082");
  EXPECT_EQ(result.values[1].value, 0);
}

TEST(PrometheusAnswer, ErrorsSayWhat) {
  EXPECT_EQ(ParseQueryAnswer(
                R"({"status":"error","errorType":"bad_data","error":"parse error at char 5"})",
                "instance")
                .error,
            "query failed: parse error at char 5");
  EXPECT_EQ(ParseQueryAnswer("<html>", "instance").error, "answer is not a JSON object");
  EXPECT_EQ(ParseQueryAnswer(R"({"status":"success","data":{"resultType":"matrix","result":[]}})",
                             "instance")
                .error,
            "answer is not an instant vector");
  // Found by fuzz_http: a resultType of another type threw out of the parser.
  EXPECT_EQ(ParseQueryAnswer(R"({"status":"success","data":{"resultType":["vector"]}})", "instance")
                .error,
            "answer is not an instant vector");
  EXPECT_EQ(
      ParseQueryAnswer(R"({"status":"success","data":{"resultType":"vector"}})", "instance").error,
      "answer has no result list");
}

TEST(PrometheusAnswer, SeriesAreBounded) {
  std::string body = R"({"status":"success","data":{"resultType":"vector","result":[)";
  for (int i = 0; i < 50; ++i) {
    body += std::string(i ? "," : "") + R"({"metric":{"instance":"h)" + std::to_string(i) +
            R"("},"value":[1,"1"]})";
  }
  body += "]}}";
  EXPECT_EQ(ParseQueryAnswer(body, "instance", QueryLimits{.max_bytes = 1 << 20, .max_series = 10})
                .values.size(),
            10u);
}

TEST(PrometheusQuery, AsksTheQueryApiAndReadsItsAnswer) {
  testing::LoopbackServer server;
  std::string asked;
  server.Get("/prefix/api/v1/query", [&](const httplib::Request& req, httplib::Response& res) {
    asked = req.get_param_value("query");
    res.set_content(kVector, "application/json");
  });
  ASSERT_TRUE(server.Start());
  const QueryResult result = RunInstantQuery(
      server.Url("/prefix"), R"(sum by (instance) (rate(http_requests_total{code=~"5.."}[1m])))",
      "instance", milliseconds(2000));
  EXPECT_EQ(result.error, "");
  EXPECT_EQ(result.values.size(), 2u);
  EXPECT_EQ(asked, R"(sum by (instance) (rate(http_requests_total{code=~"5.."}[1m])))");
}

TEST(PrometheusQuery, ABadQuerySaysPrometheusWords) {
  testing::LoopbackServer server;
  server.Get("/api/v1/query", [](const httplib::Request&, httplib::Response& res) {
    res.status = 400;
    res.set_content(R"({"status":"error","errorType":"bad_data","error":"unknown function"})",
                    "application/json");
  });
  ASSERT_TRUE(server.Start());
  EXPECT_EQ(RunInstantQuery(server.Url(""), "nope(", "instance", milliseconds(2000)).error,
            "query failed: unknown function");
}

TEST(PrometheusQuery, AHangCostsTheTimeoutAndAnEndlessAnswerTheCap) {
  testing::HostileServer hang(testing::HostileServer::Mode::kHang);
  ASSERT_TRUE(hang.ok()) << hang.error();
  const QueryResult hung = RunInstantQuery(hang.Url(""), "up", "instance", milliseconds(200));
  EXPECT_NE(hung.error.find("imed out"), std::string::npos) << hung.error;

  testing::HostileServer endless(testing::HostileServer::Mode::kEndlessBody);
  ASSERT_TRUE(endless.ok()) << endless.error();
  const QueryResult big = RunInstantQuery(endless.Url(""), "up", "instance", milliseconds(10000),
                                          QueryLimits{.max_bytes = 1 << 16, .max_series = 10});
  EXPECT_EQ(big.error, "answer too large");
}

}  // namespace
}  // namespace healthgap::sources
