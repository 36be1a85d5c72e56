#include "cli/serve.h"

#include <csignal>
#include <iostream>

#include "cli/exporter_app.h"
#include "cli/signals.h"
#include "common/log.h"
#include "config/loader.h"
#include "server/web_config.h"

namespace healthgap::cli {

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
  std::string address_error;
  const auto address = ParseListenAddress(options.listen_address, &address_error);
  if (!address) {
    std::cerr << "invalid --web.listen-address: " << address_error << "\n";
    return 2;
  }
  config::LoadResult loaded = config::LoadFile(options.config_file);
  if (!loaded.config) {
    std::cerr << loaded.error->Format() << "\n";
    return 2;
  }
  server::WebConfig web;
  if (!options.web_config_file.empty()) {
    server::WebConfigResult web_loaded = server::LoadWebConfigFile(options.web_config_file);
    if (!web_loaded.config) {
      std::cerr << "invalid --web.config.file: " << web_loaded.error->Format() << "\n";
      return 2;
    }
    web = std::move(*web_loaded.config);
  }
  BlockTerminationSignals();
  const std::size_t targets = loaded.config->targets.size();
  ExporterApp app(std::move(*loaded.config),
                  [file = options.config_file] { return config::LoadFile(file); });
  std::string error;
  if (!app.Start(*address, &error, web)) {
    log::Error("cannot start", {{"err", error}});
    return 1;
  }
  log::Info("healthgap serving", {{"version", HEALTHGAP_VERSION},
                                  {"config", options.config_file},
                                  {"targets", std::to_string(targets)},
                                  {"address", address->host + ":" + std::to_string(app.port())}});
  while (true) {
    const int signal = WaitForSignal(std::chrono::hours(1));
    if (signal == SIGHUP) {
      app.Reload();
    } else if (signal != 0) {
      log::Info("shutting down", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
      break;
    }
  }
  app.Stop();
  return 0;
}

}  // namespace healthgap::cli
