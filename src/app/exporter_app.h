#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "app/probe_endpoint.h"
#include "app/source_poller.h"
#include "common/clock.h"
#include "config/loader.h"
#include "engine/engine.h"
#include "metrics/collector.h"
#include "probe/curl_multi_client.h"
#include "probe/grpc_health_client.h"
#include "probe/sharded_client.h"
#include "server/exporter_server.h"

namespace healthgap::app {

// The --web.config.file flag: the default (plain HTTP) when `file` is empty, the loaded config,
// or nullopt after printing the error (file:line: field: message) to stderr.
std::optional<server::WebConfig> LoadWebConfigFlag(const std::string& file);

// The --web.listen-address flag, or nullopt after printing why it is not one to stderr.
std::optional<ListenAddress> ListenAddressFlag(const std::string& text);

// How the background engine probes: `serve`'s --probe.* flags.
struct EngineSettings {
  // curl I/O loops (threads) the configured targets are spread over; 0: one per core.
  std::size_t io_loops = 0;
  // Requests in flight at most, over every loop (engine::Engine::Options); 0: no bound.
  std::size_t max_in_flight = kDefaultMaxInFlight;
  // libcurl's work per transfer grows with the transfers in flight, so past a few thousand a
  // saturated loop slows down and its queued probes time out (docs/benchmarks.md: 40,000
  // targets sent 4,292 of 12,000 requests/s with 20,000 in flight, 11,343 with 2,000).
  static constexpr std::size_t kDefaultMaxInFlight = 2'000;
};

// The running exporter: probe engine, /metrics collector and HTTP server around one config,
// with reload. Shared by `serve` and `demo`. Thread-safe.
class ExporterApp {
 public:
  // `reload_source` produces the config a reload switches to (normally: read the file again);
  // without one, reload reports that it is unsupported.
  ExporterApp(config::Config initial, std::function<config::LoadResult()> reload_source,
              const EngineSettings& settings = {});
  ~ExporterApp();
  ExporterApp(const ExporterApp&) = delete;
  ExporterApp& operator=(const ExporterApp&) = delete;

  // `web`: --web.config.file (TLS, basic auth, headers); the default is plain HTTP.
  bool Start(const ListenAddress& address, std::string* error, const server::WebConfig& web = {});
  void Stop();

  // Switches to the config from reload_source; on error keeps the running config, flips
  // healthgap_config_last_reload_successful to 0 and returns the error.
  std::optional<std::string> Reload();

  // The configured targets' state, and the /probe targets' as their last scrapes left it.
  engine::EngineSnapshot Snapshot() const;
  int port() const { return server_.port(); }

 private:
  // What /metrics reports beside the engine: build, reloads, /probe requests.
  metrics::ExporterStatus Status() const;

  RealClock clock_;
  probe::ShardedClient http_client_;  // CurlMultiClient loops
  // /probe runs on the HTTP server's thread that serves it, no hop to client_'s I/O thread.
  probe::CurlCallerThreadClient probe_http_client_;
  probe::GrpcHealthClient grpc_client_;  // gRPC health checks, of both
  probe::ProtocolRouter client_{http_client_, grpc_client_};
  probe::ProtocolRouter probe_client_{probe_http_client_, grpc_client_};
  engine::Engine engine_;
  SourcePoller sources_{clock_, engine_};  // after engine_: stopped before it goes
  ProbeEndpoint probe_endpoint_;
  std::function<config::LoadResult()> reload_source_;
  server::ExporterServer server_;

  mutable std::mutex reload_mu_;
  bool last_reload_successful_ = true;      // guarded by reload_mu_
  double last_reload_success_seconds_ = 0;  // guarded by reload_mu_
};

}  // namespace healthgap::app
