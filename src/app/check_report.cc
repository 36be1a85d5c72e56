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
#include "eval/proportion.h"
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

// The results of the last round that sent `kind` (a side that was clear early stops sending;
// the first round sends everything).
const std::vector<probe::HttpResult>& LastRoundWith(
    const std::vector<engine::PairedRound>& rounds,
    std::vector<probe::HttpResult> engine::PairedRound::*kind) {
  for (auto round = rounds.rbegin(); round != rounds.rend(); ++round) {
    if (!((*round).*kind).empty()) return (*round).*kind;
  }
  return rounds.front().*kind;
}

// "20%", "99%", "0.5%": a ratio as people read it.
std::string Percent(double ratio) {
  std::ostringstream text;
  text << std::setprecision(3) << ratio * 100 << "%";
  return text.str();
}

// "failed API samples: 16 of 40 (40%, 99% interval 25.1%-56.9%): failing, above 20%".
std::string DescribeSide(std::string_view what, const eval::ProportionEstimate& estimate,
                         eval::ThresholdSide side, double threshold, double confidence) {
  std::string text = std::string(what) + ": " + std::to_string(estimate.events) + " of " +
                     std::to_string(estimate.trials) + " (" + Percent(estimate.ratio) + ", " +
                     Percent(confidence) + " interval " + Percent(estimate.low) + "-" +
                     Percent(estimate.high) + "): ";
  switch (side) {
    case eval::ThresholdSide::kBelow:
      return text + "clearly at or below " + Percent(threshold);
    case eval::ThresholdSide::kAbove:
      return text + "clearly above " + Percent(threshold);
    case eval::ThresholdSide::kUndecided:
      break;
  }
  return text + "not clear of " + Percent(threshold);
}

// The emulated LB's state round by round, as runs: "unknown 1, healthy 2-30". At most a dozen
// runs are spelled out; a flapping check's rest is counted.
std::string LbTimeline(const std::vector<engine::PairedRound>& rounds) {
  constexpr std::size_t kMaxRuns = 12;
  std::string text;
  std::size_t runs = 0;
  std::size_t first = 0;
  for (std::size_t i = 0; i < rounds.size(); ++i) {
    if (i + 1 < rounds.size() && rounds[i + 1].lb_after == rounds[i].lb_after) continue;
    if (++runs <= kMaxRuns) {
      if (!text.empty()) text += ", ";
      text += std::string(eval::ToString(rounds[i].lb_after)) + " " + std::to_string(first + 1);
      if (i > first) {
        text += '-';
        text += std::to_string(i + 1);
      }
    }
    first = i + 1;
  }
  if (runs > kMaxRuns) {
    text += " and ";
    text += std::to_string(runs - kMaxRuns);
    text += " more changes";
  }
  return text;
}

// Per path: how many passed and failed, why, latency and the last answer.
class SummaryTable {
 public:
  void Add(const std::string& name, const eval::WindowSummary& summary,
           const std::string& last_status) {
    const std::string reasons =
        eval::TopFailureReasons(summary.failures_by_reason, kFailureReasonCount);
    table_.AddRow({name, std::to_string(summary.total - summary.failures),
                   std::to_string(summary.failures), reasons.empty() ? "-" : reasons,
                   HumanDuration(summary.latency_p50), HumanDuration(summary.latency_max),
                   last_status});
  }
  void Print(std::ostream& out) const { table_.Print(out, "  "); }

 private:
  Table table_{{"path", "ok", "failed", "reasons", "p50", "max", "last"}};
};

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
      << (plan.origin.empty() ? "" : " (" + plan.origin + ")") << ": up to "
      << Counted(plan.rounds, "round", "rounds") << " until both sides are clear at "
      << Percent(plan.confidence) << " confidence, lb " << plan.target.health.lb
      << (same_timeouts ? ", timeout " : ", health timeout ")
      << config::FormatDuration(health_timeout);
  if (!same_timeouts && !samples.empty()) {
    out << ", API timeout " << config::FormatDuration(samples.front().timeout);
  }
  out << ", spacing " << config::FormatDuration(plan.spacing) << ", worst case "
      << config::FormatDuration(WorstCaseDuration(plan)) << "\n\n";
}

namespace {

// With --config and a target that names sources: what each said, and which view it decided.
void PrintSources(const engine::TargetSnapshot& snapshot, std::ostream& out) {
  if (!snapshot.real_lb && !snapshot.real_traffic) return;
  out << "sources:\n";
  if (const auto& real = snapshot.real_lb) {
    out << "  LB view: " << real->source << " (" << real->type << ") "
        << (real->server.empty() ? std::string("has no such server")
                                 : "says " + real->server + " " + real->state)
        << (snapshot.lb_view_source == real->type ? ": decides" : ": the emulation decides")
        << "\n";
  }
  if (const auto& real = snapshot.real_traffic) {
    std::ostringstream rate;
    rate << std::fixed << std::setprecision(1) << real->window.request_rate;
    out << "  user view: " << real->source << " (" << real->type << "): ";
    if (real->server.empty()) {
      out << "no such server: the samples decide\n";
    } else {
      out << real->window.failures << " of " << real->window.requests
          << " real requests failed during the check, " << rate.str() << "/s"
          << (real->decides       ? ": decides"
              : real->window.idle ? ": too few, the samples decide"
                                  : ": not clear, the samples decide")
          << "\n";
    }
  }
  out << "\n";
}

}  // namespace

void PrintCheckReport(const CheckPlan& plan, const engine::PairedProbeResult& run,
                      std::ostream& out) {
  const auto& samples = plan.target.samples;
  const double threshold = plan.target.evaluation.max_error_ratio;

  out << "LB view: health checks on fresh connections, pass on "
      << PassCriterion(plan.health_checks.front()) << ", in rotation after "
      << Counted(run.healthy_threshold, "pass", "passes") << ", out after "
      << Counted(run.unhealthy_threshold, "failure", "failures") << "\n";
  SummaryTable health_table;
  for (std::size_t i = 0; i < run.per_health.size(); ++i) {
    const probe::HttpResult& last = LastRoundWith(run.rounds, &engine::PairedRound::health)[i];
    health_table.Add(HealthLabel(plan, i), run.per_health[i],
                     last.error ? DescribeStatus(last) : StatusText(last));
  }
  health_table.Print(out);
  out << "  LB state by round: " << LbTimeline(run.rounds) << "\n";
  out << "  "
      << DescribeSide("failed health rounds", run.health_failures, run.health_side, threshold,
                      run.confidence)
      << "\n\n";

  const bool same_matchers = std::all_of(samples.begin(), samples.end(), [&](const auto& sample) {
    return sample.expected_status == samples.front().expected_status;
  });
  out << "User view: API samples, success on "
      << (same_matchers ? DescribeStatusMatcher(samples.front().expected_status)
                        : std::string("each sample's expected status"))
      << ", failing above " << Percent(threshold) << " errors\n";
  SummaryTable sample_table;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    sample_table.Add(samples[i].path, run.per_sample[i],
                     DescribeStatus(LastRoundWith(run.rounds, &engine::PairedRound::samples)[i]));
  }
  const eval::WindowSummary& api = run.snapshot.api_window;
  if (samples.size() > 1) sample_table.Add("all", api, "");
  sample_table.Print(out);
  out << "  "
      << DescribeSide("failed API samples", run.api_failures, run.api_side, threshold,
                      run.confidence)
      << "\n\n";
  PrintTransportErrors(plan, run, out);
  PrintHealthEvidence(run.snapshot, out);

  PrintSources(run.snapshot, out);
  const eval::Decision& decision = run.snapshot.decision;
  const eval::HealthSummary& health = run.snapshot.lb;
  out << "evidence: " << Counted(static_cast<int>(run.rounds.size()), "round", "rounds") << ", "
      << Counted(api.total, "API sample", "API samples")
      << (run.decided() ? ", both sides clear" : ", not clear") << "\n";

  std::string why = decision.reason;
  if (decision.verdict == eval::Verdict::kUnknown) {
    // Decide's "waiting for data" fits a running monitor; this check has finished.
    std::vector<std::string> unclear;
    if (run.health_side == eval::ThresholdSide::kUndecided) unclear.emplace_back("health");
    if (run.api_side == eval::ThresholdSide::kUndecided) unclear.emplace_back("API");
    why = "after " + Counted(static_cast<int>(run.rounds.size()), "round", "rounds") + " the " +
          (unclear.size() == 2 ? unclear[0] + " and " + unclear[1] : unclear.front()) +
          " error ratio could still be on either side of " + Percent(threshold) +
          " (see the intervals above): more rounds (--max-rounds, --max-duration) or a lower "
          "--confidence would decide";
  } else if (run.health_side == eval::ThresholdSide::kAbove &&
             run.health_failures.events < run.health_failures.trials) {
    // Decide quotes the last check, which may have passed: the verdict rests on the share.
    why = "health check failed " + std::to_string(run.health_failures.events) + " of " +
          Counted(run.health_failures.trials, "round", "rounds") +
          " (a flapping check: a load balancer keeps taking the target out) while " +
          (decision.verdict == eval::Verdict::kDown
               ? std::to_string(api.failures) + "/" + std::to_string(api.total) +
                     " API samples failed"
               : std::to_string(api.total - api.failures) + "/" + std::to_string(api.total) +
                     " API samples succeeded");
  } else if (why.empty()) {
    why = "health check " + eval::DescribeLastHealthCheck(health) + " and " +
          std::to_string(api.total - api.failures) + "/" + std::to_string(api.total) +
          " API samples succeeded";
  }
  out << "why: " << why << "\n";
  if (decision.verdict != eval::Verdict::kHealthy) {
    out << "cause: " << eval::ToString(decision.cause) << "\n";
  }
  out << "verdict: "
      << (decision.verdict == eval::Verdict::kUnknown ? std::string_view("inconclusive")
                                                      : eval::ToString(decision.verdict))
      << "\n";
}

}  // namespace healthgap::app
