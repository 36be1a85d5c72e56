// Real users' traffic beside the synthetic samples, with a real HAProxy 2.6 started here: a
// frontend on a Unix socket the test sends users' requests to, its stats socket read as a
// `haproxy` source, its log (sent to a syslog listener the test runs, which writes a file) read
// as a `haproxy_log` source. The backend's API starts failing while its /health keeps passing,
// so HAProxy keeps it UP:
// - both real-traffic targets say `mismatch` from users' requests before the samples-only
//   target (the same backend) has seen enough failed samples to;
// - the log source counts exactly the requests the users sent and the failures they got,
//   through a rename rotation and a copytruncate mid-run: nothing lost, nothing twice; and so
//   do HAProxy's own counters;
// - when users stop, the traffic is idle and the samples decide again.
// And a real nginx in front of two backends with `proxy_next_upstream http_500`, logging in the
// documented format: users see only 200s while one backend fails every request, and only the
// per-attempt log shows it.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "app/check.h"
#include "app/source_poller.h"
#include "common/clock.h"
#include "config/loader.h"
#include "engine/engine.h"
#include "metrics/collector.h"
#include "probe/curl_multi_client.h"
#include "server/status_page.h"
#include "support/haproxy.h"
#include "support/loopback_server.h"
#include "support/nginx.h"
#include "support/poll_until.h"
#include "support/syslog_listener.h"
#include "support/temp_dir.h"

namespace healthgap {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Steady = std::chrono::steady_clock;

// Users: GET /api/data through HAProxy every few milliseconds, counting what they got; bounded
// in count and time.
class Users {
 public:
  explicit Users(std::string frontend) : frontend_(std::move(frontend)) {
    thread_ = std::thread([this] {
      const auto deadline = Steady::now() + seconds(120);
      for (int i = 0; i < 20'000 && !stopping_ && Steady::now() < deadline; ++i) {
        const int status = testing::GetOverUnixSocket(frontend_, "/api/data");
        ++sent_;
        if (status == 0 || status >= 500) ++failed_;
        std::this_thread::sleep_for(milliseconds(10));  // pacing the load, not waiting
      }
    });
  }
  ~Users() { Stop(); }
  void Stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::uint64_t sent() const { return sent_; }
  std::uint64_t failed() const { return failed_; }

 private:
  std::string frontend_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> sent_{0}, failed_{0};
  std::thread thread_;
};

class RealTrafficTest : public ::testing::Test {
 protected:
  void SetUp() override {
    backend_.Get("/health", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("ok", "text/plain");  // a shallow check: it never looks at the API
    });
    backend_.Get("/api/data", [this](const httplib::Request&, httplib::Response& res) {
      res.status = api_status_.load();
      res.set_content("x", "text/plain");
    });
    ASSERT_TRUE(backend_.Start());
    listener_.emplace(dir_.Path("log.sock"), log_path());
    ASSERT_TRUE(listener_->ok());
  }

  std::string log_path() const { return dir_.Path("haproxy.log"); }
  std::string frontend() const { return dir_.Path("fe.sock"); }

  std::string Sections() const {
    return "frontend fe\n  bind unix@" + frontend() +
           "\n  log global\n"
           "  log-format \"healthgap backend=%b server=%s addr=%si:%sp status=%ST\"\n"
           "  default_backend app\n"
           "backend app\n  option httpchk GET /health\n"
           "  server s1 127.0.0.1:" +
           std::to_string(backend_.port()) + " check inter 200ms rise 1 fall 3\n";
  }

  std::string ConfigYaml(const std::string& stats_socket) const {
    const std::string url = "http://127.0.0.1:" + std::to_string(backend_.port());
    // Samples every 5 s: what a fleet of thousands can afford.
    const std::string probes =
        "    lb: haproxy\n"
        "    health: {path: /health, interval: 200ms, timeout: 200ms}\n"
        "    samples: [{path: /api/data, interval: 5s, timeout: 1s}]\n"
        "    evaluation: {min_samples: 2, window: 20s}\n";
    return "sources:\n"
           "  - {name: edge, type: haproxy, address: 'unix:" +
           stats_socket +
           "', interval: 200ms, timeout: 200ms}\n"
           "  - {name: edge-log, type: haproxy_log, path: '" +
           log_path() +
           "', interval: 200ms, timeout: 200ms}\n"
           "targets:\n"
           "  - name: shop-stats\n    url: " +
           url + "\n    lb_source: {source: edge}\n    traffic_source: {source: edge}\n" + probes +
           "  - name: shop-log\n    url: " + url +
           "\n    traffic_source: {source: edge-log, backend: app, server: s1}\n" + probes +
           "  - name: shop-samples\n    url: " + url + "\n" + probes;
  }

  config::Config Config(const std::string& stats_socket) const {
    const config::LoadResult loaded = config::LoadString(ConfigYaml(stats_socket), "<test>");
    EXPECT_TRUE(loaded.config) << (loaded.error ? loaded.error->Format() : "");
    return *loaded.config;
  }

  static const engine::TargetSnapshot& Named(const engine::EngineSnapshot& snapshot,
                                             const std::string& name) {
    for (const engine::TargetSnapshot& target : snapshot.targets) {
      if (target.name == name) return target;
    }
    throw std::runtime_error("no target " + name);
  }

  // Each target's verdict and where its views came from: what a failed wait shows.
  static std::string Describe(const engine::EngineSnapshot& snapshot) {
    std::string text;
    for (const engine::TargetSnapshot& t : snapshot.targets) {
      text += t.name + ": " + std::string(eval::ToString(t.decision.verdict)) + " (" +
              t.decision.reason + ") lb=" + std::string(t.lb_view_source) +
              " api=" + std::string(t.api_view_source);
      if (t.real_traffic) {
        text += " traffic server=" + t.real_traffic->server +
                " fresh=" + std::to_string(t.real_traffic->fresh) +
                " requests=" + std::to_string(t.real_traffic->requests_total) +
                " rate=" + std::to_string(t.real_traffic->window.request_rate);
      }
      text += "\n";
    }
    for (const engine::SourceSnapshot& source : snapshot.sources) {
      text += source.name + " up=" + std::to_string(source.up) + " " + source.error + "\n";
    }
    return text;
  }

  testing::TempDir dir_;
  testing::LoopbackServer backend_;
  std::atomic<int> api_status_{200};
  std::optional<testing::SyslogListener> listener_;
};

TEST_F(RealTrafficTest, UsersFailingBehindAnUpServerIsAMismatchBeforeTheSamplesKnow) {
  testing::Haproxy haproxy(Sections(), "  log " + dir_.Path("log.sock") + " local0\n");
  ASSERT_TRUE(haproxy.started());
  RealClock clock;
  probe::CurlMultiClient client(clock);
  engine::Engine engine(clock, client);
  const config::Config config = Config(haproxy.socket().unix_path);
  engine.Apply(config);
  app::SourcePoller poller(clock, engine);
  poller.Apply(config.sources);
  engine.Start();
  // The log reader starts at the file's end, and HAProxy's counters count from the first poll
  // that read them (what they held then is the baseline): users begin once both have polled.
  ASSERT_TRUE(testing::PollUntil([&] {
    const engine::EngineSnapshot s = engine.Snapshot();
    const auto read = [](const engine::SourceSnapshot& source) {
      return source.polls_total > source.failures_total;
    };
    return read(s.sources.at(0)) && read(s.sources.at(1));
  }));
  Users users(frontend());

  // Working: users' requests decide both real-traffic targets' user view.
  ASSERT_TRUE(testing::PollUntil(
      [&] {
        const engine::EngineSnapshot s = engine.Snapshot();
        return Named(s, "shop-stats").api_view_source == "haproxy" &&
               Named(s, "shop-log").api_view_source == "haproxy_log" &&
               Named(s, "shop-stats").decision.verdict == eval::Verdict::kHealthy &&
               Named(s, "shop-log").decision.verdict == eval::Verdict::kHealthy &&
               Named(s, "shop-samples").decision.verdict == eval::Verdict::kHealthy;
      },
      seconds(30)))
      << Describe(engine.Snapshot()) << "users sent " << users.sent();
  EXPECT_EQ(Named(engine.Snapshot(), "shop-samples").api_view_source, "synthetic");

  // A rename rotation, as logrotate and rsyslog's HUP do it.
  std::filesystem::rename(log_path(), log_path() + ".1");
  listener_->Reopen();

  // The API fails; /health still passes, so HAProxy keeps s1 UP.
  api_status_ = 500;
  const auto broke = Steady::now();
  std::string samples_verdict_then;
  double stats_seconds = 0, log_seconds = 0;
  ASSERT_TRUE(testing::PollUntil(
      [&] {
        const engine::EngineSnapshot s = engine.Snapshot();
        const bool stats = Named(s, "shop-stats").decision.verdict == eval::Verdict::kMismatch;
        const bool log = Named(s, "shop-log").decision.verdict == eval::Verdict::kMismatch;
        const double now = std::chrono::duration<double>(Steady::now() - broke).count();
        if (stats && stats_seconds == 0) stats_seconds = now;
        if (log && log_seconds == 0) log_seconds = now;
        if ((stats || log) && samples_verdict_then.empty()) {
          samples_verdict_then = eval::ToString(Named(s, "shop-samples").decision.verdict);
        }
        return stats && log;
      },
      seconds(30)))
      << Describe(engine.Snapshot());
  const engine::EngineSnapshot broken = engine.Snapshot();
  const engine::TargetSnapshot& stats = Named(broken, "shop-stats");
  EXPECT_EQ(stats.lb_view_source, "haproxy");  // HAProxy itself has s1 in rotation
  EXPECT_TRUE(stats.real_lb && stats.real_lb->in_rotation);
  EXPECT_EQ(stats.api_view_source, "haproxy");
  EXPECT_NE(stats.decision.reason.find("real requests failed"), std::string::npos)
      << stats.decision.reason;
  EXPECT_EQ(samples_verdict_then, "healthy");
  // The status page says which source decided.
  const std::string status = server::RenderStatusJson(broken);
  EXPECT_NE(status.find("\"api_view_source\": \"haproxy\""), std::string::npos) << status;
  EXPECT_NE(status.find("\"api_view_source\": \"haproxy_log\""), std::string::npos);

  // `healthgap check --config --target` reads the target's sources too, and says which decided.
  {
    app::CheckOptions options;
    options.config_file = dir_.Write("healthgap.yml", ConfigYaml(haproxy.socket().unix_path));
    options.target_name = "shop-log";
    options.max_duration = seconds(20);
    std::ostringstream report;
    RealClock check_clock;
    probe::CurlMultiClient check_client(check_clock);
    app::RunCheck(options, check_client, check_clock, report);
    EXPECT_NE(report.str().find("real requests failed during the check"), std::string::npos)
        << report.str();
    EXPECT_NE(report.str().find("(haproxy_log): "), std::string::npos);
    EXPECT_NE(report.str().find(": decides\n"), std::string::npos) << report.str();
    EXPECT_NE(report.str().find("verdict: mismatch"), std::string::npos) << report.str();
  }

  // Until the samples-only target sees it too, from its own samples.
  ASSERT_TRUE(testing::PollUntil(
      [&] {
        return Named(engine.Snapshot(), "shop-samples").decision.verdict ==
               eval::Verdict::kMismatch;
      },
      seconds(60)));
  const double samples_seconds = std::chrono::duration<double>(Steady::now() - broke).count();
  std::printf(
      "mismatch after the API broke: %.1f s from HAProxy's counters, %.1f s from its log, "
      "%.1f s from samples every 5 s\n",
      stats_seconds, log_seconds, samples_seconds);

  // A copytruncate mid-run, then users stop.
  listener_->Paused([&] {
    std::filesystem::copy_file(log_path(), log_path() + ".2");
    std::filesystem::rename(log_path() + ".2", log_path() + ".1");
    std::filesystem::resize_file(log_path(), 0);
  });
  users.Stop();
  // Every request the users sent is counted once from the log and from HAProxy's counters, and
  // every failure they got.
  ASSERT_TRUE(testing::PollUntil(
      [&] {
        const engine::EngineSnapshot snapshot = engine.Snapshot();
        const engine::TargetSnapshot& log = Named(snapshot, "shop-log");
        const engine::TargetSnapshot& stats = Named(snapshot, "shop-stats");
        return log.real_traffic && log.real_traffic->requests_total == users.sent() &&
               log.real_traffic->failures_total == users.failed() && stats.real_traffic &&
               stats.real_traffic->requests_total == users.sent() &&
               stats.real_traffic->failures_total == users.failed();
      },
      seconds(20)))
      << "log counted " << Named(engine.Snapshot(), "shop-log").real_traffic->requests_total
      << " of " << users.sent() << "; the listener wrote " << listener_->lines() << " lines\n"
      << Describe(engine.Snapshot());
  const engine::TargetSnapshot log = Named(engine.Snapshot(), "shop-log");  // a copy
  EXPECT_EQ(log.real_traffic->failures_total, users.failed());
  EXPECT_EQ(Named(engine.Snapshot(), "shop-stats").real_traffic->failures_total, users.failed());
  EXPECT_GT(users.failed(), 0u);
  std::printf("users sent %llu requests (%llu failed); the log counted %llu (%llu failed)\n",
              static_cast<unsigned long long>(users.sent()),
              static_cast<unsigned long long>(users.failed()),
              static_cast<unsigned long long>(log.real_traffic->requests_total),
              static_cast<unsigned long long>(log.real_traffic->failures_total));

  // Users gone: once the window holds too few of their requests the samples decide again,
  // and they say the same.
  ASSERT_TRUE(testing::PollUntil(
      [&] {
        const engine::EngineSnapshot s = engine.Snapshot();
        const engine::TargetSnapshot& stats = Named(s, "shop-stats");
        return stats.api_view_source == "synthetic" && stats.real_traffic->window.idle &&
               stats.decision.verdict == eval::Verdict::kMismatch;
      },
      seconds(40)))
      << Describe(engine.Snapshot());

  const std::string metrics = metrics::ExpositionText(engine.Snapshot(), {});
  EXPECT_NE(metrics.find("healthgap_view_source{source=\"haproxy\",target=\"shop-stats\","
                         "view=\"lb\"} 1\n"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("healthgap_view_source{source=\"synthetic\",target=\"shop-stats\","
                         "view=\"api\"} 1\n"),
            std::string::npos);
  EXPECT_NE(metrics.find("healthgap_traffic_requests_total{source=\"edge-log\","
                         "target=\"shop-log\"} " +
                         std::to_string(users.sent()) + "\n"),
            std::string::npos)
      << metrics;
  poller.Stop();
  engine.Stop();
}

// Users of nginx, over TCP: how many requests got a 5xx.
int GetMany(int port, int count) {
  int failed = 0;
  for (int i = 0; i < count; ++i) {
    httplib::Client client("127.0.0.1", port);
    client.set_read_timeout(2, 0);
    const auto response = client.Get("/api/data");
    if (!response || response->status >= 500) ++failed;
  }
  return failed;
}

TEST(NginxLogTraffic, ARetriedFailureIsSeenOnlyInThePerAttemptLog) {
  testing::LoopbackServer failing, working;
  for (testing::LoopbackServer* server : {&failing, &working}) {
    const bool fails = server == &failing;
    server->Get("/health", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("ok", "text/plain");
    });
    server->Get("/api/data", [fails](const httplib::Request&, httplib::Response& res) {
      res.status = fails ? 500 : 200;
      res.set_content("x", "text/plain");
    });
    ASSERT_TRUE(server->Start());
  }
  testing::TempDir dir;
  const std::string log = dir.Path("access.log");
  std::ofstream(log).close();
  testing::Nginx nginx(
      "log_format healthgap 'healthgap status=$status upstream_addr=\"$upstream_addr\" '\n"
      "  'upstream_status=\"$upstream_status\" "
      "upstream_response_time=\"$upstream_response_time\"';\n"
      "upstream app {\n  server 127.0.0.1:" +
      std::to_string(failing.port()) +
      " max_fails=0;\n  server 127.0.0.1:" + std::to_string(working.port()) +
      " max_fails=0;\n}\n"
      "server {\n  listen 127.0.0.1:{PORT};\n  access_log " +
      log +
      " healthgap;\n"
      "  location / {\n    proxy_pass http://app;\n    proxy_next_upstream error timeout "
      "http_500;\n  }\n}\n");
  ASSERT_NE(nginx.port(), 0) << nginx.error();

  const std::string yaml =
      "sources:\n  - {name: edge-log, type: nginx_log, path: '" + log +
      "', interval: 200ms, timeout: 200ms}\n"
      "targets:\n" +
      [&] {
        std::string targets;
        for (auto [name, port] :
             {std::pair{"failing", failing.port()}, std::pair{"working", working.port()}}) {
          targets += std::string("  - name: ") + name +
                     "\n    url: http://127.0.0.1:" + std::to_string(port) +
                     "\n    traffic_source: {source: edge-log}\n"
                     "    health: {path: /health, interval: 200ms, timeout: 200ms}\n"
                     "    samples: [{path: /api/data, interval: 60s, timeout: 1s}]\n";
        }
        return targets;
      }();
  const config::LoadResult loaded = config::LoadString(yaml, "<test>");
  ASSERT_TRUE(loaded.config) << (loaded.error ? loaded.error->Format() : "");
  RealClock clock;
  probe::CurlMultiClient client(clock);
  engine::Engine engine(clock, client);
  engine.Apply(*loaded.config);
  app::SourcePoller poller(clock, engine);
  poller.Apply(loaded.config->sources);
  engine.Start();
  ASSERT_TRUE(testing::PollUntil([&] { return engine.Snapshot().sources.at(0).polls_total > 0; }));

  EXPECT_EQ(GetMany(nginx.port(), 200), 0);  // users never see the failing backend's 500s
  ASSERT_TRUE(testing::PollUntil([&] {
    const engine::EngineSnapshot s = engine.Snapshot();
    const engine::TargetSnapshot& bad = s.targets.at(0);
    const engine::TargetSnapshot& good = s.targets.at(1);
    // Every request reached the working backend, first or after the failing one: all 200
    // lines read.
    return bad.real_traffic && good.real_traffic && good.real_traffic->requests_total == 200 &&
           bad.decision.verdict == eval::Verdict::kMismatch &&
           good.decision.verdict == eval::Verdict::kHealthy;
  })) << metrics::ExpositionText(engine.Snapshot(), {});
  const engine::EngineSnapshot s = engine.Snapshot();
  const engine::TargetSnapshot& bad = s.targets.at(0);
  const engine::TargetSnapshot& good = s.targets.at(1);
  EXPECT_EQ(bad.api_view_source, "nginx_log");
  EXPECT_EQ(bad.real_traffic->failures_total, bad.real_traffic->requests_total);
  EXPECT_EQ(good.real_traffic->failures_total, 0u);
  std::printf(
      "nginx: users got 200 for all 200 requests; the log counted %llu failed attempts "
      "on one backend and %llu good ones on the other\n",
      static_cast<unsigned long long>(bad.real_traffic->failures_total),
      static_cast<unsigned long long>(good.real_traffic->requests_total));
  poller.Stop();
  engine.Stop();
}

}  // namespace
}  // namespace healthgap
