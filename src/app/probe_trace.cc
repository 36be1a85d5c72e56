#include "app/probe_trace.h"

#include <sstream>

#include "common/duration_text.h"
#include "common/tls_version.h"
#include "config/health_endpoint.h"
#include "eval/lb_view.h"
#include "eval/verdict.h"

namespace healthgap::app {
namespace {

// A phase's seconds as every other duration of the trace is written.
std::string PhaseText(double seconds) {
  return HumanDuration(
      std::chrono::duration_cast<Duration>(std::chrono::duration<double>(seconds)));
}

void TraceRequest(std::ostringstream& out, std::string_view what, const std::string& method,
                  const std::string& url, const probe::HttpResult& result,
                  const eval::Outcome& outcome) {
  out << "  " << what << ": " << method << " " << url << "\n    ";
  if (result.error) {
    out << "no response: " << ToString(*result.error) << ": " << result.error_message;
  } else if (result.grpc) {
    out << "gRPC status " << result.grpc->code;
    if (result.grpc->serving_status) out << ", serving status " << *result.grpc->serving_status;
  } else if (result.status_code == 0) {
    out << "connected, " << result.body_bytes << " reply bytes";
  } else {
    out << "status " << result.status_code << ", " << result.body_bytes << " body bytes";
  }
  out << ", " << HumanDuration(result.total) << "\n";
  const probe::PhaseTimings& phases = result.phases;
  out << "    phases: resolve " << PhaseText(phases.resolve) << ", connect "
      << PhaseText(phases.connect) << ", tls " << PhaseText(phases.tls) << ", processing "
      << PhaseText(phases.processing) << ", transfer " << PhaseText(phases.transfer) << "\n";
  if (result.tls) {
    out << "    tls: " << (result.tls->version ? VersionLabel(*result.tls->version) : "unknown")
        << ", earliest certificate expiry "
        << static_cast<long long>(result.tls->earliest_cert_expiry)
        << (result.tls->last_chain_expiry ? "" : ", chain not verified") << "\n";
  }
  out << "    judged: "
      << (outcome.success ? std::string("pass")
                          : "FAIL (" + std::string(ToString(outcome.reason)) + ")")
      << "\n";
}

}  // namespace

std::string RenderProbeTrace(const ProbeTrace& trace) {
  const config::Target& target = *trace.target;
  const engine::TargetSnapshot& snapshot = *trace.snapshot;
  std::ostringstream out;
  out << "Probe of " << target.base_url << " with module \"" << trace.module
      << "\": " << trace.rounds->size() << " round(s)\n\n";
  for (std::size_t round = 0; round < trace.rounds->size(); ++round) {
    const engine::PairedRound& results = (*trace.rounds)[round];
    out << "Round " << round + 1 << ":\n";
    for (std::size_t i = 0; i < results.health.size(); ++i) {
      const config::HealthCheck& check = trace.health_checks[i];
      // tcp and grpc checks send no HTTP method: their URL (tcp://, grpc://) says what was done.
      const bool http = check.type == config::HealthCheckType::kHttp;
      TraceRequest(out, "health (" + std::string(engine::ToString(check.role)) + ")",
                   http ? check.method : std::string(config::ToString(check.type)),
                   http ? target.UrlFor(check.path) : config::DisplayUrl(target, check),
                   results.health[i], results.health_outcomes[i]);
    }
    for (std::size_t i = 0; i < results.samples.size(); ++i) {
      const config::ApiSample& sample = target.samples[i];
      TraceRequest(out, "sample " + sample.name, sample.method, target.UrlFor(sample.path),
                   results.samples[i], results.sample_outcomes[i]);
    }
    out << "  LB view after the round: " << eval::ToString(results.lb_after) << "\n\n";
  }
  const config::HealthCheck& primary = target.health;
  out << "LB view: " << eval::ToString(snapshot.lb.state) << " (lb " << primary.lb
      << ": in rotation after " << primary.healthy_threshold << " passes, out after "
      << primary.unhealthy_threshold << " failures, over consecutive scrapes)\n";
  out << "User view: " << snapshot.api_window.failures << " of " << snapshot.api_window.total
      << " samples failed in the window (failing above " << target.evaluation.max_error_ratio * 100
      << "%, at least " << target.evaluation.min_samples << " samples)\n";
  out << "Verdict: " << eval::ToString(snapshot.decision.verdict) << " (cause "
      << eval::ToString(snapshot.decision.cause) << ")"
      << (snapshot.decision.reason.empty() ? "" : ": " + snapshot.decision.reason) << "\n\n";
  out << "Metrics that would have been returned:\n" << trace.exposition;
  return out.str();
}

}  // namespace healthgap::app
