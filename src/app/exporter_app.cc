#include "app/exporter_app.h"

#include <iostream>

#include "common/log.h"
#include "server/status_page.h"

namespace healthgap::app {

namespace {

double UnixSeconds(std::chrono::system_clock::time_point at) {
  return std::chrono::duration<double>(at.time_since_epoch()).count();
}

}  // namespace

std::optional<server::WebConfig> LoadWebConfigFlag(const std::string& file) {
  if (file.empty()) return server::WebConfig{};
  server::WebConfigResult loaded = server::LoadWebConfigFile(file);
  if (!loaded.config) {
    std::cerr << "invalid --web.config.file: " << loaded.error->Format() << "\n";
    return std::nullopt;
  }
  return std::move(*loaded.config);
}

std::optional<ListenAddress> ListenAddressFlag(const std::string& text) {
  std::string error;
  std::optional<ListenAddress> address = ParseListenAddress(text, &error);
  if (!address) std::cerr << "invalid --web.listen-address: " << error << "\n";
  return address;
}

namespace {

std::vector<std::unique_ptr<probe::HttpClient>> IoLoops(const Clock& clock, std::size_t count) {
  std::vector<std::unique_ptr<probe::HttpClient>> loops;
  for (std::size_t i = 0; i < probe::ShardedClient::ShardCount(count); ++i) {
    loops.push_back(std::make_unique<probe::CurlMultiClient>(clock));
  }
  return loops;
}

}  // namespace

ExporterApp::ExporterApp(config::Config initial, std::function<config::LoadResult()> reload_source,
                         const EngineSettings& settings)
    : http_client_(IoLoops(clock_, settings.io_loops)),
      probe_http_client_(clock_),
      grpc_client_(clock_),
      engine_(clock_, client_, {.max_in_flight = settings.max_in_flight}),
      probe_endpoint_(clock_, probe_client_),
      reload_source_(std::move(reload_source)),
      server_(server::Endpoints{
          .metrics =
              [this](const std::function<void(std::string_view)>& sink) {
                const engine::Engine::LiveFleet fleet = engine_.Scrape();
                metrics::WriteExposition(fleet, fleet.stats(), fleet.sources(), Status(), sink);
              },
          .status_html = [this] { return server::RenderStatusHtml(Snapshot()); },
          .status_json = [this] { return server::RenderStatusJson(Snapshot()); },
          .reload = [this] { return Reload(); },
          .probe =
              [this](const server::ProbeRequest& request) {
                return probe_endpoint_.Handle(request);
              },
      }) {
  engine_.Apply(initial);
  probe_endpoint_.Configure(initial);
  sources_.Apply(initial.sources);
  last_reload_success_seconds_ = UnixSeconds(clock_.WallNow());
}

ExporterApp::~ExporterApp() { Stop(); }

engine::EngineSnapshot ExporterApp::Snapshot() const {
  engine::EngineSnapshot snapshot = engine_.Snapshot();
  snapshot.probed = probe_endpoint_.Snapshots();
  return snapshot;
}

metrics::ExporterStatus ExporterApp::Status() const {
  const ProbeEndpoint::Counters probes = probe_endpoint_.counters();
  std::lock_guard lock(reload_mu_);
  return metrics::ExporterStatus{
      .version = HEALTHGAP_VERSION,
      .last_reload_successful = last_reload_successful_,
      .last_reload_success_timestamp_seconds = last_reload_success_seconds_,
      .probe_requests_ok = probes.ok,
      .probe_requests_refused = probes.refused,
      .probe_requests_invalid = probes.invalid,
  };
}

bool ExporterApp::Start(const ListenAddress& address, std::string* error,
                        const server::WebConfig& web) {
  engine_.Start();
  if (!server_.Start(address, error, web)) {
    engine_.Stop();
    return false;
  }
  return true;
}

void ExporterApp::Stop() {
  server_.Stop();
  sources_.Stop();
  engine_.Stop();
}

std::optional<std::string> ExporterApp::Reload() {
  std::lock_guard lock(reload_mu_);
  if (!reload_source_) {
    last_reload_successful_ = false;
    return std::string("this exporter was started without a config file to reload");
  }
  config::LoadResult loaded = reload_source_();
  if (!loaded.config) {
    last_reload_successful_ = false;
    const std::string error = loaded.error ? loaded.error->Format() : "unknown error";
    log::Error("config reload failed, keeping the running config", {{"err", error}});
    return error;
  }
  engine_.Apply(*loaded.config);
  probe_endpoint_.Configure(*loaded.config);
  sources_.Apply(loaded.config->sources);
  last_reload_successful_ = true;
  last_reload_success_seconds_ = UnixSeconds(clock_.WallNow());
  log::Info("config reloaded", {{"targets", std::to_string(loaded.config->targets.size())}});
  return std::nullopt;
}

}  // namespace healthgap::app
