#include "app/serve.h"

#include <csignal>
#include <iostream>
#include <memory>
#include <mutex>

#include "app/exporter_app.h"
#include "app/signals.h"
#include "common/log.h"
#include "config/file_sd.h"
#include "config/loader.h"
#include "config/shard.h"
#include "server/web_config.h"

namespace healthgap::app {

namespace {

// The config serve runs: the file's static targets plus the file_sd targets, cut to this
// replica's shard. A file_sd change goes through ExporterApp::Reload like SIGHUP, so it is
// applied atomically and the engine keeps the state of targets that stay. Thread-safe: reloads
// come from the signal loop and from POST /-/reload.
class ServedConfigSource {
 public:
  ServedConfigSource(std::string file, config::Shard shard, const Clock& clock)
      : file_(std::move(file)), shard_(shard), clock_(clock) {}

  // Reads the config file, restarts discovery if its file_sd configs changed, and composes.
  config::LoadResult Load() {
    config::LoadResult loaded = config::LoadFile(file_);
    if (!loaded.config) return loaded;
    config::Config& config = *loaded.config;
    std::lock_guard lock(mu_);
    if (!watcher_ || !watcher_->Watches(config.file_sd_configs, config.modules)) {
      watcher_ =
          std::make_unique<config::FileSdWatcher>(config.file_sd_configs, config.modules, clock_);
      watcher_->Poll();
    }
    config::MergedTargets merged =
        config::MergeTargets(std::move(config.targets), watcher_->Targets());
    for (const std::string& name : merged.dropped) {
      log::Warn("duplicate target name, keeping the first one (static targets come first)",
                {{"target", name}});
    }
    const std::size_t all = merged.targets.size();
    config.targets = config::TargetsOfShard(std::move(merged.targets), shard_);
    log::Info("targets of this shard",
              {{"shard", std::to_string(shard_.index) + "/" + std::to_string(shard_.count)},
               {"targets", std::to_string(config.targets.size())},
               {"all_targets", std::to_string(all)}});
    return loaded;
  }

  // Re-reads the file_sd files that are due; true when the discovered targets changed.
  bool PollDiscovery() {
    std::lock_guard lock(mu_);
    return watcher_ && watcher_->Poll();
  }

 private:
  const std::string file_;
  const config::Shard shard_;
  const Clock& clock_;
  std::mutex mu_;
  std::unique_ptr<config::FileSdWatcher> watcher_;  // guarded by mu_
};

}  // namespace

int RunCheckConfig(const std::string& file) {
  const config::LoadResult loaded = config::LoadFile(file);
  if (!loaded.config) {
    std::cerr << loaded.error->Format() << "\n";
    return 2;
  }
  std::cout << file << ": OK (" << loaded.config->targets.size() << " targets)\n";
  return 0;
}

int RunServe(const ServeOptions& options) {
  const std::optional<ListenAddress> address = ListenAddressFlag(options.listen_address);
  if (!address) return 2;
  config::Shard shard;
  if (!options.shard.empty()) {
    const auto parsed = config::ParseShard(options.shard);
    if (!parsed.value) {
      std::cerr << "invalid --shard: " << parsed.error << "\n";
      return 2;
    }
    shard = *parsed.value;
  }
  RealClock clock;
  auto source = std::make_shared<ServedConfigSource>(options.config_file, shard, clock);
  config::LoadResult loaded = source->Load();
  if (!loaded.config) {
    std::cerr << loaded.error->Format() << "\n";
    return 2;
  }
  const std::optional<server::WebConfig> web = LoadWebConfigFlag(options.web_config_file);
  if (!web) return 2;
  BlockTerminationSignals();
  const std::size_t targets = loaded.config->targets.size();
  ExporterApp app(std::move(*loaded.config), [source] { return source->Load(); },
                  options.engine);
  std::string error;
  if (!app.Start(*address, &error, *web)) {
    log::Error("cannot start", {{"err", error}});
    return 1;
  }
  log::Info("healthgap serving", {{"version", HEALTHGAP_VERSION},
                                  {"config", options.config_file},
                                  {"targets", std::to_string(targets)},
                                  {"address", address->host + ":" + std::to_string(app.port())}});
  while (true) {
    // Wakes every second to re-read the file_sd files that are due.
    const int signal = WaitForSignal(std::chrono::seconds(1));
    if (signal == 0 && source->PollDiscovery()) {
      log::Info("file_sd targets changed, reloading");
      app.Reload();
    } else if (signal == SIGHUP) {
      app.Reload();
    } else if (signal != 0) {
      log::Info("shutting down", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
      break;
    }
  }
  app.Stop();
  return 0;
}

}  // namespace healthgap::app
