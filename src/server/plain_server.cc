#include "server/plain_server.h"

#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

namespace healthgap::server {

namespace {

// A response up to this size goes out in one send(); a larger write is sent as it comes.
constexpr std::size_t kMaxBufferedBytes = 64 * 1024;

int Milliseconds(time_t seconds, time_t microseconds) {
  return static_cast<int>(seconds * 1000 + microseconds / 1000);
}

// poll(), resumed when a signal interrupts it; how many entries are ready, 0 on timeout, -1
// on error.
int Poll(std::span<pollfd> entries, int timeout_ms) {
  int ready;
  do {
    ready = ::poll(entries.data(), entries.size(), timeout_ms);
  } while (ready < 0 && errno == EINTR);
  return ready;
}

// Waits until `fd` is ready for `events`; false on timeout or error.
bool WaitFor(int fd, short events, int timeout_ms) {
  pollfd entry{fd, events, 0};
  return Poll({&entry, 1}, timeout_ms) > 0;
}

struct Address {
  std::string ip;
  int port = 0;
};

// As httplib formats it: numeric host, IPv6 scope included.
Address FormatAddress(const sockaddr_storage& address, socklen_t length) {
  Address formatted;
  std::array<char, NI_MAXHOST> host{};
  std::array<char, NI_MAXSERV> service{};
  if (::getnameinfo(reinterpret_cast<const sockaddr*>(&address), length, host.data(), host.size(),
                    service.data(), service.size(), NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
    formatted.ip = host.data();
    formatted.port = std::atoi(service.data());
  }
  return formatted;
}

// One end of the connection `fd`: ::getpeername for the client's, ::getsockname for ours.
Address SocketAddress(int fd, int (*get_name)(int, sockaddr*, socklen_t*)) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (get_name(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return {};
  return FormatAddress(address, length);
}

// One connection, for all of its requests. Writes are buffered until the response is complete
// (Flush) or a read needs the client's next bytes ("100 Continue" before a request body).
class ConnectionStream final : public httplib::Stream {
 public:
  ConnectionStream(int fd, int read_timeout_ms, int write_timeout_ms)
      : fd_(fd),
        read_timeout_ms_(read_timeout_ms),
        write_timeout_ms_(write_timeout_ms),
        remote_(SocketAddress(fd, ::getpeername)),
        local_(SocketAddress(fd, ::getsockname)) {}

  bool is_readable() const override {
    return in_begin_ < in_end_ || WaitFor(fd_, POLLIN, read_timeout_ms_);
  }
  bool is_writable() const override { return WaitFor(fd_, POLLOUT, write_timeout_ms_); }

  ssize_t read(char* ptr, size_t size) override {
    // httplib reads the request line and headers one byte per call.
    if (size == 1 && in_begin_ < in_end_) {
      *ptr = in_[in_begin_++];
      return 1;
    }
    if (in_begin_ == in_end_) {
      if (!Flush()) return -1;
      if (size >= in_.size()) return Receive(ptr, size);
      const ssize_t received = Receive(in_.data(), in_.size());
      if (received <= 0) return received;
      in_begin_ = 0;
      in_end_ = static_cast<std::size_t>(received);
    }
    const std::size_t count = std::min(size, in_end_ - in_begin_);
    std::memcpy(ptr, in_.data() + in_begin_, count);
    in_begin_ += count;
    return static_cast<ssize_t>(count);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (out_.size() + size > kMaxBufferedBytes) {
      if (!Flush()) return -1;
      if (size > kMaxBufferedBytes) return SendAll(ptr, size) ? static_cast<ssize_t>(size) : -1;
    }
    out_.append(ptr, size);
    return static_cast<ssize_t>(size);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = remote_.ip;
    port = remote_.port;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = local_.ip;
    port = local_.port;
  }
  socket_t socket() const override { return fd_; }

  // Sends what was written since the last flush; false if the client is gone or stalls for
  // longer than the write timeout.
  bool Flush() {
    const bool sent = SendAll(out_.data(), out_.size());
    out_.clear();  // keeps its capacity for the next response
    return sent;
  }

  // Until the next request starts to arrive (true), or the client closes, `timeout_ms` passes
  // or `shutdown_event` becomes readable (false).
  bool WaitForRequest(int timeout_ms, int shutdown_event) {
    if (in_begin_ < in_end_) return true;  // pipelined behind the previous one
    std::array<pollfd, 2> entries{{{fd_, POLLIN, 0}, {shutdown_event, POLLIN, 0}}};
    return Poll(entries, timeout_ms) > 0 && entries[1].revents == 0 && entries[0].revents != 0;
  }

 private:
  // recv, waiting up to the read timeout only when nothing has arrived yet.
  ssize_t Receive(char* into, std::size_t size) {
    while (true) {
      const ssize_t received = ::recv(fd_, into, size, MSG_DONTWAIT);
      if (received >= 0) return received;
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
      if (!WaitFor(fd_, POLLIN, read_timeout_ms_)) return -1;
    }
  }

  bool SendAll(const char* data, std::size_t size) {
    while (size > 0) {
      const ssize_t sent = ::send(fd_, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (sent > 0) {
        data += sent;
        size -= static_cast<std::size_t>(sent);
      } else if (sent < 0 && errno == EINTR) {
        continue;
      } else if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (!WaitFor(fd_, POLLOUT, write_timeout_ms_)) return false;
      } else {
        return false;
      }
    }
    return true;
  }

  const int fd_;
  const int read_timeout_ms_;
  const int write_timeout_ms_;
  const Address remote_;
  const Address local_;
  std::array<char, 4096> in_{};
  std::size_t in_begin_ = 0;
  std::size_t in_end_ = 0;
  std::string out_;
};

}  // namespace

PlainServer::PlainServer() : shutdown_event_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

PlainServer::~PlainServer() {
  if (shutdown_event_ >= 0) ::close(shutdown_event_);
}

void PlainServer::Shutdown() {
  const std::uint64_t one = 1;
  if (shutdown_event_ >= 0) {
    [[maybe_unused]] const ssize_t written = ::write(shutdown_event_, &one, sizeof(one));
  }
  stop();
}

bool PlainServer::process_and_close_socket(socket_t sock) {
  ConnectionStream stream(sock, Milliseconds(read_timeout_sec_, read_timeout_usec_),
                          Milliseconds(write_timeout_sec_, write_timeout_usec_));
  bool ok = false;
  for (std::size_t left = keep_alive_max_count_; left > 0 && svr_sock_ != INVALID_SOCKET; --left) {
    if (!stream.WaitForRequest(static_cast<int>(keep_alive_timeout_sec_ * 1000), shutdown_event_)) {
      break;
    }
    bool connection_closed = false;
    const bool processed = process_request(stream, left == 1, connection_closed, nullptr);
    ok = stream.Flush() && processed;
    if (!ok || connection_closed) break;
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ok;
}

}  // namespace healthgap::server
