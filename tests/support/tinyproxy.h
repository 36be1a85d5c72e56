#pragma once

// A real HTTP proxy (Debian's tinyproxy), started by the test with its own config on a loopback
// port picked at run time; it adds a Via header to what it forwards, so a backend can tell a
// proxied request from a direct one.

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "support/loopback_daemon.h"
#include "support/temp_dir.h"

namespace healthgap::testing {

class Tinyproxy {
 public:
  Tinyproxy()
      : daemon_([this](int port) {
          std::ofstream(dir_.Path("tinyproxy.conf"))
              << "Port " << port << "\nListen 127.0.0.1\nTimeout 30\nMaxClients 16\n"
              << "Allow 127.0.0.1\nViaProxyName \"healthgap-test-proxy\"\n"
              << "LogLevel Info\nLogFile \"" << dir_.Path("tinyproxy.log") << "\"\n"
              << "PidFile \"" << dir_.Path("tinyproxy.pid") << "\"\n";
          return std::vector<std::string>{"tinyproxy", "-d", "-c", dir_.Path("tinyproxy.conf")};
        }) {}

  int port() const { return daemon_.port(); }  // 0 when tinyproxy could not start
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }
  std::string log() const {
    std::ifstream file(dir_.Path("tinyproxy.log"));
    return std::string(std::istreambuf_iterator<char>(file), {});
  }

 private:
  TempDir dir_;  // declared first: removed after the daemon stopped
  LoopbackDaemon daemon_;
};

}  // namespace healthgap::testing
