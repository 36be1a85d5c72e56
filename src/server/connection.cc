#include "server/connection.h"

#include <netdb.h>
#include <openssl/err.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace healthgap::server {
namespace {

// A response up to this size goes out in one write; a larger one is sent as it comes.
constexpr std::size_t kMaxBufferedBytes = 64 * 1024;
constexpr std::size_t kReadChunk = 16 * 1024;

// One end of the connection `fd`: ::getpeername for the client's, ::getsockname for ours.
Endpoint EndpointOf(int fd, int (*get_name)(int, sockaddr*, socklen_t*)) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (get_name(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return {};
  std::array<char, NI_MAXHOST> host{};
  std::array<char, NI_MAXSERV> service{};
  Endpoint endpoint;
  if (::getnameinfo(reinterpret_cast<const sockaddr*>(&address), length, host.data(), host.size(),
                    service.data(), service.size(), NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
    endpoint.ip = host.data();
    endpoint.port = std::atoi(service.data());
  }
  return endpoint;
}

}  // namespace

bool WaitFor(int fd, short events, int timeout_ms) {
  pollfd entry{fd, events, 0};
  int ready;
  do {
    ready = ::poll(&entry, 1, timeout_ms);
  } while (ready < 0 && errno == EINTR);
  return ready > 0;
}

Transport::Transport(int fd, SSL_CTX* tls_context)
    : fd_(fd), wants_tls_(tls_context != nullptr), handshake_done_(tls_context == nullptr) {
  if (!tls_context) return;
  ssl_ = SSL_new(tls_context);
  if (ssl_ && SSL_set_fd(ssl_, fd_) != 1) {
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (ssl_) SSL_set_accept_state(ssl_);
}

Transport::~Transport() {
  if (ssl_) {
    // A close_notify if the socket takes it at once; never waits for the peer's.
    if (handshake_done_) SSL_shutdown(ssl_);
    SSL_free(ssl_);
  }
  if (fd_ >= 0) {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
  }
}

Transport::Io Transport::FromSsl(int returned) {
  const int error = SSL_get_error(ssl_, returned);
  ERR_clear_error();  // the queue is per thread, and this connection moves between threads
  switch (error) {
    case SSL_ERROR_WANT_READ:
      return Io::kWantRead;
    case SSL_ERROR_WANT_WRITE:
      return Io::kWantWrite;
    case SSL_ERROR_ZERO_RETURN:
      return Io::kClosed;
    default:
      return Io::kError;
  }
}

Transport::Io Transport::Handshake() {
  if (handshake_done_) return Io::kOk;
  const int returned = SSL_do_handshake(ssl_);
  if (returned == 1) {
    handshake_done_ = true;
    return Io::kOk;
  }
  return FromSsl(returned);
}

Transport::Io Transport::Read(char* into, std::size_t size, std::size_t* count) {
  if (ssl_) {
    const int returned =
        SSL_read(ssl_, into, static_cast<int>(std::min<std::size_t>(size, 1 << 30)));
    if (returned > 0) {
      *count = static_cast<std::size_t>(returned);
      return Io::kOk;
    }
    return FromSsl(returned);
  }
  while (true) {
    const ssize_t received = ::recv(fd_, into, size, MSG_DONTWAIT);
    if (received > 0) {
      *count = static_cast<std::size_t>(received);
      return Io::kOk;
    }
    if (received == 0) return Io::kClosed;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK ? Io::kWantRead : Io::kError;
  }
}

Transport::Io Transport::Write(const char* data, std::size_t size, std::size_t* count) {
  if (ssl_) {
    const int returned =
        SSL_write(ssl_, data, static_cast<int>(std::min<std::size_t>(size, 1 << 30)));
    if (returned > 0) {
      *count = static_cast<std::size_t>(returned);
      return Io::kOk;
    }
    return FromSsl(returned);
  }
  while (true) {
    const ssize_t sent = ::send(fd_, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent >= 0) {
      *count = static_cast<std::size_t>(sent);
      return Io::kOk;
    }
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK ? Io::kWantWrite : Io::kError;
  }
}

bool Transport::HasPending() const { return ssl_ && SSL_pending(ssl_) > 0; }

Connection::Connection(int fd, SSL_CTX* tls_context)
    : transport(fd, tls_context),
      remote(EndpointOf(fd, ::getpeername)),
      local(EndpointOf(fd, ::getsockname)) {}

ConnectionStream::ConnectionStream(Connection& connection, int read_timeout_ms,
                                   int write_timeout_ms)
    : connection_(connection),
      read_timeout_ms_(read_timeout_ms),
      write_timeout_ms_(write_timeout_ms) {}

bool ConnectionStream::is_readable() const {
  return consumed_ < connection_.in.size() || connection_.transport.HasPending() ||
         WaitFor(connection_.transport.fd(), POLLIN, read_timeout_ms_);
}

bool ConnectionStream::is_writable() const {
  return WaitFor(connection_.transport.fd(), POLLOUT, write_timeout_ms_);
}

ssize_t ConnectionStream::read(char* ptr, size_t size) {
  std::string& in = connection_.in;
  // httplib reads the request line and headers one byte per call.
  if (size == 1 && consumed_ < in.size()) {
    *ptr = in[consumed_++];
    return 1;
  }
  if (consumed_ == in.size()) {
    if (!Flush() || !Receive()) return -1;
  }
  const std::size_t count = std::min(size, in.size() - consumed_);
  std::memcpy(ptr, in.data() + consumed_, count);
  consumed_ += count;
  return static_cast<ssize_t>(count);
}

ssize_t ConnectionStream::write(const char* ptr, size_t size) {
  if (out_.size() + size > kMaxBufferedBytes) {
    if (!Flush()) return -1;
    if (size > kMaxBufferedBytes) return WriteAll(ptr, size) ? static_cast<ssize_t>(size) : -1;
  }
  out_.append(ptr, size);
  return static_cast<ssize_t>(size);
}

void ConnectionStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  ip = connection_.remote.ip;
  port = connection_.remote.port;
}

void ConnectionStream::get_local_ip_and_port(std::string& ip, int& port) const {
  ip = connection_.local.ip;
  port = connection_.local.port;
}

bool ConnectionStream::Flush() {
  const bool sent = WriteAll(out_.data(), out_.size());
  out_.clear();  // keeps its capacity for the next response
  return sent;
}

void ConnectionStream::Compact() {
  connection_.in.erase(0, consumed_);
  consumed_ = 0;
}

bool ConnectionStream::Receive() {
  std::string& in = connection_.in;
  const std::size_t before = in.size();
  in.resize(before + kReadChunk);
  while (true) {
    std::size_t count = 0;
    const Transport::Io io = connection_.transport.Read(in.data() + before, kReadChunk, &count);
    if (io == Transport::Io::kOk) {
      in.resize(before + count);
      return true;
    }
    const bool waits = io == Transport::Io::kWantRead || io == Transport::Io::kWantWrite;
    if (!waits || !WaitFor(connection_.transport.fd(),
                           io == Transport::Io::kWantRead ? POLLIN : POLLOUT, read_timeout_ms_)) {
      in.resize(before);
      return false;
    }
  }
}

bool ConnectionStream::WriteAll(const char* data, std::size_t size) {
  while (size > 0) {
    std::size_t count = 0;
    const Transport::Io io = connection_.transport.Write(data, size, &count);
    if (io == Transport::Io::kOk) {
      data += count;
      size -= count;
      continue;
    }
    const bool waits = io == Transport::Io::kWantRead || io == Transport::Io::kWantWrite;
    if (!waits || !WaitFor(connection_.transport.fd(),
                           io == Transport::Io::kWantRead ? POLLIN : POLLOUT, write_timeout_ms_)) {
      return false;
    }
  }
  return true;
}

}  // namespace healthgap::server
