#include "server/status_page.h"

#include <nlohmann/json.hpp>
#include <sstream>

#include "eval/lb_view.h"
#include "eval/verdict.h"

namespace healthgap::server {

namespace {

std::string EscapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string HealthText(const engine::HealthProbeSnapshot& health) {
  if (!health.has_result) return "no result yet";
  std::ostringstream out;
  if (health.error != probe::ErrorKind::kNone) {
    out << probe::ToString(health.error);
  } else {
    out << health.status_code;
  }
  out << " in " << static_cast<long long>(ToSeconds(health.duration) * 1000) << " ms";
  return out.str();
}

}  // namespace

std::string RenderStatusJson(const engine::EngineSnapshot& snapshot) {
  nlohmann::json targets = nlohmann::json::array();
  for (const auto& target : snapshot.targets) {
    nlohmann::json failures = nlohmann::json::object();
    for (auto reason : eval::kAllFailureReasons) {
      const int count = target.api_window.failures_by_reason[static_cast<std::size_t>(reason)];
      if (count > 0) failures[std::string(eval::ToString(reason))] = count;
    }
    targets.push_back({
        {"target", target.name},
        {"url", target.base_url},
        {"labels", target.labels},
        {"verdict", eval::ToString(target.decision.verdict)},
        {"reason", target.decision.reason},
        {"lb_view", eval::ToString(target.lb.state)},
        {"last_health", HealthText(target.last_health)},
        {"api_window",
         {{"samples", target.api_window.total},
          {"failures", target.api_window.failures},
          {"error_ratio", target.api_window.error_ratio},
          {"failures_by_reason", failures},
          {"latency_p50_seconds", ToSeconds(target.api_window.latency_p50)},
          {"latency_p99_seconds", ToSeconds(target.api_window.latency_p99)}}},
    });
  }
  return nlohmann::json{{"targets", targets}}.dump(2) + "\n";
}

std::string RenderStatusHtml(const engine::EngineSnapshot& snapshot) {
  std::ostringstream html;
  html << "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>healthgap</title>"
          "<meta http-equiv=\"refresh\" content=\"5\">"
          "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
          "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
          ".healthy{background:#dfd}.mismatch{background:#fbb}.down{background:#ddd}"
          ".false-negative{background:#ffd}.unknown{background:#eef}</style></head><body>\n"
          "<h1>healthgap</h1>\n<p>What the load balancer sees against what users see. "
          "<a href=\"/metrics\">Metrics</a> &middot; <a href=\"/api/v1/status\">JSON</a></p>\n"
          "<table>\n<tr><th>Target</th><th>Verdict</th><th>LB view</th><th>Last health probe</th>"
          "<th>API samples (window)</th><th>Error ratio</th><th>Why</th></tr>\n";
  for (const auto& target : snapshot.targets) {
    const std::string verdict(eval::ToString(target.decision.verdict));
    html << "<tr class=\"" << verdict << "\"><td><a href=\"" << EscapeHtml(target.base_url) << "\">"
         << EscapeHtml(target.name) << "</a></td><td>" << verdict << "</td><td>"
         << eval::ToString(target.lb.state) << "</td><td>"
         << EscapeHtml(HealthText(target.last_health)) << "</td><td>"
         << target.api_window.total - target.api_window.failures << " ok / "
         << target.api_window.failures << " failed</td><td>" << target.api_window.error_ratio
         << "</td><td>" << EscapeHtml(target.decision.reason) << "</td></tr>\n";
  }
  html << "</table>\n</body></html>\n";
  return html.str();
}

}  // namespace healthgap::server
