// /probe end to end in-process: the real exporter, real curl, real loopback backends.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include "app/exporter_app.h"
#include "support/grpc_health_server.h"
#include "support/loopback_server.h"
#include "support/promtool.h"

namespace healthgap::app {
namespace {

using ::testing::HasSubstr;
using testing::LoopbackServer;
using ::testing::Not;

class ProbeEndpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lying_.Get("/health", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"status":"ok"})", "application/json");
    });
    lying_.Get("/api/data", [](const httplib::Request&, httplib::Response& res) {
      res.status = 500;
      res.set_content(R"({"error":"Internal Server Error"})", "application/json");
    });
    ASSERT_TRUE(lying_.Start());
    // Allowed: loopback addresses only, as a cidr rule (host names resolve and are pinned).
    const std::string yaml = R"(modules:
  api:
    health: {path: /health, interval: 1s, timeout: 1s, healthy_threshold: 2, unhealthy_threshold: 2}
    samples: [{name: data, path: /api/data, interval: 1s, timeout: 1s}]
    evaluation: {window: 1m, min_samples: 2}
probe:
  allow:
    - cidr: 127.0.0.0/8
)";
    config::LoadResult loaded = config::LoadString(yaml, "probe.yml");
    ASSERT_TRUE(loaded.config) << loaded.error->Format();
    app_ = std::make_unique<ExporterApp>(std::move(*loaded.config), nullptr);
    std::string error;
    ASSERT_TRUE(app_->Start(ListenAddress{"127.0.0.1", 0}, &error)) << error;
  }

  httplib::Result Probe(const std::string& target, const std::string& module = "api",
                        const std::string& scrape_timeout = "5") {
    httplib::Client client("127.0.0.1", app_->port());
    client.set_read_timeout(20, 0);
    httplib::Headers headers{{"X-Prometheus-Scrape-Timeout-Seconds", scrape_timeout}};
    return client.Get(("/probe?module=" + module + "&target=" + target).c_str(), headers);
  }

  std::string LyingTarget() { return "127.0.0.1:" + std::to_string(lying_.port()); }

  LoopbackServer lying_;
  std::unique_ptr<ExporterApp> app_;
};

TEST_F(ProbeEndpointTest, PairedMetricsUnderBackgroundModeNames) {
  auto res = Probe(LyingTarget());
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string target_label = "target=\"" + LyingTarget() + "\"";
  EXPECT_THAT(res->body, HasSubstr("probe_success{" + target_label + "} 1"));
  EXPECT_THAT(res->body, HasSubstr("healthgap_api_request_failures_total{reason=\"status\"," +
                                   std::string("sample=\"data\",") + target_label + "} 1"));
  // Fresh registry: the exporter's own metrics stay on /metrics.
  EXPECT_THAT(res->body, Not(HasSubstr("healthgap_build_info")));
  const auto [code, lint] = testing::PromtoolCheckMetrics(res->body);
  EXPECT_EQ(code, 0) << lint;
}

TEST_F(ProbeEndpointTest, StateCarriesAcrossScrapesLikeALoadBalancer) {
  // healthy_threshold 2: the first scrape leaves the LB undecided, the second puts the target
  // in rotation, and with two failed samples in the window the verdict is a mismatch.
  auto first = Probe(LyingTarget());
  ASSERT_TRUE(first);
  EXPECT_THAT(first->body, HasSubstr("healthgap_verdict{target=\"" + LyingTarget() +
                                     "\",verdict=\"unknown\"} 1"));
  auto second = Probe(LyingTarget());
  ASSERT_TRUE(second);
  EXPECT_THAT(second->body, HasSubstr("healthgap_lb_healthy{target=\"" + LyingTarget() + "\"} 1"));
  EXPECT_THAT(second->body, HasSubstr("healthgap_verdict{target=\"" + LyingTarget() +
                                      "\",verdict=\"mismatch\"} 1"));
  EXPECT_THAT(second->body, HasSubstr("healthgap_api_requests_total{sample=\"data\",target=\"" +
                                      LyingTarget() + "\"} 2"));
}

TEST_F(ProbeEndpointTest, RefusesTargetsOutsideTheAllowlist) {
  auto res = Probe("192.0.2.10:80");  // TEST-NET-1: never contacted, refused before any request
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  EXPECT_THAT(res->body, HasSubstr("not allowed"));
  httplib::Client client("127.0.0.1", app_->port());
  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_THAT(metrics->body, HasSubstr("healthgap_probe_requests_total{result=\"refused\"} 1"));
}

TEST_F(ProbeEndpointTest, BadRequestsAreClear) {
  auto res = Probe(LyingTarget(), "nope");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_THAT(res->body, HasSubstr("unknown module \"nope\""));
  res = Probe("");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_THAT(res->body, HasSubstr("target parameter is missing"));
  res = Probe("ftp://127.0.0.1:21");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
}

// The outside review's finding: one target written several ways got a state entry and a
// `target` label per spelling. It is one target.
TEST_F(ProbeEndpointTest, OneTargetWrittenSeveralWaysIsOneTarget) {
  const std::string port = std::to_string(lying_.port());
  for (const std::string& spelling :
       {"127.0.0.1:" + port, "HTTP://127.0.0.1:" + port + "/", "http://127.0.0.1:" + port}) {
    auto res = Probe(spelling);
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << spelling;
  }
  auto res = Probe("127.0.0.1:" + port);
  ASSERT_TRUE(res);
  EXPECT_THAT(res->body,
              HasSubstr(R"(healthgap_health_probes_total{check="readiness",target="127.0.0.1:)" +
                        port + R"("} 4)"));
  EXPECT_THAT(res->body, Not(HasSubstr("HTTP://")));
}

// The outside review's finding: a target /probe may reach answered samples with redirects to a
// host it may not, and the hop went there (POST turned GET, X-Api-Key forwarded, its answer a
// success). Every hop now passes probe.allow; the forbidden server's log stays empty.
TEST(ProbeRedirectTest, HopsToAHostTheAllowlistRefusesAreNeverSent) {
  LoopbackServer forbidden;
  forbidden.Handle("/.*", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("internal secrets", "text/plain");
  });
  ASSERT_TRUE(forbidden.Start());
  LoopbackServer allowed;
  const std::vector<std::pair<std::string, int>> redirects = {{"/health", 302}, {"/api/a", 301},
                                                              {"/api/b", 302},  {"/api/c", 303},
                                                              {"/api/d", 307},  {"/api/e", 308}};
  for (const auto& [path, code] : redirects) {
    allowed.Get(
        path, [to = forbidden.Url(path), code = code](
                  const httplib::Request&, httplib::Response& res) { res.set_redirect(to, code); });
  }
  ASSERT_TRUE(allowed.Start());
  std::string samples;
  for (const char* name : {"a", "b", "c", "d", "e"}) {
    samples += std::string(samples.empty() ? "" : ", ") + "{name: " + name + ", path: /api/" +
               name + ", method: POST, body: x, headers: {X-Api-Key: k}}";
  }
  const std::string yaml = "modules:\n  api:\n    health: {path: /health}\n    samples: [" +
                           samples + "]\nprobe:\n  allow:\n    - url_prefix: " +
                           allowed.Url("/").substr(0, allowed.Url("/").size() - 1) + "\n";
  config::LoadResult loaded = config::LoadString(yaml, "probe.yml");
  ASSERT_TRUE(loaded.config) << loaded.error->Format();
  ExporterApp app(std::move(*loaded.config), nullptr);
  std::string error;
  ASSERT_TRUE(app.Start(ListenAddress{"127.0.0.1", 0}, &error)) << error;

  httplib::Client client("127.0.0.1", app.port());
  client.set_read_timeout(20, 0);
  const std::string target = allowed.Url("/").substr(7, allowed.Url("/").size() - 8);
  auto res = client.Get(("/probe?module=api&target=" + target).c_str());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  // Each sample is judged by the redirect it got: not a 2xx, so a failure of reason status.
  for (const char* name : {"a", "b", "c", "d", "e"}) {
    EXPECT_NE(res->body.find(
                  std::string(R"(healthgap_api_request_failures_total{reason="status",sample=")") +
                  name + R"(",target=")" + target + R"("} 1)"),
              std::string::npos)
        << name;
  }
  EXPECT_EQ(allowed.RequestCount(), 6u);  // the health check and five samples, no more
  EXPECT_EQ(forbidden.RequestCount(), 0u);
}

// A tcp or grpc module connects to the target's host on the check's own port: that connection
// passes the allowlist too, or the scrape is refused before anything is sent.
TEST(ProbeHealthTypesTest, EveryCheckConnectionPassesTheAllowlist) {
  LoopbackServer api;
  api.Get("/api/data", [](const httplib::Request&, httplib::Response& res) { res.status = 500; });
  ASSERT_TRUE(api.Start());
  testing::GrpcHealthServer grpc;
  ASSERT_TRUE(grpc.ok());
  const std::string api_prefix = "http://127.0.0.1:" + std::to_string(api.port());
  const std::string yaml =
      "modules:\n"
      "  tcp:\n"
      "    health: {type: tcp}\n"
      "    samples: [{name: data, path: /api/data}]\n"
      "  grpc:\n"
      "    health: {type: grpc, port: " +
      std::to_string(grpc.port()) +
      "}\n"
      "    samples: [{name: data, path: /api/data}]\n"
      "probe:\n  allow:\n    - url_prefix: " +
      api_prefix + "\n";
  config::LoadResult loaded = config::LoadString(yaml, "probe.yml");
  ASSERT_TRUE(loaded.config) << loaded.error->Format();
  ExporterApp app(std::move(*loaded.config), nullptr);
  std::string error;
  ASSERT_TRUE(app.Start(ListenAddress{"127.0.0.1", 0}, &error)) << error;
  httplib::Client client("127.0.0.1", app.port());
  client.set_read_timeout(20, 0);
  const std::string target = "127.0.0.1:" + std::to_string(api.port());

  // The TCP check goes to the allowed URL's own port: a shallow check, and a mismatch.
  auto tcp = client.Get(("/probe?module=tcp&target=" + target).c_str());
  ASSERT_TRUE(tcp);
  EXPECT_EQ(tcp->status, 200) << tcp->body;
  EXPECT_THAT(tcp->body, HasSubstr("probe_success{target=\"" + target + "\"} 1"));
  EXPECT_THAT(tcp->body, HasSubstr("type=\"tcp\""));

  // The gRPC check's port is not under the allowed prefix: refused, the samples unsent.
  const std::size_t requests_before = api.RequestCount();
  auto refused = client.Get(("/probe?module=grpc&target=" + target).c_str());
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  EXPECT_THAT(refused->body, HasSubstr("the grpc health check's http://127.0.0.1:" +
                                       std::to_string(grpc.port()) + " is not allowed"));
  EXPECT_EQ(api.RequestCount(), requests_before);
}

TEST(ProbeHealthTypesTest, AGrpcModuleProbesThroughTheScrapesOwnThread) {
  LoopbackServer api;
  api.Get("/api/data", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  ASSERT_TRUE(api.Start());
  testing::GrpcHealthServer grpc;
  ASSERT_TRUE(grpc.ok());
  grpc.SetServing("checkout", false);
  const std::string yaml = "modules:\n  grpc:\n    health: {type: grpc, service: checkout, port: " +
                           std::to_string(grpc.port()) +
                           "}\n    samples: [{name: data, path: /api/data}]\n"
                           "probe:\n  allow:\n    - cidr: 127.0.0.0/8\n";
  config::LoadResult loaded = config::LoadString(yaml, "probe.yml");
  ASSERT_TRUE(loaded.config) << loaded.error->Format();
  ExporterApp app(std::move(*loaded.config), nullptr);
  std::string error;
  ASSERT_TRUE(app.Start(ListenAddress{"127.0.0.1", 0}, &error)) << error;
  httplib::Client client("127.0.0.1", app.port());
  client.set_read_timeout(20, 0);
  const std::string target = "127.0.0.1:" + std::to_string(api.port());

  auto res = client.Get(("/probe?module=grpc&target=" + target).c_str());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_THAT(res->body, HasSubstr("probe_success{target=\"" + target + "\"} 0"));
  EXPECT_THAT(res->body, HasSubstr("reason=\"grpc_not_serving\",target=\"" + target + "\"} 1"));
  grpc.SetServing("checkout", true);
  res = client.Get(("/probe?module=grpc&target=" + target).c_str());
  ASSERT_TRUE(res);
  EXPECT_THAT(res->body, HasSubstr("probe_success{target=\"" + target + "\"} 1"));
  // The debug trace says what the check did: a gRPC call and its answer.
  res = client.Get(("/probe?module=grpc&debug=true&target=" + target).c_str());
  ASSERT_TRUE(res);
  EXPECT_THAT(res->body, HasSubstr("health (readiness): grpc grpc://127.0.0.1:" +
                                   std::to_string(grpc.port()) + "/checkout"));
  EXPECT_THAT(res->body, HasSubstr("gRPC status 0, serving status 1"));
}

// The outside review's finding: "inf" (or 1e308, or anything past ~9.2e9) overflowed a signed
// duration, undefined behaviour that the ASan+UBSan pass of this suite turns into an abort.
// Each value is either clamped to the module's own timeouts or treated as absent.
TEST_F(ProbeEndpointTest, AnyScrapeTimeoutHeaderIsClampedOrIgnored) {
  for (const std::string value : {"inf", "-inf", "nan", "-1", "0", "1e308", "abc", "9999999999999",
                                  "1e10", "5 ", "0x10", "", "1.7976931348623157e308"}) {
    auto res = Probe(LyingTarget(), "api", value);
    ASSERT_TRUE(res) << value;
    EXPECT_EQ(res->status, 200) << value;
    EXPECT_THAT(res->body, HasSubstr("probe_success")) << value;
  }
}

}  // namespace
}  // namespace healthgap::app
