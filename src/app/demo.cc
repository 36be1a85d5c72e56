#include "app/demo.h"

#include <csignal>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <vector>

#include "app/demo_haproxy.h"
#include "app/exporter_app.h"
#include "app/signals.h"
#include "common/log.h"
#include "config/loader.h"
#include "demo/backend.h"
#include "demo/mode.h"
#include "eval/verdict.h"
#include "server/web_config.h"

namespace healthgap::app {

namespace {

// Fast intervals so verdicts settle within seconds; thresholds as a careful LB would use them.
constexpr char kDemoDefaults[] =
    R"(# healthgap demo: the embedded config, with the demo backends' real ports.
defaults:
  health:
    path: /health
    interval: 2s
    timeout: 1s
    healthy_threshold: 2
    unhealthy_threshold: 2
  sample:
    interval: 3s
    timeout: 3s
  evaluation:
    window: 30s
    max_error_ratio: 0.2
    min_samples: 5
targets:
)";

std::string Pad(std::string_view text, std::size_t width) {
  std::string out(text);
  if (out.size() < width) out.append(width - out.size(), ' ');
  return out;
}

// Prints the live table; returns whether every target shows its expected verdict.
bool PrintVerdicts(const engine::EngineSnapshot& snapshot, std::ostream& out) {
  bool settled = true;
  out << "\n"
      << Pad("TARGET", 17) << Pad("EXPECTED", 16) << Pad("VERDICT", 16) << Pad("CAUSE", 17)
      << Pad("LB VIEW", 20) << Pad("API (window)", 18) << "WHY\n";
  for (const auto& target : snapshot.targets) {
    const auto mode = demo::ParseDemoMode(target.name);
    const std::string_view expected =
        mode ? demo::ExpectationFor(*mode).expected_verdict : std::string_view("?");
    const std::string_view expected_cause =
        mode ? demo::ExpectationFor(*mode).expected_cause : std::string_view("?");
    const std::string_view verdict = eval::ToString(target.decision.verdict);
    const std::string_view cause = eval::ToString(target.decision.cause);
    const bool as_expected = verdict == expected && cause == expected_cause;
    settled = settled && as_expected;
    std::ostringstream api;
    api << target.api_window.total - target.api_window.failures << "/" << target.api_window.total
        << (target.api_view_source == "synthetic" ? " ok" : " ok real");
    std::string lb(eval::ToString(target.lb.state));
    if (target.lb_view_source != "emulated") lb += " (" + std::string(target.lb_view_source) + ")";
    out << Pad(target.name, 17) << Pad(expected, 16)
        << Pad(std::string(verdict) + (as_expected ? "" : " *"), 16) << Pad(cause, 17)
        << Pad(lb, 20) << Pad(api.str(), 18) << target.decision.reason << "\n";
  }
  out << (settled ? "All verdicts as expected.\n"
                  : "(* not yet the expected verdict or cause: still collecting samples)\n");
  out.flush();
  return settled;
}

}  // namespace

std::string DemoConfigYaml(const std::vector<std::string>& base_urls,
                           const std::vector<int>& grpc_ports, const DemoHaproxy* haproxy) {
  std::string yaml = kDemoDefaults;
  if (haproxy) yaml = haproxy->SourcesYaml() + yaml;
  const auto modes = demo::AllDemoModes();
  for (std::size_t i = 0; i < modes.size() && i < base_urls.size(); ++i) {
    yaml += "  - name: " + std::string(demo::ToString(modes[i])) + "\n";
    yaml += "    url: " + base_urls[i] + "\n";
    yaml += "    labels: {scenario: demo}\n";
    if (haproxy) yaml += haproxy->TargetYaml(std::string(demo::ToString(modes[i])));
    // The balancer's own check, at the demo's 2 s interval: an NLB's or HAProxy's TCP connect,
    // and a Kubernetes or Envoy gRPC health check on the gRPC server's port.
    const std::string_view type = demo::HealthCheckTypeFor(modes[i]);
    if (type == "tcp") yaml += "    health: {type: tcp}\n";
    if (type == "grpc") {
      const int port = i < grpc_ports.size() ? grpc_ports[i] : 0;
      yaml += "    health: {type: grpc, port: " + std::to_string(port) + "}\n";
    }
    yaml += "    samples:\n";
    yaml += "      - {name: data, path: /api/data}\n";
    yaml += "      - {name: orders, path: /api/orders}\n";
  }
  return yaml;
}

int RunDemo(const DemoOptions& options) {
  const std::optional<ListenAddress> address = ListenAddressFlag(options.listen_address);
  if (!address) return 2;
  const std::optional<server::WebConfig> web = LoadWebConfigFlag(options.web_config_file);
  if (!web) return 2;
  BlockTerminationSignals();

  std::vector<std::unique_ptr<demo::DemoBackend>> backends;
  std::vector<std::string> base_urls;
  std::vector<int> grpc_ports;
  for (demo::DemoMode mode : demo::AllDemoModes()) {
    auto backend = std::make_unique<demo::DemoBackend>(mode);
    std::string error;
    if (!backend->Start(&error)) {
      std::cerr << "cannot start demo backend " << demo::ToString(mode) << ": " << error << "\n";
      return 1;
    }
    base_urls.push_back(backend->base_url());
    grpc_ports.push_back(backend->grpc_port());
    backends.push_back(std::move(backend));
  }

  // A few backends behind a real HAProxy: one whose check tells the truth, one whose check lies,
  // one whose check removes a working server.
  std::unique_ptr<DemoHaproxy> haproxy;
  if (options.with_haproxy) {
    std::vector<DemoHaproxyBackend> behind;
    for (const auto& backend : backends) {
      const demo::DemoMode mode = backend->mode();
      if (mode != demo::DemoMode::kHonest && mode != demo::DemoMode::kShallowHealth &&
          mode != demo::DemoMode::kFalseNegative) {
        continue;
      }
      std::string host_port = backend->base_url();
      host_port = host_port.substr(host_port.find("://") + 3);
      behind.push_back({std::string(demo::ToString(mode)), host_port});
    }
    haproxy = std::make_unique<DemoHaproxy>(behind);
    if (!haproxy->ok()) {
      std::cerr << "healthgap demo --with-haproxy: " << haproxy->error() << "\n";
      return 2;
    }
  }
  const std::string yaml = DemoConfigYaml(base_urls, grpc_ports, haproxy.get());
  if (options.print_config) {
    std::cout << yaml;
    return 0;
  }
  config::LoadResult loaded = config::LoadString(yaml, "<embedded demo config>");
  if (!loaded.config) {
    std::cerr << "embedded demo config is invalid: " << loaded.error->Format() << "\n";
    return 1;
  }
  ExporterApp app(std::move(*loaded.config), nullptr);
  std::string error;
  if (!app.Start(*address, &error, *web)) {
    std::cerr << error << "\n";
    return 1;
  }

  const std::string exporter_url =
      (web->tls ? "https://" : "http://") +
      (address->host == "0.0.0.0" ? std::string("127.0.0.1") : address->host) + ":" +
      std::to_string(app.port());
  std::cout << "healthgap demo: one backend per failure mode, probed as a load balancer and as "
               "users would.\n\n";
  for (const auto& backend : backends) {
    const auto expectation = demo::ExpectationFor(backend->mode());
    std::cout << "  " << Pad(demo::ToString(backend->mode()), 17) << backend->base_url() << "  "
              << expectation.explanation << "\n";
  }
  std::cout << "\nMetrics:     " << exporter_url << "/metrics\n"
            << "Status page: " << exporter_url << "/\n"
            << "Try:         healthgap check " << backends[1]->base_url()
            << " --health /health --sample /api/data\n"
            << (haproxy ? "HAProxy:     honest, shallow-health and false-negative are behind a "
                          "real HAProxy; its stats socket decides their LB view and users' "
                          "requests through it their user view (docs/sources.md).\n"
                        : "")
            << "Verdicts settle within about 15 s; Ctrl-C stops.\n";
  std::cout.flush();

  const auto started = std::chrono::steady_clock::now();
  bool settled = false;
  while (true) {
    const int signal = WaitForSignal(options.print_every);
    if (signal == SIGINT || signal == SIGTERM) break;
    settled = PrintVerdicts(app.Snapshot(), std::cout);
    if (options.exit_when_settled && settled) break;
    if (options.duration.count() > 0 &&
        std::chrono::steady_clock::now() - started >= options.duration) {
      break;
    }
  }
  app.Stop();
  haproxy.reset();
  for (auto& backend : backends) backend->Stop();
  return options.exit_when_settled && !settled ? 1 : 0;
}

}  // namespace healthgap::app
