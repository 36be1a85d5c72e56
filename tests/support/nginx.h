#pragma once

// A real nginx (Debian's), started by the test with its own config in a temporary directory,
// on a loopback port picked at run time; stopped (SIGTERM) when the object goes. The test
// writes the server blocks; "{PORT}" in them is the port.

#include <stdlib.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "support/loopback_daemon.h"
#include "support/temp_dir.h"

namespace healthgap::testing {

class Nginx {
 public:
  explicit Nginx(const std::string& server_blocks)
      : daemon_([&](int port) {
          WriteConfig(server_blocks, port);
          return std::vector<std::string>{"nginx",      "-p", dir_.path().string(),  "-c",
                                          "nginx.conf", "-e", dir_.Path("error.log")};
        }) {}

  // 0 when nginx could not start; error() says why.
  int port() const { return daemon_.port(); }
  std::string error() const {
    std::ifstream log(dir_.Path("error.log"));
    return std::string(std::istreambuf_iterator<char>(log), {});
  }

 private:
  void WriteConfig(std::string servers, int port) {
    for (auto at = servers.find("{PORT}"); at != std::string::npos; at = servers.find("{PORT}")) {
      servers.replace(at, 6, std::to_string(port));
    }
    const std::string dir = dir_.path().string();
    std::ofstream(dir_.Path("nginx.conf"))
        << "daemon off;\nmaster_process off;\nworker_processes 1;\npid " << dir
        << "/nginx.pid;\nerror_log " << dir << "/error.log warn;\n"
        << "events { worker_connections 64; }\nhttp {\n  access_log off;\n"
        << "  client_body_temp_path " << dir << "/body;\n  proxy_temp_path " << dir
        << "/proxy;\n  fastcgi_temp_path " << dir << "/fastcgi;\n  uwsgi_temp_path " << dir
        << "/uwsgi;\n  scgi_temp_path " << dir << "/scgi;\n"
        << servers << "\n}\n";
  }

  TempDir dir_;  // declared first: removed after the daemon stopped
  LoopbackDaemon daemon_;
};

}  // namespace healthgap::testing
