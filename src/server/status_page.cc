#include "server/status_page.h"

#include <array>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <span>
#include <sstream>
#include <string_view>

#include "common/duration_text.h"
#include "eval/lb_view.h"
#include "eval/verdict.h"

namespace healthgap::server {

namespace {

// Most urgent first: the summary and the legend read in this order.
constexpr std::array kVerdictDisplayOrder = {
    eval::Verdict::kMismatch, eval::Verdict::kDown,    eval::Verdict::kFalseNegative,
    eval::Verdict::kDegraded, eval::Verdict::kUnknown, eval::Verdict::kHealthy};
static_assert(kVerdictDisplayOrder.size() == eval::kAllVerdicts.size(),
              "a new verdict needs a place in the summary (and a colour in kStyle)");

// Self-contained (no external assets, no JS). Every colour comes with a text label, so the
// page reads the same in greyscale and to screen readers.
constexpr std::string_view kStyle = R"css(
body{font-family:"DejaVu Sans",Verdana,sans-serif;margin:1.5em 2em;color:#1f2328;background:#fff}
h1{margin:0 0 .2em;font-size:1.6em}h2{margin:1.4em 0 .5em;font-size:1.2em}
h3{margin:1.2em 0 .3em;font-size:1em}
header p{margin:.2em 0;color:#57606a}a{color:#0969da}
table{border-collapse:collapse;font-size:.9em}
td,th{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right;white-space:nowrap}
.url,.evidence{color:#57606a;font-size:.85em}.none{color:#57606a}
.summary{display:flex;flex-wrap:wrap;gap:.6em;margin:.8em 0;padding:0;list-style:none}
.summary li{border:1px solid #d0d7de;border-radius:6px;padding:.4em .9em;min-width:6em}
.summary .n{display:block;font-size:1.6em;font-weight:bold}
.verdict-healthy{background:#dafbe1}.verdict-mismatch{background:#ffebe9}
.verdict-down{background:#eaeef2}.verdict-false-negative{background:#fff8c5}
.verdict-unknown{background:#ddf4ff}.verdict-degraded{background:#fff1e5}
tr[class^=verdict-]>td:nth-child(-n+4){white-space:nowrap}
tr.verdict-healthy>td:nth-child(2){color:#116329;font-weight:bold}
tr.verdict-mismatch>td:nth-child(2){color:#a40e26;font-weight:bold}
tr.verdict-down>td:nth-child(2){color:#24292f;font-weight:bold}
tr.verdict-false-negative>td:nth-child(2){color:#7d4e00;font-weight:bold}
tr.verdict-unknown>td:nth-child(2){color:#0550ae;font-weight:bold}
tr.verdict-degraded>td:nth-child(2){color:#953800;font-weight:bold}
code.cause{font-size:.85em;background:#fff;border:1px solid #d0d7de;border-radius:4px;
padding:0 .3em}
.recent-grid{display:flex;flex-wrap:wrap;gap:0 2em;align-items:flex-start}
.recent td{background:#fff;white-space:nowrap}
.check{white-space:nowrap}.recent .ok{color:#116329}.recent .failed{color:#a40e26;font-weight:bold}
footer{margin-top:2em;color:#57606a;font-size:.85em}
)css";

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

// An id attribute and its fragment must match byte for byte, and a fragment cannot carry
// spaces or quotes: anything outside [A-Za-z0-9_.:-] (all a target name may hold) becomes '-'.
std::string AnchorFor(std::string_view target_name) {
  std::string id = "recent-";
  for (char c : target_name) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '_' || c == '.' || c == ':' || c == '-';
    id += plain ? c : '-';
  }
  return id;
}

std::string HealthText(const engine::HealthProbeSnapshot& health) {
  if (!health.has_result) return "no result yet";
  // A passing tcp or grpc check has no HTTP status to show.
  std::string text = health.error != std::nullopt ? std::string(healthgap::ToString(health.error))
                     : health.status_code != 0    ? std::to_string(health.status_code)
                                                  : std::string("passed");
  text += " in " + HumanDuration(health.duration);
  if (!health.error_detail.empty()) text += ": " + health.error_detail;
  return text;
}

// RFC 3339 in UTC, to the millisecond: "2024-05-01T12:00:03.250Z".
std::string FormatTime(std::chrono::system_clock::time_point at) {
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char date_time[32];
  std::strftime(date_time, sizeof date_time, "%Y-%m-%dT%H:%M:%S", &utc);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", date_time, static_cast<int>(millis % 1000));
  return out;
}

// The time of day only ("12:00:03.250"), the full time in the datetime attribute: recent
// probes span seconds, and the narrow column lets several targets' tables sit side by side.
std::string TimeElement(std::chrono::system_clock::time_point at) {
  const std::string full = FormatTime(at);
  return "<time datetime=\"" + full + "\" title=\"" + full + "\">" + full.substr(11, 12) +
         "</time>";
}

// "ok", or "failed: <reason>" (the reason for a sample, else the transport error).
std::string ResultText(const engine::RecentProbe& entry) {
  if (entry.success) return "ok";
  if (entry.reason) return "failed: " + std::string(healthgap::ToString(*entry.reason));
  if (entry.error != std::nullopt) {
    return "failed: " + std::string(healthgap::ToString(entry.error));
  }
  return "failed";
}

std::string StatusOrErrorText(const engine::RecentProbe& entry) {
  if (entry.error != std::nullopt) return std::string(healthgap::ToString(entry.error));
  return std::to_string(entry.status_code);
}

// The status cell; a transport error's own words are its tooltip, to keep the column narrow.
std::string StatusOrErrorCell(const engine::RecentProbe& entry) {
  const std::string title =
      entry.error_detail.empty() ? "" : " title=\"" + EscapeHtml(entry.error_detail) + "\"";
  return "<td" + title + ">" + EscapeHtml(StatusOrErrorText(entry)) + "</td>";
}

std::string PercentText(double ratio) {
  char out[32];
  std::snprintf(out, sizeof out, "%.1f %%", ratio * 100);
  return out;
}

std::string LbViewText(eval::LbState state) {
  switch (state) {
    case eval::LbState::kHealthy:
      return "healthy (in rotation)";
    case eval::LbState::kUnhealthy:
      return "unhealthy (out of rotation)";
    case eval::LbState::kUnknown:
      break;
  }
  return "unknown (not decided yet)";
}

// A target with a liveness check besides its readiness check shows both, each by its role,
// the primary (the one the LB uses and the verdict follows) marked.
std::string CheckLabel(const engine::HealthCheckSnapshot& check) {
  return std::string(engine::ToString(check.role)) + (check.primary ? " (primary)" : "");
}

// The LB view cell: the primary check's view alone, or every check's.
std::string LbViewCell(const engine::TargetSnapshot& target) {
  std::string cell;
  if (target.checks.size() <= 1) {
    cell = LbViewText(target.lb.state);
  } else {
    for (const auto& check : target.checks) {
      cell += "<div class=\"check\">" + CheckLabel(check) + ": " + LbViewText(check.lb_state) +
              "</div>";
    }
  }
  // With an lb_source: the balancer's own word, and whether the verdict follows it.
  if (const auto& real = target.real_lb) {
    cell += "<div class=\"evidence\">" + EscapeHtml(real->source) + ": " +
            (real->server.empty() ? std::string("server not found")
                                  : EscapeHtml(real->server) + " " + EscapeHtml(real->state)) +
            (real->fresh ? ", decides" : ", stale: emulated decides") + "</div>";
  }
  return cell;
}

// The last health probe cell, likewise.
std::string LastHealthCell(const engine::TargetSnapshot& target) {
  if (target.checks.size() <= 1) return EscapeHtml(HealthText(target.primary().last));
  std::string cell;
  for (const auto& check : target.checks) {
    const std::string& where =
        check.type == config::HealthCheckType::kHttp ? check.path : check.url;
    cell += "<div class=\"check\">" + CheckLabel(check) + " <span class=\"url\">" +
            EscapeHtml(where) + "</span>: " + EscapeHtml(HealthText(check.last)) + "</div>";
  }
  return cell;
}

std::array<int, eval::kAllVerdicts.size()> CountVerdicts(const engine::EngineSnapshot& snapshot) {
  std::array<int, eval::kAllVerdicts.size()> counts{};
  for (const auto& target : snapshot.targets) {
    ++counts[static_cast<std::size_t>(target.decision.verdict)];
  }
  return counts;
}

void RenderSummary(const engine::EngineSnapshot& snapshot, std::ostringstream& html) {
  const auto counts = CountVerdicts(snapshot);
  html << "<section id=\"summary\">\n<h2>Verdicts</h2>\n<ul class=\"summary\">\n";
  for (eval::Verdict verdict : kVerdictDisplayOrder) {
    const std::string_view name = eval::ToString(verdict);
    html << "<li class=\"verdict-" << name << "\" id=\"count-" << name << "\"><span class=\"n\">"
         << counts[static_cast<std::size_t>(verdict)] << "</span> " << name << "</li>\n";
  }
  html << "<li id=\"count-total\"><span class=\"n\">" << snapshot.targets.size()
       << "</span> targets</li>\n</ul>\n</section>\n";
}

// What the user view's state rests on, under the window's error ratio: "state rests on 6 of 6
// failed, 90% interval 61.0%-100%".
std::string EvidenceLine(const engine::TargetSnapshot& target) {
  const eval::ProportionEstimate& evidence = target.api_evidence;
  if (evidence.trials == 0) return "";
  return "<div class=\"evidence\">state rests on " + std::to_string(evidence.events) + " of " +
         std::to_string(evidence.trials) + " failed, 90% interval " + PercentText(evidence.low) +
         "-" + PercentText(evidence.high) + "</div>";
}

// With a traffic_source: what real users' requests came to, and whether they decide.
std::string TrafficLine(const engine::TargetSnapshot& target) {
  const auto& real = target.real_traffic;
  if (!real) return "";
  std::string line = "<div class=\"evidence\">" + EscapeHtml(real->source) + ": ";
  if (real->server.empty()) return line + "server not found, samples decide</div>";
  char rate[32];
  std::snprintf(rate, sizeof rate, "%.1f/s", real->window.request_rate);
  line += std::to_string(real->window.failures) + " of " + std::to_string(real->window.requests) +
          " real requests failed, " + rate;
  if (real->decides) return line + ", decides</div>";
  if (!real->fresh) return line + ", stale: samples decide</div>";
  return line + (real->window.idle ? ", idle: samples decide</div>" : ", undecided</div>");
}

// One table of targets: the configured ones (section "targets") or the /probe ones ("probed").
void RenderTargetTable(std::string_view id, std::string_view title,
                       std::span<const engine::TargetSnapshot> targets, std::string_view none,
                       std::ostringstream& html) {
  html << "<section id=\"" << id << "\">\n<h2>" << title << "</h2>\n";
  if (targets.empty()) {
    html << "<p class=\"none\">" << none << "</p>\n</section>\n";
    return;
  }
  html << "<table>\n<thead><tr><th>Target</th><th>Verdict</th><th>LB view</th>"
          "<th>Last health probe</th><th>User view (window)</th><th>Error ratio</th>"
          "<th>Latency p50 / p99</th><th>Why</th></tr></thead>\n<tbody>\n";
  for (const auto& target : targets) {
    const std::string_view verdict = eval::ToString(target.decision.verdict);
    const auto& window = target.api_window;
    // The verdict cell stays a bare "<td>verdict</td>": scripts and tests grep for it.
    html << "<tr class=\"verdict-" << verdict << "\"><td><a href=\"#"
         << EscapeHtml(AnchorFor(target.name)) << "\">" << EscapeHtml(target.name)
         << "</a><div class=\"url\">" << EscapeHtml(target.base_url)
         << (target.module.empty() ? "" : " (module " + EscapeHtml(target.module) + ")")
         << "</div></td><td>" << verdict << "</td><td>" << LbViewCell(target) << "</td><td>"
         << LastHealthCell(target) << "</td><td class=\"num\">" << window.total - window.failures
         << " ok / " << window.failures << " failed</td>";
    if (window.total > 0) {
      html << "<td class=\"num\">" << PercentText(window.error_ratio) << EvidenceLine(target)
           << TrafficLine(target) << "</td><td class=\"num\">" << HumanDuration(window.latency_p50)
           << " / " << HumanDuration(window.latency_p99) << "</td>";
    } else {
      html << "<td class=\"num none\">n/a</td><td class=\"num none\">n/a</td>";
    }
    html << "<td>";
    if (target.decision.cause != eval::Cause::kNone) {
      html << "<code class=\"cause\">" << eval::ToString(target.decision.cause) << "</code> ";
    }
    html << EscapeHtml(target.decision.reason) << "</td></tr>\n";
  }
  html << "</tbody>\n</table>\n</section>\n";
}

void RenderRecentProbes(const engine::EngineSnapshot& snapshot, std::ostringstream& html) {
  html << "<section id=\"recent-probes\">\n<h2>Recent probes</h2>\n"
          "<p class=\"none\">The last probes of each target, newest first: the health check "
          "(as the load balancer sends it) and the API samples (as users send them).</p>\n"
          "<div class=\"recent-grid\">\n";
  for (const auto& target : snapshot.targets) {
    html << "<div class=\"recent-target\"><h3 id=\"" << EscapeHtml(AnchorFor(target.name)) << "\">"
         << EscapeHtml(target.name) << "</h3>\n";
    if (target.recent.empty()) {
      html << "<p class=\"none\">No probe completed yet.</p></div>\n";
      continue;
    }
    html << "<table class=\"recent\">\n<thead><tr><th>Time (UTC)</th><th>What</th>"
            "<th>Result</th><th>Status / error</th><th>Duration</th></tr></thead>\n<tbody>\n";
    for (auto it = target.recent.rbegin(); it != target.recent.rend(); ++it) {
      html << "<tr><td>" << TimeElement(it->at) << "</td><td>" << EscapeHtml(it->what)
           << "</td><td class=\"" << (it->success ? "ok" : "failed") << "\">"
           << EscapeHtml(ResultText(*it)) << "</td>" << StatusOrErrorCell(*it)
           << "<td class=\"num\">" << HumanDuration(it->duration) << "</td></tr>\n";
    }
    html << "</tbody>\n</table></div>\n";
  }
  html << "</div>\n</section>\n";
}

nlohmann::json RecentJson(const engine::RecentProbe& entry) {
  return {
      {"at", FormatTime(entry.at)},
      {"what", entry.what},
      {"success", entry.success},
      {"status_code", entry.status_code},
      {"error", healthgap::ToString(entry.error)},
      {"reason", entry.reason ? nlohmann::json(healthgap::ToString(*entry.reason)) : nullptr},
      {"error_detail", entry.error_detail},
      {"duration_seconds", ToSeconds(entry.duration)},
  };
}

}  // namespace

nlohmann::json RealTrafficJson(const engine::TargetSnapshot& target) {
  const auto& real = target.real_traffic;
  if (!real) return nullptr;
  return {{"source", real->source},
          {"type", real->type},
          {"server", real->server},
          {"requests_total", real->requests_total},
          {"failures_total", real->failures_total},
          {"window_requests", real->window.requests},
          {"window_failures", real->window.failures},
          {"request_rate", real->window.request_rate},
          {"fresh", real->fresh},
          {"idle", real->window.idle},
          {"decides", real->decides}};
}

nlohmann::json TargetJson(const engine::TargetSnapshot& target) {
  nlohmann::json failures = nlohmann::json::object();
  for (auto reason : kAllFailureReasons) {
    const int count = target.api_window.failures_by_reason[static_cast<std::size_t>(reason)];
    if (count > 0) failures[std::string(healthgap::ToString(reason))] = count;
  }
  nlohmann::json recent = nlohmann::json::array();  // newest last, like the snapshot
  for (const auto& entry : target.recent) recent.push_back(RecentJson(entry));
  nlohmann::json checks = nlohmann::json::array();  // the primary first
  for (const auto& check : target.checks) {
    checks.push_back({{"check", engine::ToString(check.role)},
                      {"type", config::ToString(check.type)},
                      {"path", check.path},
                      {"url", check.url},
                      {"lb", check.lb},
                      {"primary", check.primary},
                      {"lb_view", eval::ToString(check.lb_state)},
                      {"last_health", HealthText(check.last)}});
  }
  return nlohmann::json{
      {"target", target.name},
      {"url", target.base_url},
      {"module", target.module},
      {"labels", target.labels},
      {"verdict", eval::ToString(target.decision.verdict)},
      {"reason", target.decision.reason},
      {"cause", eval::ToString(target.decision.cause)},
      {"lb_view", eval::ToString(target.lb.state)},
      {"lb_view_source", target.lb_view_source},
      {"api_view_source", target.api_view_source},
      {"last_health", HealthText(target.primary().last)},
      {"health_checks", checks},
      {"api_window",
       {{"samples", target.api_window.total},
        {"failures", target.api_window.failures},
        {"error_ratio", target.api_window.error_ratio},
        {"failures_by_reason", failures},
        {"latency_p50_seconds", ToSeconds(target.api_window.latency_p50)},
        {"latency_p99_seconds", ToSeconds(target.api_window.latency_p99)}}},
      {"api_evidence",
       {{"samples", target.api_evidence.trials},
        {"failures", target.api_evidence.events},
        {"error_ratio", target.api_evidence.ratio},
        {"error_ratio_lower", target.api_evidence.low},
        {"error_ratio_upper", target.api_evidence.high}}},
      {"recent", recent},
      {"real_traffic", RealTrafficJson(target)},
  };
}

std::string RenderStatusJson(const engine::EngineSnapshot& snapshot) {
  nlohmann::json summary = nlohmann::json::object();
  const auto counts = CountVerdicts(snapshot);
  for (eval::Verdict verdict : eval::kAllVerdicts) {
    summary[std::string(eval::ToString(verdict))] = counts[static_cast<std::size_t>(verdict)];
  }
  nlohmann::json targets = nlohmann::json::array();
  for (const auto& target : snapshot.targets) targets.push_back(TargetJson(target));
  nlohmann::json probed = nlohmann::json::array();
  for (const auto& target : snapshot.probed) probed.push_back(TargetJson(target));
  return nlohmann::json{{"summary", summary}, {"targets", targets}, {"probed", probed}}.dump(2) +
         "\n";
}

std::string RenderStatusHtml(const engine::EngineSnapshot& snapshot) {
  std::ostringstream html;
  html << "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<title>healthgap status</title>"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
          "<meta http-equiv=\"refresh\" content=\"5\"><style>"
       << kStyle
       << "</style></head><body>\n<header><h1>healthgap</h1>\n"
          "<p>What the load balancer sees (its health check) against what users see (the real "
          "API). Refreshes every 5 s.</p>\n"
          "<nav><a href=\"/metrics\">Metrics</a> &middot; "
          "<a href=\"/api/v1/status\">Status as JSON</a></nav>\n</header>\n";
  RenderSummary(snapshot, html);
  RenderTargetTable("targets", "Targets", snapshot.targets, "No targets configured.", html);
  RenderTargetTable("probed", "Probed through /probe", snapshot.probed,
                    "No /probe scrapes yet (or none in the last hour).", html);
  RenderRecentProbes(snapshot, html);
  html << "<footer>Verdicts: <b>healthy</b> in rotation and the API works; <b>mismatch</b> in "
          "rotation while the API fails (the health check lies); <b>down</b> out of rotation "
          "and the API fails; <b>false-negative</b> out of rotation while the API works; "
          "<b>degraded</b> in rotation and the API works, but the health check's own body "
          "reports a failing dependency; <b>unknown</b> not enough data "
          "yet.</footer>\n</body></html>\n";
  return html.str();
}

}  // namespace healthgap::server
