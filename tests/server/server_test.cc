#include <gtest/gtest.h>
#include <httplib.h>

#include "server/exporter_server.h"
#include "server/status_page.h"
#include "support/slow_clients.h"

namespace healthgap::server {
namespace {

engine::EngineSnapshot SnapshotWithHostileNames() {
  engine::EngineSnapshot snapshot;
  engine::TargetSnapshot target;
  target.name = "<script>alert(1)</script>";
  target.base_url = "http://127.0.0.1:1/\"onmouseover=\"x";
  target.decision = {eval::Verdict::kMismatch, "health check 200 in 1 ms while 5/5 failed"};
  target.lb.state = eval::LbState::kHealthy;
  target.api_window.total = 5;
  target.api_window.failures = 5;
  target.api_window.error_ratio = 1;
  snapshot.targets.push_back(target);
  return snapshot;
}

TEST(StatusPageTest, HtmlShowsVerdictAndEscapesNames) {
  const std::string html = RenderStatusHtml(SnapshotWithHostileNames());
  EXPECT_NE(html.find("<td>mismatch</td>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_EQ(html.find("\"onmouseover"), std::string::npos);
  EXPECT_NE(html.find("0 ok / 5 failed"), std::string::npos);
}

TEST(StatusPageTest, JsonCarriesBothViews) {
  const std::string json = RenderStatusJson(SnapshotWithHostileNames());
  EXPECT_NE(json.find(R"("verdict": "mismatch")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("lb_view": "healthy")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("failures": 5)"), std::string::npos) << json;
}

TEST(ExporterServerTest, ServesEndpointsOnAnEphemeralPort) {
  int reloads = 0;
  ExporterServer server(Endpoints{
      .metrics = [](const auto& sink) { sink("up 1\n"); },
      .status_html = [] { return std::string("<html></html>"); },
      .status_json = [] { return std::string("{}"); },
      .reload = [&reloads]() -> std::optional<std::string> {
        return ++reloads == 1 ? std::optional<std::string>("bad.yml:3: x: broken") : std::nullopt;
      },
      .probe = nullptr,
  });
  std::string error;
  ASSERT_TRUE(server.Start(ListenAddress{"127.0.0.1", 0}, &error)) << error;
  ASSERT_GT(server.port(), 0);
  httplib::Client client("127.0.0.1", server.port());
  auto res = client.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "up 1\n");
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  res = client.Post("/-/reload");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_NE(res->body.find("bad.yml:3"), std::string::npos);
  res = client.Post("/-/reload");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  res = client.Get("/probe?target=127.0.0.1:1");  // no probe handler: /probe is off
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  res = client.Get("/-/reload");  // reload is POST only, as in Prometheus
  ASSERT_TRUE(res);
  EXPECT_NE(res->status, 200);
  EXPECT_EQ(reloads, 2);
}

// /metrics frames its chunks itself: every piece arrives in order, an empty one does not end
// the body early, the connection stays usable, and no coding is applied.
// Endpoints serving `metrics` at /metrics and nothing else of note.
Endpoints MetricsOnly(decltype(Endpoints::metrics) metrics) {
  return Endpoints{
      .metrics = std::move(metrics),
      .status_html = [] { return std::string(); },
      .status_json = [] { return std::string(); },
      .reload = [] { return std::optional<std::string>(); },
      .probe = nullptr,
  };
}

TEST(ExporterServerTest, MetricsIsChunkedAndUncompressedOnAKeptAliveConnection) {
  const std::string large(300 * 1024, 'x');
  ExporterServer server(MetricsOnly([&](const auto& sink) {
    sink("a 1\n");
    sink("");
    sink(large);
    sink("b 2\n");
  }));
  std::string error;
  ASSERT_TRUE(server.Start(ListenAddress{"127.0.0.1", 0}, &error)) << error;
  httplib::Client client("127.0.0.1", server.port());
  client.set_keep_alive(true);
  client.set_read_timeout(10, 0);
  for (int scrape = 0; scrape < 2; ++scrape) {
    const auto res = client.Get("/metrics", {{"Accept-Encoding", "gzip, br"}});
    ASSERT_TRUE(res) << "scrape " << scrape;
    EXPECT_EQ(res->body, "a 1\n" + large + "b 2\n");
    EXPECT_EQ(res->get_header_value("Transfer-Encoding"), "chunked");
    EXPECT_FALSE(res->has_header("Content-Encoding"));
  }
}

TEST(ScrapeTimeoutHeaderTest, TakesPositiveDecimalSecondsOnly) {
  EXPECT_EQ(ParseScrapeTimeoutSeconds("10"), 10.0);
  EXPECT_EQ(ParseScrapeTimeoutSeconds("9.5"), 9.5);
  EXPECT_EQ(ParseScrapeTimeoutSeconds("0.25"), 0.25);
  // Large but finite: parsed; the probe clamps it to the module's own timeouts.
  EXPECT_EQ(ParseScrapeTimeoutSeconds("99999999999"), 99999999999.0);
  for (const char* bad : {"inf", "-inf", "nan", "INF", "-1", "0", "0.0", "1e308", "1e3", "abc", "",
                          " 10", "10 ", "10s", "0x10", "+5", "1..5", "."}) {
    EXPECT_EQ(ParseScrapeTimeoutSeconds(bad), std::nullopt) << bad;
  }
}

// The outside review's slowloris against the exporter itself: /metrics answers every scrape
// while 1,000 clients trickle request heads.
TEST(ExporterServerTest, MetricsAnswersEveryScrapeDuringASlowloris) {
  ExporterServer server(MetricsOnly([](const auto& sink) { sink("up 1\n"); }));
  std::string error;
  ASSERT_TRUE(server.Start(ListenAddress{"127.0.0.1", 0}, &error)) << error;
  testing::SlowClients slow(server.port(), 1000, "GET /metrics HTTP/1.1\r\nHost: x\r\nX: ");
  ASSERT_EQ(slow.connected(), 1000u);
  for (int scrape = 0; scrape < 20; ++scrape) {
    httplib::Client client("127.0.0.1", server.port());
    client.set_read_timeout(10, 0);
    const auto res = client.Get("/metrics");
    ASSERT_TRUE(res) << "scrape " << scrape;
    EXPECT_EQ(res->body, "up 1\n");
    slow.Trickle();
  }
}

TEST(ExporterServerTest, BusyPortIsAClearError) {
  ExporterServer first(Endpoints{});
  std::string error;
  ASSERT_TRUE(first.Start(ListenAddress{"127.0.0.1", 0}, &error));
  ExporterServer second(Endpoints{});
  EXPECT_FALSE(second.Start(ListenAddress{"127.0.0.1", first.port()}, &error));
  EXPECT_NE(error.find("cannot listen on 127.0.0.1:" + std::to_string(first.port())),
            std::string::npos);
}

}  // namespace
}  // namespace healthgap::server
