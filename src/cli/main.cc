// healthgap: does your health check tell the truth?
// Subcommands: serve, check, check-config, audit, chaos, demo, demo-backend, version.

#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "app/audit.h"
#include "app/check.h"
#include "app/demo.h"
#include "app/serve.h"
#include "cli/flags.h"
#include "common/allocator.h"
#include "common/log.h"
#include "config/values.h"
#include "demo/backend.h"
#include "demo/mode.h"
#include "probe/curl_multi_client.h"
#include "probe/grpc_health_client.h"

namespace {

using namespace healthgap;
using cli::DurationValidator;
using cli::ToSeconds;

constexpr int kUsageError = 2;

// As Go programs do (Prometheus, blackbox_exporter): the soft open-file limit up to the hard
// one. Debian's default of 1024 is below what thousands of targets' sockets, or the server's
// connection cap (half the limit), need.
void RaiseOpenFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int main(int argc, char** argv) {
  allocator::Tune();
  RaiseOpenFileLimit();
  CLI::App app{
      "healthgap: probes health checks as a load balancer does and real endpoints as "
      "users do, and tells you when the health check lies."};
  app.require_subcommand(1);
  // `healthgap --version`, as Prometheus' tools take it; the `version` subcommand says the same.
  app.set_version_flag("--version", std::string("healthgap ") + HEALTHGAP_VERSION + " (" +
                                        std::string(allocator::Name()) + ")");
  std::string log_level = "info";
  app.add_option("--log.level", log_level, "debug, info, warn or error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));

  app::ServeOptions serve;
  CLI::App* serve_cmd = app.add_subcommand("serve", "Probe the configured targets, serve /metrics");
  serve_cmd->add_option("--config", serve.config_file, "YAML config file")->required();
  serve_cmd
      ->add_option("--web.listen-address", serve.listen_address,
                   "Address for /metrics, HOST:PORT or :PORT")
      ->capture_default_str();
  serve_cmd->add_option("--shard", serve.shard,
                        "I/N: probe only the targets with StableHash(name) % N == I (N replicas)");
  serve_cmd->add_option("--web.config.file", serve.web_config_file,
                        "TLS and basic auth config, exporter-toolkit format (docs/security.md)");
  serve_cmd
      ->add_option("--probe.io-loops", serve.engine.io_loops,
                   "curl I/O loops (threads) the targets are spread over; 0: one per core")
      ->capture_default_str();
  serve_cmd
      ->add_option("--probe.max-in-flight", serve.engine.max_in_flight,
                   "Requests in flight at most; a run due beyond it is skipped and counted in "
                   "healthgap_probes_skipped_total{reason=\"capacity\"}; 0: no bound")
      ->capture_default_str();

  std::string config_to_check;
  CLI::App* check_config_cmd =
      app.add_subcommand("check-config", "Validate a config file; exit 0 if valid, 2 if not");
  check_config_cmd->add_option("file", config_to_check, "YAML config file")->required();

  app::CheckOptions check;
  CLI::App* check_cmd =
      app.add_subcommand("check", "One-shot: does this target's health check tell the truth?");
  cli::AddCheckOptions(*check_cmd, check);

  app::DemoOptions demo;
  std::string demo_duration = "0s";
  std::string demo_print_every = "5s";
  CLI::App* demo_cmd = app.add_subcommand(
      "demo", "Run one demo backend per failure mode and the exporter probing them");
  demo_cmd
      ->add_option("--web.listen-address", demo.listen_address,
                   "Address for the exporter's /metrics")
      ->capture_default_str();
  demo_cmd->add_option("--web.config.file", demo.web_config_file,
                       "TLS and basic auth config, exporter-toolkit format (docs/security.md)");
  demo_cmd->add_option("--duration", demo_duration, "Stop after this long (default: never)")
      ->check(DurationValidator());
  demo_cmd->add_option("--print-every", demo_print_every, "How often to print verdicts")
      ->capture_default_str()
      ->check(DurationValidator());
  demo_cmd->add_flag("--exit-when-settled", demo.exit_when_settled,
                     "Exit 0 once every target shows its expected verdict; 1 if --duration "
                     "runs out first");
  demo_cmd->add_flag("--print-config", demo.print_config,
                     "Print the embedded config (with the backends' ports) and exit");
  demo_cmd->add_flag("--with-haproxy", demo.with_haproxy,
                     "Put a real HAProxy (when installed) in front of three backends: its stats "
                     "socket and users' requests through it decide their views");

  std::string backend_mode;
  std::string backend_listen = "127.0.0.1:8080";
  CLI::App* backend_cmd =
      app.add_subcommand("demo-backend", "Serve one demo backend reproducing a failure mode");
  backend_cmd->add_option("--mode", backend_mode, demo::DemoModeNames())->required();
  backend_cmd->add_option("--listen", backend_listen, "HOST:PORT")->capture_default_str();

  app::AuditOptions audit;
  CLI::App* audit_cmd = app.add_subcommand(
      "audit",
      "Read balancer configs (haproxy.cfg, nginx, Kubernetes manifests): how long a broken "
      "server keeps traffic, and what goes against the reference's rules; exit 0 clean, 1 "
      "findings, 2 bad input");
  audit_cmd->add_option("files", audit.files, "Balancer config files")->required();
  audit_cmd->add_option("--format", audit.format, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  audit_cmd->add_option("--rps", audit.rps, "Requests per second each pool receives")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  audit_cmd->add_option("--emit-config", audit.emit_config,
                        "Write a healthgap config probing the servers as the balancer does "
                        "(FILE, or - for stdout)");

  app::ChaosOptions chaos;
  CLI::App* chaos_cmd = app.add_subcommand(
      "chaos",
      "Break each dependency through a fault proxy and see whether the health check notices, "
      "when the LB would act and what users pay meanwhile");
  cli::AddChaosOptions(*chaos_cmd, chaos);

  app.add_subcommand("version", "Print the version");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return cli::ExitCodeForParseError(app, error, std::cout, std::cerr);
  }
  log::SetLevel(*log::ParseLevel(log_level));

  if (serve_cmd->parsed()) return app::RunServe(serve);
  if (check_config_cmd->parsed()) return app::RunCheckConfig(config_to_check);
  if (audit_cmd->parsed()) return app::RunAudit(audit, std::cout, std::cerr);
  if (chaos_cmd->parsed()) return app::RunChaosCommand(chaos, std::cout, std::cerr);
  if (check_cmd->parsed()) {
    RealClock clock;
    probe::CurlMultiClient http(clock);
    probe::GrpcHealthClient grpc(clock);
    probe::ProtocolRouter client(http, grpc);
    return app::RunCheck(check, client, clock, std::cout);
  }
  if (demo_cmd->parsed()) {
    demo.duration = ToSeconds(demo_duration);
    demo.print_every = std::max(std::chrono::seconds(1), ToSeconds(demo_print_every));
    return app::RunDemo(demo);
  }
  if (backend_cmd->parsed()) {
    const auto mode = demo::ParseDemoMode(backend_mode);
    if (!mode) {
      std::cerr << "unknown --mode \"" << backend_mode << "\"; want one of "
                << demo::DemoModeNames() << "\n";
      return kUsageError;
    }
    return demo::RunDemoBackend(*mode, backend_listen, std::cerr);
  }
  std::cout << "healthgap " << HEALTHGAP_VERSION << " (" << allocator::Name() << ")\n";
  return 0;
}
