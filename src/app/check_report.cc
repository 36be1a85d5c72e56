#include "app/check_report.h"

#include <algorithm>
#include <cstddef>
#include <iomanip>
#include <sstream>
#include <utility>

#include "common/duration_text.h"
#include "config/health_endpoint.h"
#include "config/values.h"
#include "eval/health_body.h"
#include "eval/lb_view.h"
#include "eval/outcome.h"
#include "eval/sample_window.h"
#include "eval/verdict.h"

namespace healthgap::app {
namespace {

// "200-399", "2xx", "200", comma-separated: the spelling --health-status accepts.
std::string DescribeStatusMatcher(const config::StatusMatcher& matcher) {
  std::string text;
  for (const auto& range : matcher.ranges) {
    if (!text.empty()) text += ",";
    if (range.low == range.high) {
      text += std::to_string(range.low);
    } else if (range.low % 100 == 0 && range.high == range.low + 99) {
      text += std::to_string(range.low / 100) + "xx";
    } else {
      text += std::to_string(range.low) + "-" + std::to_string(range.high);
    }
  }
  return text;
}

// "1 round", "3 rounds".
std::string Counted(int count, std::string_view singular, std::string_view plural) {
  return std::to_string(count) + " " + std::string(count == 1 ? singular : plural);
}

std::string DescribeError(std::optional<FailureReason> error) {
  return error == std::nullopt ? "-" : std::string(healthgap::ToString(error));
}

// The status code, or what happened instead of a response.
std::string DescribeStatus(const probe::HttpResult& result) {
  if (result.error != std::nullopt) return std::string(healthgap::ToString(result.error));
  return std::to_string(result.status_code);
}

// Left-aligned columns sized to their widest cell, so paths of any length line up.
class Table {
 public:
  explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }

  void Print(std::ostream& out, std::string_view indent) const {
    std::vector<std::size_t> widths;
    for (const auto& row : rows_) {
      widths.resize(std::max(widths.size(), row.size()));
      for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
    }
    for (const auto& row : rows_) {
      std::string line(indent);
      for (std::size_t i = 0; i < row.size(); ++i) {
        line += row[i];
        if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out << line << "\n";
    }
  }

 private:
  std::vector<std::vector<std::string>> rows_;
};

// How the report names health check `i`: its path for HTTP (the URL is in the header), else
// tcp://HOST:PORT or grpc://HOST:PORT[/SERVICE].
std::string HealthLabel(const CheckPlan& plan, std::size_t i) {
  const config::HealthCheck& check = plan.health_checks[i];
  return check.type == config::HealthCheckType::kHttp ? check.path
                                                      : config::DisplayUrl(plan.target, check);
}

// What makes a check pass, for the LB view's line.
std::string PassCriterion(const config::HealthCheck& check) {
  switch (check.type) {
    case config::HealthCheckType::kTcp:
      return check.tcp.expect ? "a reply matching " + check.tcp.expect->pattern()
                              : std::string("a TCP connect");
    case config::HealthCheckType::kGrpc:
      return check.grpc.expected_codes
                 ? "gRPC codes " + DescribeStatusMatcher(*check.grpc.expected_codes)
                 : std::string("gRPC OK and SERVING");
    case config::HealthCheckType::kHttp:
      break;
  }
  return DescribeStatusMatcher(check.expected_status);
}

// An HTTP status, a gRPC call's code ("grpc 0"), or "-" when neither came back.
std::string StatusText(const probe::HttpResult& result) {
  if (result.grpc) return "grpc " + std::to_string(result.grpc->code);
  return result.status_code == 0 ? "-" : std::to_string(result.status_code);
}

// What the primary health check's responses gave away beyond pass/fail: body components, cache
// evidence, latency against the API's.
void PrintHealthEvidence(const engine::TargetSnapshot& snapshot, std::ostream& out) {
  if (snapshot.checks.empty()) return;
  const engine::HealthCheckSnapshot& check = snapshot.checks.front();
  out << "Health evidence ("
      << (check.type == config::HealthCheckType::kHttp ? check.path : check.url) << "):\n";
  std::string body = check.body_error.empty()
                         ? std::string(eval::ToString(check.body_format))
                         : std::string(eval::ToString(check.body_format)) + ", " + check.body_error;
  std::string components;
  for (const engine::ComponentSnapshot& component : check.components) {
    if (!components.empty()) components += ", ";
    components += component.name + " " + std::string(eval::ToString(component.status));
    if (component.status != eval::ComponentStatus::kPass && !component.detail.empty()) {
      components += " (" + component.detail + ")";
    }
  }
  if (check.components_dropped > 0) {
    components += " and " + std::to_string(check.components_dropped) + " more";
  }
  out << "  body: " << body << (components.empty() ? "" : ": " + components) << "\n";
  std::string cache = check.cache.cached ? "served from a cache" : "no cache evidence";
  for (std::size_t i = 0; i < check.cache.evidence.size(); ++i) {
    cache += (i == 0 ? ": " : "; ") + check.cache.evidence[i];
  }
  out << "  cache: " << cache << "\n";
  std::ostringstream ratio;
  ratio << std::setprecision(3) << snapshot.detachment.latency_ratio;
  out << "  latency: API p50 " << HumanDuration(snapshot.api_window.latency_p50) << " vs health "
      << HumanDuration(snapshot.lb.last_latency) << " (ratio " << ratio.str() << ")"
      << (snapshot.detachment.detached ? ", detached" : "") << "\n\n";
}

// Why requests got no response, in the transport's own words ("SSL certificate problem: ..."),
// each distinct one once: the error columns above only name the reason.
void PrintTransportErrors(const CheckPlan& plan, const engine::PairedProbeResult& run,
                          std::ostream& out) {
  std::vector<std::string> lines;
  auto add = [&lines](const std::string& path, const probe::HttpResult& result) {
    if (result.error == std::nullopt || result.error_message.empty()) return;
    const std::string line =
        path + ": " + std::string(healthgap::ToString(result.error)) + ": " + result.error_message;
    if (std::find(lines.begin(), lines.end(), line) == lines.end()) lines.push_back(line);
  };
  for (const engine::PairedRound& round : run.rounds) {
    for (std::size_t i = 0; i < round.health.size(); ++i)
      add(HealthLabel(plan, i), round.health[i]);
    for (std::size_t i = 0; i < round.samples.size(); ++i)
      add(plan.target.samples[i].path, round.samples[i]);
  }
  if (lines.empty()) return;
  out << "Errors:\n";
  for (const std::string& line : lines) out << "  " << line << "\n";
  out << "\n";
}

}  // namespace

void PrintCheckHeader(const CheckPlan& plan, std::ostream& out) {
  const auto& samples = plan.target.samples;
  const auto health_timeout = plan.health_checks.front().timeout;
  const bool same_timeouts = std::all_of(samples.begin(), samples.end(), [&](const auto& sample) {
    return sample.timeout == health_timeout;
  });
  out << "healthgap check " << plan.target.base_url
      << (plan.origin.empty() ? "" : " (" + plan.origin + ")") << ": "
      << Counted(plan.rounds, "round", "rounds") << ", lb " << plan.target.health.lb
      << (same_timeouts ? ", timeout " : ", health timeout ")
      << config::FormatDuration(health_timeout);
  if (!same_timeouts && !samples.empty()) {
    out << ", API timeout " << config::FormatDuration(samples.front().timeout);
  }
  out << ", spacing " << config::FormatDuration(plan.spacing) << ", worst case "
      << config::FormatDuration(WorstCaseDuration(plan)) << "\n\n";
}

void PrintCheckReport(const CheckPlan& plan, const engine::PairedProbeResult& run,
                      std::ostream& out) {
  const eval::LbState lb_state = run.snapshot.lb.state;
  const auto& samples = plan.target.samples;

  Table health_table({"round", "path", "result", "status", "latency", "error", "lb state"});
  for (std::size_t round = 0; round < run.rounds.size(); ++round) {
    const engine::PairedRound& results = run.rounds[round];
    for (std::size_t i = 0; i < results.health.size(); ++i) {
      const auto& result = results.health[i];
      const bool last_of_round = i + 1 == results.health.size();
      health_table.AddRow({std::to_string(round + 1), HealthLabel(plan, i),
                           results.health_outcomes[i].success ? "pass" : "FAIL", StatusText(result),
                           HumanDuration(result.total), DescribeError(result.error),
                           last_of_round ? std::string(eval::ToString(results.lb_after)) : ""});
    }
  }

  out << "LB view: health checks on fresh connections, pass on "
      << PassCriterion(plan.health_checks.front()) << ", in rotation after "
      << Counted(run.healthy_threshold, "pass", "passes") << ", out after "
      << Counted(run.unhealthy_threshold, "failure", "failures") << "\n";
  health_table.Print(out, "  ");
  out << "  LB state: " << eval::ToString(lb_state) << "\n\n";

  std::ostringstream ratio;
  ratio << std::setprecision(3) << plan.target.evaluation.max_error_ratio * 100;
  const bool same_matchers = std::all_of(samples.begin(), samples.end(), [&](const auto& sample) {
    return sample.expected_status == samples.front().expected_status;
  });
  out << "User view: API samples, success on "
      << (same_matchers ? DescribeStatusMatcher(samples.front().expected_status)
                        : std::string("each sample's expected status"))
      << ", failing above " << ratio.str() << "% errors\n";
  Table sample_table({"path", "ok", "failed", "reasons", "p50", "max", "last status"});
  auto add_summary_row = [&sample_table](const std::string& name,
                                         const eval::WindowSummary& summary,
                                         const std::string& last_status) {
    const std::string reasons =
        eval::TopFailureReasons(summary.failures_by_reason, kFailureReasonCount);
    sample_table.AddRow({name, std::to_string(summary.total - summary.failures),
                         std::to_string(summary.failures), reasons.empty() ? "-" : reasons,
                         HumanDuration(summary.latency_p50), HumanDuration(summary.latency_max),
                         last_status});
  };
  for (std::size_t i = 0; i < samples.size(); ++i) {
    add_summary_row(samples[i].path, run.per_sample[i],
                    DescribeStatus(run.rounds.back().samples[i]));
  }
  const eval::WindowSummary& api = run.snapshot.api_window;
  if (samples.size() > 1) add_summary_row("all", api, "");
  sample_table.Print(out, "  ");
  out << "\n";
  PrintTransportErrors(plan, run, out);
  PrintHealthEvidence(run.snapshot, out);

  const eval::Decision& decision = run.snapshot.decision;
  const eval::HealthSummary& health = run.snapshot.lb;

  std::string why = decision.reason;
  if (decision.verdict == eval::Verdict::kUnknown && lb_state == eval::LbState::kUnknown) {
    // Decide's "waiting for data" fits a running monitor; this check has finished.
    why = "health check passed " + std::to_string(run.health_rounds_passed) + " of " +
          std::to_string(plan.rounds) + " rounds but never " +
          Counted(run.healthy_threshold, "pass", "passes") + " or " +
          Counted(run.unhealthy_threshold, "failure", "failures") +
          " in a row, so a load balancer would not decide";
  } else if (why.empty()) {
    why = "health check " + eval::DescribeLastHealthCheck(health) + " and " +
          std::to_string(api.total - api.failures) + "/" + std::to_string(api.total) +
          " API samples succeeded";
  }
  out << "why: " << why << "\n";
  if (decision.verdict != eval::Verdict::kHealthy) {
    out << "cause: " << eval::ToString(decision.cause) << "\n";
  }
  out << "verdict: " << eval::ToString(decision.verdict) << "\n";
}

}  // namespace healthgap::app
