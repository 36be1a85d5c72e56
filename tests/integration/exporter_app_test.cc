// The whole exporter in-process (config from YAML, engine, curl, collector, HTTP server) against
// real loopback targets, read back through its own HTTP endpoints as Prometheus would.

#include "app/exporter_app.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "support/hostile_server.h"
#include "support/loopback_server.h"
#include "support/poll_until.h"
#include "support/promtool.h"

namespace healthgap::app {
namespace {

using testing::HostileServer;
using testing::LoopbackServer;
using testing::PollUntil;

std::string TargetYaml(const std::string& name, const std::string& base_url) {
  return "  - name: " + name + "\n    url: " + base_url +
         "\n    labels: {team: checkout}\n    samples:\n      - {name: data, path: /api/data}\n";
}

constexpr char kFastDefaults[] = R"(defaults:
  health: {interval: 100ms, timeout: 100ms, healthy_threshold: 1, unhealthy_threshold: 1}
  sample: {interval: 100ms, timeout: 100ms}
  evaluation: {window: 30s, min_samples: 3}
targets:
)";

class ExporterAppTest : public ::testing::Test {
 protected:
  void SetUp() override {
    honest_.Get("/health", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"status":"ok"})", "application/json");
    });
    honest_.Get("/api/data", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"rows":3})", "application/json");
    });
    lying_.Get("/health", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"status":"ok"})", "application/json");
    });
    lying_.Get("/api/data", [](const httplib::Request&, httplib::Response& res) {
      res.status = 500;
      res.set_content(R"({"error":"Internal Server Error"})", "application/json");
    });
    ASSERT_TRUE(honest_.Start());
    ASSERT_TRUE(lying_.Start());
    ASSERT_TRUE(hung_.ok());
  }

  std::string Yaml(bool with_hung) {
    std::string yaml = kFastDefaults;
    yaml += TargetYaml("honest", Base(honest_.Url("/")));
    yaml += TargetYaml("lying", Base(lying_.Url("/")));
    if (with_hung) yaml += TargetYaml("hung", Base(hung_.Url("/")));
    return yaml;
  }

  static std::string Base(std::string url) {
    url.pop_back();
    return url;
  }

  // What the next reload reads; swapped by tests.
  config::LoadResult NextConfig() {
    std::lock_guard lock(mu_);
    return config::LoadString(next_yaml_, "reload.yml");
  }

  std::string Get(const std::string& path) {
    httplib::Client client("127.0.0.1", app_->port());
    client.set_read_timeout(10, 0);
    auto res = client.Get(path.c_str());
    return res && res->status == 200 ? res->body : "";
  }

  void StartApp() {
    config::LoadResult initial = config::LoadString(Yaml(true), "initial.yml");
    ASSERT_TRUE(initial.config) << initial.error->Format();
    app_ =
        std::make_unique<ExporterApp>(std::move(*initial.config), [this] { return NextConfig(); });
    std::string error;
    ASSERT_TRUE(app_->Start(ListenAddress{"127.0.0.1", 0}, &error)) << error;
  }

  LoopbackServer honest_;
  LoopbackServer lying_;
  HostileServer hung_{HostileServer::Mode::kHang};
  std::mutex mu_;
  std::string next_yaml_;
  std::unique_ptr<ExporterApp> app_;
};

TEST_F(ExporterAppTest, MetricsTellHonestFromLyingWhileAHungTargetTimesOut) {
  StartApp();
  ASSERT_TRUE(PollUntil([&] {
    const std::string metrics = Get("/metrics");
    return metrics.find(
               R"(healthgap_verdict{target="honest",team="checkout",verdict="healthy"} 1)") !=
               std::string::npos &&
           metrics.find(
               R"(healthgap_verdict{target="lying",team="checkout",verdict="mismatch"} 1)") !=
               std::string::npos &&
           metrics.find(R"(healthgap_verdict{target="hung",team="checkout",verdict="down"} 1)") !=
               std::string::npos;
  })) << Get("/metrics");
  const std::string metrics = Get("/metrics");
  EXPECT_NE(metrics.find(R"(probe_success{target="lying",team="checkout"} 1)"), std::string::npos);
  EXPECT_NE(metrics.find(R"(probe_success{target="hung",team="checkout"} 0)"), std::string::npos);
  EXPECT_NE(metrics.find("healthgap_build_info{"), std::string::npos);
  const auto [code, lint] = testing::PromtoolCheckMetrics(metrics);
  EXPECT_EQ(code, 0) << lint;
  EXPECT_EQ(lint, "") << metrics;

  const std::string status = Get("/api/v1/status");
  EXPECT_NE(status.find(R"("verdict": "mismatch")"), std::string::npos) << status;
  EXPECT_NE(Get("/").find("<td>mismatch</td>"), std::string::npos);
  EXPECT_EQ(Get("/-/healthy"), "Healthy\n");
  EXPECT_EQ(Get("/-/ready"), "Ready\n");
}

TEST_F(ExporterAppTest, MetricsContentTypeIsPrometheusText) {
  StartApp();
  httplib::Client client("127.0.0.1", app_->port());
  auto res = client.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
}

TEST_F(ExporterAppTest, BadReloadKeepsRunningConfigAndGoodReloadSwitches) {
  StartApp();
  httplib::Client client("127.0.0.1", app_->port());
  {
    std::lock_guard lock(mu_);
    next_yaml_ =
        "targets:\n  - name: x\n    url: http://127.0.0.1:1\n    samples: [{path: /a, interval: "
        "banana}]\n";
  }
  auto res = client.Post("/-/reload");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_NE(res->body.find("reload.yml:4: targets[0].samples[0].interval"), std::string::npos)
      << res->body;
  std::string metrics = Get("/metrics");
  EXPECT_NE(metrics.find("healthgap_config_last_reload_successful 0"), std::string::npos);
  EXPECT_NE(metrics.find(R"(target="hung")"), std::string::npos);  // old config still runs

  {
    std::lock_guard lock(mu_);
    next_yaml_ = Yaml(false);
  }
  res = client.Post("/-/reload");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  metrics = Get("/metrics");
  EXPECT_NE(metrics.find("healthgap_config_last_reload_successful 1"), std::string::npos);
  EXPECT_EQ(metrics.find(R"(target="hung")"), std::string::npos);
  EXPECT_NE(metrics.find(R"(target="honest")"), std::string::npos);
}

// /probe runs on the HTTP server's threads: scrapes of a hung target each hold one until their
// timeout. More of them than httplib's default pool (8 threads) must not starve /metrics.
TEST_F(ExporterAppTest, ProbeScrapesOfAHungTargetDoNotStarveMetrics) {
  constexpr int kScrapes = 16;
  auto hung = std::make_unique<HostileServer>(HostileServer::Mode::kHang);
  ASSERT_TRUE(hung->ok());
  std::string yaml = Yaml(false);
  yaml +=
      "modules:\n  slow:\n    health: {path: /health, interval: 120s, timeout: 60s}\n"
      "    samples: [{name: data, path: /api/data, interval: 120s, timeout: 60s}]\n"
      "    evaluation: {window: 1h, min_samples: 1}\n"
      "probe:\n  allow: [{cidr: 127.0.0.0/8}]\n";
  config::LoadResult initial = config::LoadString(yaml, "initial.yml");
  ASSERT_TRUE(initial.config) << initial.error->Format();
  app_ = std::make_unique<ExporterApp>(std::move(*initial.config), [this] { return NextConfig(); });
  std::string error;
  ASSERT_TRUE(app_->Start(ListenAddress{"127.0.0.1", 0}, &error)) << error;

  std::atomic<int> answered{0};
  std::vector<std::thread> scrapes;
  for (int i = 0; i < kScrapes; ++i) {
    // Distinct targets: scrapes of one (module, target) take turns.
    const std::string path = "/probe?module=slow&target=" + hung->Url("/t" + std::to_string(i));
    scrapes.emplace_back([&, path] {
      httplib::Client client("127.0.0.1", app_->port());
      client.set_read_timeout(120, 0);
      client.Get(path.c_str());
      ++answered;
    });
  }
  // Every scrape is in flight: the hung target holds its health check and its API sample.
  const bool all_in_flight =
      PollUntil([&] { return hung->RequestsSeen() >= 2 * kScrapes; }, std::chrono::seconds(20));
  const std::string metrics = all_in_flight ? Get("/metrics") : "";
  const int answered_before_metrics = answered.load();
  const std::size_t hung_requests_seen = hung->RequestsSeen();
  hung.reset();  // closes the hung connections: the scrapes end now, not at their timeout
  for (auto& scrape : scrapes) scrape.join();

  ASSERT_TRUE(all_in_flight) << hung_requests_seen << " of " << 2 * kScrapes
                             << " requests reached the hung target: the server ran out of threads";
  EXPECT_NE(metrics.find("healthgap_build_info{"), std::string::npos);
  EXPECT_EQ(answered_before_metrics, 0);
  EXPECT_EQ(answered.load(), kScrapes);
}

}  // namespace
}  // namespace healthgap::app
