#pragma once

// A slowloris for tests: many raw TCP connections to a loopback port, each of which sends the
// start of something (a request head, a TLS ClientHello, or nothing) and then no more than a
// byte now and then. Bounded: at most `count` connections, each closed by the destructor.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <string>
#include <vector>

namespace healthgap::testing {

class SlowClients {
 public:
  // Opens up to `count` connections to 127.0.0.1:`port`, sending `prefix` on each. Raises this
  // process's open-file limit as far as the hard limit allows first.
  SlowClients(int port, std::size_t count, const std::string& prefix) {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
      limit.rlim_cur = limit.rlim_max;
      ::setrlimit(RLIMIT_NOFILE, &limit);
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (std::size_t i = 0; i < count; ++i) {
      const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd < 0) break;
      if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
        ::close(fd);
        break;
      }
      if (!prefix.empty()) ::send(fd, prefix.data(), prefix.size(), MSG_NOSIGNAL);
      fds_.push_back(fd);
    }
  }
  ~SlowClients() {
    for (int fd : fds_) ::close(fd);
  }
  SlowClients(const SlowClients&) = delete;
  SlowClients& operator=(const SlowClients&) = delete;

  std::size_t connected() const { return fds_.size(); }

  // One more byte on every connection, as a slowloris keeps its requests alive; returns how
  // many connections took it (the server may have closed the others).
  std::size_t Trickle(char byte = 'a') {
    std::size_t sent = 0;
    for (int fd : fds_) sent += ::send(fd, &byte, 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1 ? 1 : 0;
    return sent;
  }

 private:
  std::vector<int> fds_;
};

}  // namespace healthgap::testing
