#pragma once

// One client connection of the exporter's server (server/connection_server.h): its socket,
// optionally TLS over it, and the bytes received but not yet consumed. A connection belongs to
// one thread at a time: the reactor while it waits for a complete request, then a worker while
// that request is served.

#include <httplib.h>
#include <openssl/ssl.h>

#include <chrono>
#include <cstddef>
#include <list>
#include <map>
#include <memory>
#include <string>

namespace healthgap::server {

// Plain TCP or TLS over a non-blocking socket.
class Transport {
 public:
  enum class Io { kOk, kWantRead, kWantWrite, kClosed, kError };

  // Takes ownership of `fd`. With `tls_context`, the connection speaks TLS (server side).
  Transport(int fd, SSL_CTX* tls_context);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  int fd() const { return fd_; }
  bool tls() const { return ssl_ != nullptr; }
  // False when TLS was asked for and OpenSSL could not set it up.
  bool valid() const { return fd_ >= 0 && (!wants_tls_ || ssl_ != nullptr); }

  // Advances the TLS handshake (kOk once done); plain connections are done at once.
  Io Handshake();
  bool handshake_done() const { return handshake_done_; }
  // Up to `size` bytes into `into` (*count of them on kOk).
  Io Read(char* into, std::size_t size, std::size_t* count);
  // Up to `size` bytes of `data` (*count of them on kOk).
  Io Write(const char* data, std::size_t size, std::size_t* count);
  // TLS: bytes already decrypted that the socket will not signal again.
  bool HasPending() const;

 private:
  Io FromSsl(int returned);

  int fd_;
  const bool wants_tls_;
  SSL* ssl_ = nullptr;
  bool handshake_done_;
};

// The numeric host and port of one end of a connection, as httplib reports them.
struct Endpoint {
  std::string ip;
  int port = 0;
};

struct Connection {
  using Clock = std::chrono::steady_clock;

  Connection(int fd, SSL_CTX* tls_context);

  Transport transport;
  const Endpoint remote;
  const Endpoint local;
  std::string in;              // received, not yet consumed by a request
  std::size_t requests = 0;    // served on this connection
  bool sent_continue = false;  // "100 Continue" for the request being received

  // The reactor's bookkeeping while the connection waits there.
  Clock::time_point deadline{};
  std::multimap<Clock::time_point, Connection*>::iterator deadline_entry;
  std::list<Connection*>::iterator oldest_entry;
  bool watched_for_write = false;
};

// httplib's view of a connection while a worker serves its requests: reads consume `in` first,
// then the socket (waiting up to the read timeout); writes are buffered until Flush() or the
// next read, so a response goes out in one write while it fits in 64 KiB.
class ConnectionStream final : public httplib::Stream {
 public:
  ConnectionStream(Connection& connection, int read_timeout_ms, int write_timeout_ms);

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return connection_.transport.fd(); }

  // Sends what was written since the last flush; false if the client is gone or stalls for
  // longer than the write timeout.
  bool Flush();
  // Drops what requests have consumed from connection.in.
  void Compact();

 private:
  // Reads once from the socket into connection.in, waiting up to the read timeout.
  bool Receive();
  bool WriteAll(const char* data, std::size_t size);

  Connection& connection_;
  const int read_timeout_ms_;
  const int write_timeout_ms_;
  std::size_t consumed_ = 0;  // of connection.in
  std::string out_;
};

// Waits until `fd` is ready for `events` (POLLIN, POLLOUT); false on timeout or error.
bool WaitFor(int fd, short events, int timeout_ms);

}  // namespace healthgap::server
