#include "server/status_page.h"

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace healthgap::server {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::system_clock;

// 2024-05-01 12:00:03 UTC.
const system_clock::time_point kT0 = system_clock::time_point(seconds(1714564803));

std::size_t Count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + needle.size())) {
    ++n;
  }
  return n;
}

engine::RecentProbe Recent(system_clock::time_point at, std::string what, bool success,
                           int status_code, std::optional<FailureReason> error,
                           std::optional<FailureReason> reason, Duration duration) {
  engine::RecentProbe probe;
  probe.at = at;
  probe.what = std::move(what);
  probe.success = success;
  probe.status_code = status_code;
  probe.error = error;
  probe.reason = reason;
  probe.duration = duration;
  return probe;
}

engine::TargetSnapshot Target(std::string name, eval::Verdict verdict) {
  engine::TargetSnapshot target;
  target.name = std::move(name);
  target.base_url = "http://127.0.0.1:8080";
  target.decision.verdict = verdict;
  return target;
}

engine::TargetSnapshot LyingTarget() {
  engine::TargetSnapshot target = Target("shallow-health", eval::Verdict::kMismatch);
  target.decision.reason = "health check 200 in 0.4 ms while 8/8 API samples failed (status: 8)";
  target.decision.cause = eval::Cause::kShallowCheck;
  target.lb.state = eval::LbState::kHealthy;
  engine::HealthProbeSnapshot& last = target.primary().last;
  last.has_result = true;
  last.success = true;
  last.status_code = 200;
  last.duration = std::chrono::microseconds(400);
  last.at = kT0;
  target.primary().lb_state = eval::LbState::kHealthy;
  target.api_window.total = 8;
  target.api_window.failures = 8;
  target.api_window.error_ratio = 1;
  target.api_window.latency_p50 = milliseconds(12);
  target.api_window.latency_p99 = milliseconds(250);
  target.recent = {
      Recent(kT0, "health", true, 200, std::nullopt, std::nullopt, std::chrono::microseconds(400)),
      Recent(kT0 + milliseconds(250), "data", false, 500, std::nullopt, FailureReason::kStatus,
             milliseconds(12)),
      Recent(kT0 + seconds(1), "orders", false, 0, FailureReason::kTimeout, FailureReason::kTimeout,
             seconds(2)),
  };
  return target;
}

// Readiness (primary, in rotation, 200) and liveness (out of rotation, 503).
engine::TargetSnapshot TwoCheckTarget() {
  engine::TargetSnapshot target = LyingTarget();
  engine::HealthCheckSnapshot readiness;
  readiness.role = config::HealthRole::kReadiness;
  readiness.path = "/ready";
  readiness.lb = "alb";
  readiness.primary = true;
  readiness.lb_state = eval::LbState::kHealthy;
  readiness.last = target.primary().last;
  engine::HealthCheckSnapshot liveness;
  liveness.role = config::HealthRole::kLiveness;
  liveness.path = "/live";
  liveness.lb = "kubernetes";
  liveness.lb_state = eval::LbState::kUnhealthy;
  liveness.last.has_result = true;
  liveness.last.status_code = 503;
  liveness.last.duration = std::chrono::microseconds(300);
  target.checks = {readiness, liveness};
  return target;
}

engine::EngineSnapshot HostileSnapshot() {
  engine::TargetSnapshot target = Target("<b>x</b>&\"'", eval::Verdict::kMismatch);
  target.base_url = "http://127.0.0.1:1/\"onmouseover=\"alert(1)";
  target.decision.reason = "<script>alert(1)</script>";
  target.recent = {Recent(kT0, "<img src=x onerror=alert(1)>", true, 200, std::nullopt,
                          std::nullopt, milliseconds(1))};
  engine::EngineSnapshot snapshot;
  snapshot.targets.push_back(target);
  return snapshot;
}

TEST(StatusPageHtmlTest, EscapesEveryUserControlledString) {
  const std::string html = RenderStatusHtml(HostileSnapshot());
  EXPECT_EQ(html.find("<script"), std::string::npos) << html;
  EXPECT_EQ(html.find("<img"), std::string::npos) << html;
  EXPECT_EQ(html.find("<b>x</b>"), std::string::npos) << html;
  EXPECT_EQ(html.find("\"onmouseover"), std::string::npos) << html;
  EXPECT_NE(html.find("&lt;b&gt;x&lt;/b&gt;&amp;&quot;&#39;"), std::string::npos) << html;
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
  EXPECT_NE(html.find("/&quot;onmouseover=&quot;alert(1)"), std::string::npos);
}

TEST(StatusPageHtmlTest, AnchorsOfHostileNamesAreSafeAndMatchTheirLinks) {
  const std::string html = RenderStatusHtml(HostileSnapshot());
  // Characters a target name may not hold become '-' in the id.
  EXPECT_NE(html.find("<a href=\"#recent--b-x--b----\">"), std::string::npos) << html;
  EXPECT_NE(html.find("<h3 id=\"recent--b-x--b----\">"), std::string::npos) << html;
}

TEST(StatusPageHtmlTest, ProbedTargetsHaveTheirOwnTableWithTheirModule) {
  engine::EngineSnapshot snapshot;
  snapshot.targets.push_back(LyingTarget());
  engine::TargetSnapshot probed = Target("10.0.1.9:8080", eval::Verdict::kDown);
  probed.base_url = "http://10.0.1.9:8080";
  probed.module = "<api>";
  snapshot.probed.push_back(probed);
  const std::string html = RenderStatusHtml(snapshot);
  const std::size_t section = html.find("<section id=\"probed\">");
  ASSERT_NE(section, std::string::npos) << html;
  EXPECT_NE(html.find("10.0.1.9:8080", section), std::string::npos);
  EXPECT_NE(html.find("(module &lt;api&gt;)", section), std::string::npos);
  const std::string table = html.substr(section, html.find("</section>", section) - section);
  EXPECT_EQ(table.find("shallow-health"), std::string::npos);  // the configured ones are above

  const nlohmann::json json = nlohmann::json::parse(RenderStatusJson(snapshot));
  ASSERT_EQ(json["probed"].size(), 1u);
  EXPECT_EQ(json["probed"][0]["target"], "10.0.1.9:8080");
  EXPECT_EQ(json["probed"][0]["module"], "<api>");
  EXPECT_EQ(json["probed"][0]["verdict"], "down");
  EXPECT_EQ(json["targets"][0]["module"], "");

  const std::string empty = RenderStatusHtml(engine::EngineSnapshot{});
  EXPECT_NE(empty.find("No /probe scrapes yet"), std::string::npos);
}

TEST(StatusPageHtmlTest, SummaryCountsEveryVerdict) {
  engine::EngineSnapshot snapshot;
  snapshot.targets = {LyingTarget(), Target("cached", eval::Verdict::kMismatch),
                      Target("honest", eval::Verdict::kHealthy),
                      Target("fresh", eval::Verdict::kUnknown),
                      Target("redis-down", eval::Verdict::kDegraded)};
  const std::string html = RenderStatusHtml(snapshot);
  EXPECT_NE(html.find(R"(id="count-mismatch"><span class="n">2</span> mismatch</li>)"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find(R"(id="count-healthy"><span class="n">1</span> healthy</li>)"),
            std::string::npos);
  EXPECT_NE(html.find(R"(id="count-unknown"><span class="n">1</span> unknown</li>)"),
            std::string::npos);
  EXPECT_NE(html.find(R"(id="count-down"><span class="n">0</span> down</li>)"), std::string::npos);
  EXPECT_NE(html.find(R"(id="count-false-negative"><span class="n">0</span> false-negative</li>)"),
            std::string::npos);
  EXPECT_NE(html.find(R"(id="count-degraded"><span class="n">1</span> degraded</li>)"),
            std::string::npos);
  EXPECT_NE(html.find(R"(id="count-total"><span class="n">5</span> targets</li>)"),
            std::string::npos);
}

TEST(StatusPageHtmlTest, TargetRowShowsBothViewsWithTextLabels) {
  engine::EngineSnapshot snapshot;
  snapshot.targets = {LyingTarget()};
  const std::string html = RenderStatusHtml(snapshot);
  // The verdict is text in its own cell, the colour only a class on the row.
  EXPECT_NE(html.find("<tr class=\"verdict-mismatch\">"), std::string::npos) << html;
  EXPECT_NE(html.find("<td>mismatch</td>"), std::string::npos);
  EXPECT_NE(html.find("<td>healthy (in rotation)</td>"), std::string::npos);
  EXPECT_NE(html.find("<td>200 in 0.4 ms</td>"), std::string::npos);
  EXPECT_NE(html.find("0 ok / 8 failed"), std::string::npos);
  EXPECT_NE(html.find(">100.0 %<"), std::string::npos);
  EXPECT_NE(html.find(">12 ms / 250 ms<"), std::string::npos);
  EXPECT_NE(html.find("<td><code class=\"cause\">shallow_check</code> health check 200 in 0.4 ms "
                      "while 8/8 API samples failed (status: 8)</td>"),
            std::string::npos);
}

TEST(StatusPageHtmlTest, EveryHealthCheckOfATargetShowsItsOwnView) {
  engine::EngineSnapshot snapshot;
  snapshot.targets = {TwoCheckTarget()};
  const std::string html = RenderStatusHtml(snapshot);
  EXPECT_NE(html.find("<td><div class=\"check\">readiness (primary): healthy (in rotation)</div>"
                      "<div class=\"check\">liveness: unhealthy (out of rotation)</div></td>"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("<td><div class=\"check\">readiness (primary) <span class=\"url\">/ready"
                      "</span>: 200 in 0.4 ms</div><div class=\"check\">liveness <span "
                      "class=\"url\">/live</span>: 503 in 0.3 ms</div></td>"),
            std::string::npos)
      << html;
}

TEST(StatusPageHtmlTest, NoCauseShownForAHealthyTarget) {
  engine::EngineSnapshot snapshot;
  snapshot.targets = {Target("honest", eval::Verdict::kHealthy)};
  snapshot.targets[0].decision.cause = eval::Cause::kNone;
  const std::string html = RenderStatusHtml(snapshot);
  EXPECT_NE(html.find("<td>healthy</td>"), std::string::npos) << html;
  EXPECT_EQ(html.find("<code class=\"cause\">"), std::string::npos) << html;
}

TEST(StatusPageHtmlTest, EmptyWindowShowsNotApplicableRatherThanZero) {
  engine::EngineSnapshot snapshot;
  snapshot.targets = {Target("fresh", eval::Verdict::kUnknown)};
  const std::string html = RenderStatusHtml(snapshot);
  EXPECT_EQ(Count(html, ">n/a</td>"), 2u) << html;
  EXPECT_NE(html.find("<td>no result yet</td>"), std::string::npos);
  EXPECT_NE(html.find("<td>unknown (not decided yet)</td>"), std::string::npos);
  EXPECT_NE(html.find("No probe completed yet."), std::string::npos);
}

TEST(StatusPageHtmlTest, RecentProbesNewestFirstWithResultStatusAndDuration) {
  engine::EngineSnapshot snapshot;
  snapshot.targets = {LyingTarget()};
  const std::string html = RenderStatusHtml(snapshot);
  const std::string health_row =
      "<tr><td><time datetime=\"2024-05-01T12:00:03.000Z\" title=\"2024-05-01T12:00:03.000Z\">"
      "12:00:03.000</time></td><td>health</td><td class=\"ok\">ok</td><td>200</td>"
      "<td class=\"num\">0.4 ms</td></tr>";
  const std::string status_row =
      "<tr><td><time datetime=\"2024-05-01T12:00:03.250Z\" title=\"2024-05-01T12:00:03.250Z\">"
      "12:00:03.250</time></td><td>data</td><td class=\"failed\">failed: "
      "status</td><td>500</td><td class=\"num\">12 ms</td></tr>";
  const std::string timeout_row =
      "<tr><td><time datetime=\"2024-05-01T12:00:04.000Z\" title=\"2024-05-01T12:00:04.000Z\">"
      "12:00:04.000</time></td><td>orders</td><td class=\"failed\">failed: "
      "timeout</td><td>timeout</td><td class=\"num\">2 s</td></tr>";
  const auto health_at = html.find(health_row);
  const auto status_at = html.find(status_row);
  const auto timeout_at = html.find(timeout_row);
  ASSERT_NE(health_at, std::string::npos) << html;
  ASSERT_NE(status_at, std::string::npos) << html;
  ASSERT_NE(timeout_at, std::string::npos) << html;
  EXPECT_LT(timeout_at, status_at);
  EXPECT_LT(status_at, health_at);
  EXPECT_EQ(Count(html, "<tr><td><time datetime="), 3u);
}

TEST(StatusPageHtmlTest, SelfContainedWithLinksToMetricsAndJson) {
  engine::EngineSnapshot snapshot;
  snapshot.targets = {LyingTarget()};
  const std::string html = RenderStatusHtml(snapshot);
  EXPECT_NE(html.find("<a href=\"/metrics\">"), std::string::npos);
  EXPECT_NE(html.find("<a href=\"/api/v1/status\">"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find(" src="), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  // The only absolute URL is the target's own, shown as text.
  EXPECT_EQ(Count(html, "http://"), 1u);
}

TEST(StatusPageHtmlTest, NoTargetsSaysSo) {
  const std::string html = RenderStatusHtml(engine::EngineSnapshot{});
  EXPECT_NE(html.find("No targets configured."), std::string::npos);
  EXPECT_NE(html.find(R"(id="count-total"><span class="n">0</span> targets)"), std::string::npos);
}

TEST(StatusPageJsonTest, CarriesSummaryBothViewsAndRecentProbes) {
  engine::EngineSnapshot snapshot;
  snapshot.targets = {LyingTarget(), Target("honest", eval::Verdict::kHealthy)};
  const auto json = nlohmann::json::parse(RenderStatusJson(snapshot));
  EXPECT_EQ(json["summary"]["mismatch"], 1);
  EXPECT_EQ(json["summary"]["healthy"], 1);
  EXPECT_EQ(json["summary"]["down"], 0);
  EXPECT_EQ(json["summary"]["false-negative"], 0);
  EXPECT_EQ(json["summary"]["unknown"], 0);
  EXPECT_EQ(json["summary"]["degraded"], 0);

  const auto& lying = json["targets"][0];
  EXPECT_EQ(lying["target"], "shallow-health");
  EXPECT_EQ(lying["verdict"], "mismatch");
  EXPECT_EQ(lying["lb_view"], "healthy");
  EXPECT_EQ(lying["cause"], "shallow_check");
  EXPECT_EQ(lying["last_health"], "200 in 0.4 ms");
  EXPECT_EQ(lying["api_window"]["samples"], 8);
  EXPECT_EQ(lying["api_window"]["failures"], 8);
  EXPECT_DOUBLE_EQ(lying["api_window"]["latency_p99_seconds"].get<double>(), 0.25);

  const auto& recent = lying["recent"];
  ASSERT_EQ(recent.size(), 3u);
  // Oldest first, as the snapshot keeps them.
  EXPECT_EQ(recent[0]["at"], "2024-05-01T12:00:03.000Z");
  EXPECT_EQ(recent[0]["what"], "health");
  EXPECT_EQ(recent[0]["success"], true);
  EXPECT_EQ(recent[0]["status_code"], 200);
  EXPECT_EQ(recent[0]["error"], "none");
  EXPECT_TRUE(recent[0]["reason"].is_null());
  EXPECT_EQ(recent[1]["reason"], "status");
  EXPECT_EQ(recent[1]["status_code"], 500);
  EXPECT_EQ(recent[2]["at"], "2024-05-01T12:00:04.000Z");
  EXPECT_EQ(recent[2]["error"], "timeout");
  EXPECT_EQ(recent[2]["reason"], "timeout");
  EXPECT_DOUBLE_EQ(recent[2]["duration_seconds"].get<double>(), 2.0);

  EXPECT_TRUE(json["targets"][1]["recent"].empty());
}

TEST(StatusPageJsonTest, ListsEveryHealthCheckPrimaryFirst) {
  engine::EngineSnapshot snapshot;
  snapshot.targets = {TwoCheckTarget()};
  const auto json = nlohmann::json::parse(RenderStatusJson(snapshot));
  const auto& checks = json["targets"][0]["health_checks"];
  ASSERT_EQ(checks.size(), 2u) << json.dump(2);
  EXPECT_EQ(checks[0]["check"], "readiness");
  EXPECT_EQ(checks[0]["path"], "/ready");
  EXPECT_EQ(checks[0]["lb"], "alb");
  EXPECT_EQ(checks[0]["primary"], true);
  EXPECT_EQ(checks[0]["lb_view"], "healthy");
  EXPECT_EQ(checks[0]["last_health"], "200 in 0.4 ms");
  EXPECT_EQ(checks[1]["check"], "liveness");
  EXPECT_EQ(checks[1]["primary"], false);
  EXPECT_EQ(checks[1]["lb_view"], "unhealthy");
  EXPECT_EQ(checks[1]["last_health"], "503 in 0.3 ms");
}

TEST(StatusPageJsonTest, ATcpCheckShowsItsUrlAndPassesWithoutAStatus) {
  engine::EngineSnapshot snapshot;
  snapshot.targets = {TwoCheckTarget()};
  engine::HealthCheckSnapshot& tcp = snapshot.targets[0].checks[1];
  tcp.type = config::HealthCheckType::kTcp;
  tcp.url = "tcp://127.0.0.1:5432";
  tcp.last.status_code = 0;
  tcp.last.success = true;
  const auto json = nlohmann::json::parse(RenderStatusJson(snapshot));
  const auto& checks = json["targets"][0]["health_checks"];
  EXPECT_EQ(checks[1]["type"], "tcp");
  EXPECT_EQ(checks[1]["url"], "tcp://127.0.0.1:5432");
  EXPECT_EQ(checks[1]["last_health"], "passed in 0.3 ms");
  EXPECT_EQ(checks[0]["type"], "http");
  const std::string html = RenderStatusHtml(snapshot);
  EXPECT_NE(html.find("<span class=\"url\">tcp://127.0.0.1:5432</span>: passed in 0.3 ms"),
            std::string::npos)
      << html;
}

TEST(StatusPageJsonTest, HostileNamesRoundTrip) {
  const auto json = nlohmann::json::parse(RenderStatusJson(HostileSnapshot()));
  EXPECT_EQ(json["targets"][0]["target"], "<b>x</b>&\"'");
  EXPECT_EQ(json["targets"][0]["recent"][0]["what"], "<img src=x onerror=alert(1)>");
}

}  // namespace
}  // namespace healthgap::server
