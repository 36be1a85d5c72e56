#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace healthgap::app {

struct DemoOptions {
  std::string listen_address = "127.0.0.1:9310";
  std::string web_config_file;  // --web.config.file (exporter-toolkit format); empty: none
  std::chrono::seconds print_every{5};
  // 0: run until SIGINT/SIGTERM.
  std::chrono::seconds duration{0};
  // Stop as soon as every target shows its expected verdict (exit 0), or fail (exit 1) when
  // `duration` runs out first. For CI and scripted runs.
  bool exit_when_settled = false;
  bool print_config = false;  // print the embedded config with the real ports and exit
  // Put a real HAProxy in front of a few backends, read its stats socket as a source and send
  // users' requests through it (app/demo_haproxy.h).
  bool with_haproxy = false;
};

class DemoHaproxy;

// `healthgap demo`: one demo backend per failure mode on loopback, the exporter probing them with
// the embedded config, and a live table of verdicts against what each backend should get.
int RunDemo(const DemoOptions& options);

// The embedded demo config for backends listening on `base_urls` (in AllDemoModes() order);
// `grpc_ports` (parallel, 0 for none) are the grpc-checked backend's gRPC health service's.
// With `haproxy`, the targets behind it also read it as their lb_source and traffic_source.
std::string DemoConfigYaml(const std::vector<std::string>& base_urls,
                           const std::vector<int>& grpc_ports,
                           const DemoHaproxy* haproxy = nullptr);

}  // namespace healthgap::app
