#include "sources/haproxy_runtime.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace healthgap::sources {
namespace {

using Clock = std::chrono::steady_clock;

// Closes the socket on every path out.
class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// Waits until `fd` is ready for `events` or `deadline` passes; false on timeout.
bool WaitFor(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd entry{fd, events, 0};
    const int ready = ::poll(&entry, 1, static_cast<int>(left.count()));
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return true;  // let the next call report the error
  }
}

std::string SystemError(std::string_view what) {
  return std::string(what) + ": " + std::strerror(errno);
}

}  // namespace

RuntimeAnswer RunRuntimeCommand(const SocketAddress& address, std::string_view command,
                                std::chrono::milliseconds timeout, std::size_t max_bytes) {
  const Clock::time_point deadline = Clock::now() + timeout;
  RuntimeAnswer answer;
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_UNIX;
  if (!address.unix_path.empty()) {
    auto* un = reinterpret_cast<sockaddr_un*>(&storage);
    un->sun_family = AF_UNIX;
    std::strncpy(un->sun_path, address.unix_path.c_str(), sizeof(un->sun_path) - 1);
    length = sizeof(sockaddr_un);
  } else if (auto* in = reinterpret_cast<sockaddr_in*>(&storage);
             ::inet_pton(AF_INET, address.host.c_str(), &in->sin_addr) == 1) {
    family = AF_INET;
    in->sin_family = AF_INET;
    in->sin_port = htons(static_cast<std::uint16_t>(address.port));
    length = sizeof(sockaddr_in);
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    family = AF_INET6;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<std::uint16_t>(address.port));
    if (::inet_pton(AF_INET6, address.host.c_str(), &in6->sin6_addr) != 1) {
      answer.error = "not a numeric address: " + address.host;
      return answer;
    }
    length = sizeof(sockaddr_in6);
  }
  const Socket socket(::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (socket.fd() < 0) {
    answer.error = SystemError("socket");
    return answer;
  }
  if (::connect(socket.fd(), reinterpret_cast<const sockaddr*>(&storage), length) != 0) {
    if (errno != EINPROGRESS && errno != EAGAIN) {
      answer.error = SystemError("connect");
      return answer;
    }
    if (!WaitFor(socket.fd(), POLLOUT, deadline)) {
      answer.error = "timeout";
      return answer;
    }
    int so_error = 0;
    socklen_t so_length = sizeof so_error;
    ::getsockopt(socket.fd(), SOL_SOCKET, SO_ERROR, &so_error, &so_length);
    if (so_error != 0) {
      errno = so_error;
      answer.error = SystemError("connect");
      return answer;
    }
  }
  const std::string line = std::string(command) + "\n";
  std::size_t sent = 0;
  while (sent < line.size()) {
    const ssize_t n = ::send(socket.fd(), line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!WaitFor(socket.fd(), POLLOUT, deadline)) {
        answer.error = "timeout";
        return answer;
      }
    } else {
      answer.error = SystemError("send");
      return answer;
    }
  }
  std::string text;
  char buffer[16384];
  for (;;) {
    const ssize_t n = ::recv(socket.fd(), buffer, sizeof buffer, 0);
    if (n > 0) {
      if (text.size() + static_cast<std::size_t>(n) > max_bytes) {
        answer.error = "answer larger than " + std::to_string(max_bytes) + " bytes";
        return answer;
      }
      text.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0) {
      answer.text = std::move(text);
      return answer;
    } else if (errno == EAGAIN || errno == EINTR) {
      if (!WaitFor(socket.fd(), POLLIN, deadline)) {
        answer.error = "timeout";
        return answer;
      }
    } else {
      answer.error = SystemError("recv");
      return answer;
    }
  }
}

}  // namespace healthgap::sources
