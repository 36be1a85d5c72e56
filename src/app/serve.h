#pragma once

#include <string>

#include "app/exporter_app.h"

namespace healthgap::app {

struct ServeOptions {
  std::string config_file;
  std::string listen_address = ":9310";
  std::string web_config_file;  // --web.config.file (exporter-toolkit format); empty: none
  std::string shard;            // --shard I/N: probe only this replica's share; empty: all
  EngineSettings engine;        // --probe.io-loops, --probe.max-in-flight
};

// `healthgap serve`: probes the configured targets and serves /metrics until SIGINT or
// SIGTERM; SIGHUP and POST /-/reload reload the config. Returns the exit code: 0 after a
// signal, 2 for a bad config, web config or listen address, 1 if it cannot listen.
int RunServe(const ServeOptions& options);

// `healthgap check-config FILE`: 0 when valid, 2 with the error (file:line: field: message).
int RunCheckConfig(const std::string& file);

}  // namespace healthgap::app
