#pragma once

// A real HTTP proxy (Debian's tinyproxy), started by the test with its own config on a loopback
// port picked at run time; it adds a Via header to what it forwards, so a backend can tell a
// proxied request from a direct one.

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "support/loopback_daemon.h"

namespace healthgap::testing {

class Tinyproxy {
 public:
  Tinyproxy()
      : dir_(MakeDir()), daemon_([this](int port) {
          std::ofstream(dir_ / "tinyproxy.conf")
              << "Port " << port << "\nListen 127.0.0.1\nTimeout 30\nMaxClients 16\n"
              << "Allow 127.0.0.1\nViaProxyName \"healthgap-test-proxy\"\n"
              << "LogLevel Info\nLogFile \"" << (dir_ / "tinyproxy.log").string() << "\"\n"
              << "PidFile \"" << (dir_ / "tinyproxy.pid").string() << "\"\n";
          return std::vector<std::string>{"tinyproxy", "-d", "-c",
                                          (dir_ / "tinyproxy.conf").string()};
        }) {}
  ~Tinyproxy() {
    daemon_.Stop();
    std::filesystem::remove_all(dir_);
  }

  int port() const { return daemon_.port(); }  // 0 when tinyproxy could not start
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }
  std::string log() const {
    std::ifstream file(dir_ / "tinyproxy.log");
    return std::string(std::istreambuf_iterator<char>(file), {});
  }

 private:
  static std::filesystem::path MakeDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "healthgap-tinyproxy-XXXXXX").string();
    return mkdtemp(pattern.data());
  }

  std::filesystem::path dir_;
  LoopbackDaemon daemon_;
};

}  // namespace healthgap::testing
