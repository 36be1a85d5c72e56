#include "support/hostile_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

namespace healthgap::testing {
namespace {

using SteadyClock = std::chrono::steady_clock;
using namespace std::string_view_literals;

constexpr std::size_t kDeclaredEndlessBytes = 100u * 1024 * 1024;
constexpr std::size_t kStreamChunkBytes = 64 * 1024;
constexpr int kPollIntervalMs = 50;  // only bounds how late a lifetime expiry is noticed

// A bound, listening or unbound socket address for 127.0.0.1 or ::1 (or any literal).
struct LoopbackAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_UNSPEC;

  static bool Parse(const std::string& host, int port, LoopbackAddress& out) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&out.storage);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
      v4->sin_family = AF_INET;
      v4->sin_port = htons(static_cast<uint16_t>(port));
      out.family = AF_INET;
      out.length = sizeof(sockaddr_in);
      return true;
    }
    if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
      v6->sin6_family = AF_INET6;
      v6->sin6_port = htons(static_cast<uint16_t>(port));
      out.family = AF_INET6;
      out.length = sizeof(sockaddr_in6);
      return true;
    }
    return false;
  }
};

int BoundPort(int fd) {
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length) != 0) return 0;
  if (bound.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  }
  return ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
}

std::string Errno(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// One accepted connection and what is left to do on it.
struct Connection {
  int fd = -1;
  SteadyClock::time_point expires;
  std::string request;  // bytes read until the header end
  bool responding = false;
  std::string outgoing;  // bytes queued for writing
  std::size_t body_sent = 0;
  bool close_after_write = false;
  bool reset_after_write = false;

  ~Connection() {
    if (fd >= 0) close(fd);
  }
};

void ResetAndClose(Connection& connection) {
  // Linger 0 turns close() into an RST instead of a FIN.
  linger hard{1, 0};
  setsockopt(connection.fd, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
  close(connection.fd);
  connection.fd = -1;
}

// Prepares the reply of `mode` once the request headers arrived.
void BeginResponse(HostileServer::Mode mode, Connection& connection) {
  connection.responding = true;
  switch (mode) {
    case HostileServer::Mode::kHang:
    case HostileServer::Mode::kCloseImmediately:
      break;
    case HostileServer::Mode::kResetMidBody:
      connection.outgoing =
          "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n"
          "0123456789";
      connection.reset_after_write = true;
      break;
    case HostileServer::Mode::kEndlessBody:
      connection.outgoing =
          "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
          "Content-Length: " +
          std::to_string(kDeclaredEndlessBytes) + "\r\n\r\n";
      break;
    case HostileServer::Mode::kEndlessChunked:
      connection.outgoing =
          "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
          "Transfer-Encoding: chunked\r\n\r\n";
      break;
    case HostileServer::Mode::kGarbage:
      // Starts like a TLS record, so no parser can mistake it for a status line.
      connection.outgoing = std::string("\x16\x03\x01 this is not HTTP \x7f\x00\xff\r\n\r\n"sv);
      connection.close_after_write = true;
      break;
  }
}

// Tops up the outgoing buffer of a streaming reply; false once the stream is complete.
bool RefillStream(HostileServer::Mode mode, Connection& connection) {
  if (!connection.outgoing.empty()) return true;
  if (mode == HostileServer::Mode::kEndlessBody) {
    if (connection.body_sent >= kDeclaredEndlessBytes) return false;
    const std::size_t chunk =
        std::min(kStreamChunkBytes, kDeclaredEndlessBytes - connection.body_sent);
    connection.outgoing.assign(chunk, 'x');
    connection.body_sent += chunk;
    return true;
  }
  if (mode == HostileServer::Mode::kEndlessChunked) {
    char size_line[32];
    std::snprintf(size_line, sizeof(size_line), "%zx\r\n", kStreamChunkBytes);
    connection.outgoing = size_line;
    connection.outgoing.append(kStreamChunkBytes, 'x');
    connection.outgoing += "\r\n";
    connection.body_sent += kStreamChunkBytes;
    return true;
  }
  return false;
}

bool IsStreaming(HostileServer::Mode mode) {
  return mode == HostileServer::Mode::kEndlessBody || mode == HostileServer::Mode::kEndlessChunked;
}

}  // namespace

std::string_view ToString(HostileServer::Mode mode) {
  switch (mode) {
    case HostileServer::Mode::kHang:
      return "hang";
    case HostileServer::Mode::kResetMidBody:
      return "reset_mid_body";
    case HostileServer::Mode::kEndlessBody:
      return "endless_body";
    case HostileServer::Mode::kEndlessChunked:
      return "endless_chunked";
    case HostileServer::Mode::kGarbage:
      return "garbage";
    case HostileServer::Mode::kCloseImmediately:
      return "close_immediately";
  }
  return "unknown";
}

HostileServer::HostileServer(Mode mode, std::string host) : mode_(mode), host_(std::move(host)) {
  LoopbackAddress address;
  if (!LoopbackAddress::Parse(host_, 0, address)) {
    error_ = "not an IP literal: " + host_;
    return;
  }
  if (pipe2(wake_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    error_ = Errno("pipe2");
    return;
  }
  const int fd = socket(address.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error_ = Errno("socket");
    return;
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&address.storage), address.length) != 0 ||
      listen(fd, SOMAXCONN) != 0) {
    error_ = Errno("bind/listen");
    close(fd);
    return;
  }
  port_ = BoundPort(fd);
  listen_fd_ = fd;
  thread_ = std::thread([this] { Run(); });
}

HostileServer::~HostileServer() {
  if (thread_.joinable()) {
    const char wake = 1;
    [[maybe_unused]] const ssize_t written = write(wake_pipe_[1], &wake, 1);
    thread_.join();
  }
  if (listen_fd_ >= 0) close(listen_fd_);
  for (const int fd : wake_pipe_) {
    if (fd >= 0) close(fd);
  }
}

std::string HostileServer::Url(std::string_view path) const {
  const bool ipv6 = host_.find(':') != std::string::npos;
  return "http://" + (ipv6 ? "[" + host_ + "]" : host_) + ":" + std::to_string(port_) +
         std::string(path);
}

void HostileServer::Run() {
  std::vector<std::unique_ptr<Connection>> connections;
  std::vector<pollfd> fds;
  char buffer[16 * 1024];
  while (true) {
    fds.clear();
    fds.push_back({wake_pipe_[0], POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    for (const auto& connection : connections) {
      short events = POLLIN;
      if (!connection->outgoing.empty() || (connection->responding && IsStreaming(mode_))) {
        events |= POLLOUT;
      }
      fds.push_back({connection->fd, events, 0});
    }
    if (poll(fds.data(), fds.size(), kPollIntervalMs) < 0 && errno != EINTR) return;
    if (fds[0].revents != 0) return;  // destructor asked to stop; connections close below

    if (fds[1].revents & POLLIN) {
      while (true) {
        const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) break;
        accepted_.fetch_add(1);
        if (mode_ == Mode::kCloseImmediately) {
          close(fd);
          continue;
        }
        auto connection = std::make_unique<Connection>();
        connection->fd = fd;
        connection->expires = SteadyClock::now() + kMaxConnectionLifetime;
        connections.push_back(std::move(connection));
        open_.fetch_add(1);
      }
    }

    const auto now = SteadyClock::now();
    // fds[i + 2] belongs to connections[i] for the connections that existed before accept.
    const std::size_t polled = fds.size() - 2;
    for (std::size_t i = 0; i < connections.size(); ++i) {
      Connection& connection = *connections[i];
      const short revents = i < polled ? fds[i + 2].revents : 0;
      bool done = now >= connection.expires;

      if (!done && (revents & (POLLIN | POLLERR | POLLHUP))) {
        const ssize_t got = recv(connection.fd, buffer, sizeof(buffer), 0);
        if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
          done = true;  // the client left (or reset)
        } else if (got > 0 && !connection.responding) {
          connection.request.append(buffer, static_cast<std::size_t>(got));
          if (connection.request.find("\r\n\r\n") != std::string::npos) {
            requests_.fetch_add(1);
            BeginResponse(mode_, connection);
          }
        }
      }

      if (!done && connection.responding && (revents & POLLOUT)) {
        if (IsStreaming(mode_) && !RefillStream(mode_, connection)) done = true;
        if (!done && !connection.outgoing.empty()) {
          const ssize_t sent = send(connection.fd, connection.outgoing.data(),
                                    connection.outgoing.size(), MSG_NOSIGNAL);
          if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            done = true;  // the client left
          } else if (sent > 0) {
            connection.outgoing.erase(0, static_cast<std::size_t>(sent));
          }
        }
        if (!done && connection.outgoing.empty()) {
          if (connection.reset_after_write) {
            ResetAndClose(connection);
            done = true;
          } else if (connection.close_after_write) {
            done = true;
          }
        }
      }

      if (done) {
        connections[i].reset();
        open_.fetch_sub(1);
      }
    }
    std::erase(connections, nullptr);
  }
}

int UnusedLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) port = BoundPort(fd);
  close(fd);
  return port;
}

}  // namespace healthgap::testing
