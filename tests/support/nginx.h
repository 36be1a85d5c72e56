#pragma once

// A real nginx (Debian's), started by the test with its own config in a temporary directory,
// on a loopback port picked at run time; stopped (SIGTERM) when the object goes. The test
// writes the server blocks; "{PORT}" in them is the port.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "support/hostile_server.h"
#include "support/poll_until.h"
#include "support/subprocess.h"

namespace healthgap::testing {

class Nginx {
 public:
  explicit Nginx(const std::string& server_blocks) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "healthgap-nginx-XXXXXX").string();
    dir_ = mkdtemp(pattern.data());
    // A port another test takes between the pick and nginx's bind makes nginx exit: pick again.
    for (int attempt = 0; attempt < 5 && port_ == 0; ++attempt) {
      const int port = UnusedLoopbackPort();
      WriteConfig(server_blocks, port);
      process_ = std::make_unique<Subprocess>(
          std::vector<std::string>{"nginx", "-p", dir_.string(), "-c", "nginx.conf", "-e",
                                   (dir_ / "error.log").string()},
          Subprocess::Stderr::kMergeIntoStdout);
      if (PollUntil([&] { return Accepts(port) || process_->WaitForExit({}).has_value(); },
                    std::chrono::seconds(20)) &&
          Accepts(port)) {
        port_ = port;
      }
    }
  }
  ~Nginx() {
    process_.reset();
    std::filesystem::remove_all(dir_);
  }

  // 0 when nginx could not start; error() says why.
  int port() const { return port_; }
  std::string error() const {
    std::ifstream log(dir_ / "error.log");
    return std::string(std::istreambuf_iterator<char>(log), {});
  }

 private:
  static bool Accepts(int port) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool connected = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    close(fd);
    return connected;
  }

  void WriteConfig(std::string servers, int port) {
    for (auto at = servers.find("{PORT}"); at != std::string::npos; at = servers.find("{PORT}")) {
      servers.replace(at, 6, std::to_string(port));
    }
    const std::string dir = dir_.string();
    std::ofstream(dir_ / "nginx.conf")
        << "daemon off;\nmaster_process off;\nworker_processes 1;\npid " << dir
        << "/nginx.pid;\nerror_log " << dir << "/error.log warn;\n"
        << "events { worker_connections 64; }\nhttp {\n  access_log off;\n"
        << "  client_body_temp_path " << dir << "/body;\n  proxy_temp_path " << dir
        << "/proxy;\n  fastcgi_temp_path " << dir << "/fastcgi;\n  uwsgi_temp_path " << dir
        << "/uwsgi;\n  scgi_temp_path " << dir << "/scgi;\n"
        << servers << "\n}\n";
  }

  std::filesystem::path dir_;
  std::unique_ptr<Subprocess> process_;
  int port_ = 0;
};

}  // namespace healthgap::testing
