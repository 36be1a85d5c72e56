#pragma once

// A real daemon (nginx, tinyproxy, ...) started by a test on a loopback port picked at run time,
// stopped (SIGTERM) with the object. A port another test takes between the pick and the
// daemon's bind makes the daemon exit: it picks again, a few times.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "support/hostile_server.h"
#include "support/poll_until.h"
#include "support/subprocess.h"

namespace healthgap::testing {

// True when something accepts TCP connections on 127.0.0.1:port.
inline bool AcceptsOnLoopback(int port) {
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

class LoopbackDaemon {
 public:
  // `command(port)` writes whatever config the daemon needs for `port` and returns its argv.
  explicit LoopbackDaemon(const std::function<std::vector<std::string>(int port)>& command) {
    for (int attempt = 0; attempt < 5 && port_ == 0; ++attempt) {
      const int port = UnusedLoopbackPort();
      process_ = std::make_unique<Subprocess>(command(port), Subprocess::Stderr::kMergeIntoStdout);
      if (PollUntil(
              [&] { return AcceptsOnLoopback(port) || process_->WaitForExit({}).has_value(); },
              std::chrono::seconds(20)) &&
          AcceptsOnLoopback(port)) {
        port_ = port;
      }
    }
  }
  void Stop() { process_.reset(); }

  int port() const { return port_; }  // 0 when the daemon could not start

 private:
  std::unique_ptr<Subprocess> process_;
  int port_ = 0;
};

}  // namespace healthgap::testing
