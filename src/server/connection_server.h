#pragma once

// The exporter's HTTP server: httplib's routing, on connections of our own.
//
// httplib 0.11 gives each connection a thread from a fixed pool for its whole life, so 128
// clients that send a byte every few seconds (slowloris), or that just stay connected, stop
// every scrape. Here one reactor thread (epoll) accepts connections and reads their request
// heads (and TLS handshakes), each within a deadline; a worker thread gets a connection only
// once a complete request has arrived (server/http_framing.h), serves it, and may wait for the
// next request on it while workers are plentiful (Prometheus and the bench keep connections
// alive), else hands it back to the reactor. Connections are capped; at the cap the one that
// has waited longest without completing a request is closed to make room, so a new scrape is
// always read. A slow or idle client costs a file descriptor and its buffered bytes, never a
// thread.

#include <httplib.h>
#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/connection.h"
#include "server/http_framing.h"

namespace healthgap::server {

class ConnectionServer : public httplib::Server {
 public:
  struct Options {
    // Requests served at once. A /probe holds its worker for the whole probe.
    std::size_t worker_threads = 128;
    // Open connections at most (and never more than a share of RLIMIT_NOFILE).
    std::size_t max_connections = 4096;
    // A request head (and a TLS handshake) must arrive within this of its first byte, or of
    // the connection's start.
    std::chrono::milliseconds head_timeout{10'000};
    FramingLimits framing;
  };

  // What the server has done about clients, for tests and logs.
  struct Counters {
    std::uint64_t accepted = 0;
    std::uint64_t evicted = 0;    // closed at the connection cap, waiting longest
    std::uint64_t timed_out = 0;  // head or handshake not complete in time, or idle too long
    std::uint64_t rejected = 0;   // framing rejected (400, 413, 431, 501)
  };

  ConnectionServer();
  explicit ConnectionServer(Options options);
  ~ConnectionServer() override;
  ConnectionServer(const ConnectionServer&) = delete;
  ConnectionServer& operator=(const ConnectionServer&) = delete;

  // Every connection speaks TLS with this context; the server frees it. Call before Serve.
  void UseTls(SSL_CTX* context);

  // Binds and listens on host:port (port 0: any); the bound port, or -1 with *error set.
  int Listen(const std::string& host, int port, std::string* error);
  // Serves until Shutdown(): the reactor runs on the calling thread, the workers on their own.
  void Serve();
  bool serving() const { return serving_.load(); }
  // Stops accepting, closes waiting connections at once and the others after their current
  // request; Serve() then returns. Safe from any thread, also before Serve() started.
  void Shutdown();

  Counters counters() const;
  std::size_t open_connections() const { return open_.load(); }

 private:
  // Reactor (the Serve thread).
  void RunReactor();
  void AcceptAll();
  void Watch(std::unique_ptr<Connection> connection);  // takes a connection into the reactor
  void Advance(Connection* connection);
  void Dispatch(Connection* connection);
  void Drop(Connection* connection, std::uint64_t* counter);
  void Unwatch(Connection* connection);
  void SetInterest(Connection* connection, bool write);
  void ExpireDeadlines();
  void TakeReturned();

  // Workers.
  void RunWorker();
  void ServeConnection(std::unique_ptr<Connection> connection);
  // After a response: serve the next request in this worker (true), or not (false: the
  // connection has gone to the reactor or been closed, *connection is empty).
  bool AwaitNextRequest(std::unique_ptr<Connection>& connection);
  void ReturnToReactor(std::unique_ptr<Connection> connection);

  const Options options_;
  SSL_CTX* tls_context_ = nullptr;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;    // eventfd: returned connections, Shutdown
  int stop_fd_ = -1;    // eventfd, readable once Shutdown ran: wakes lingering workers
  int demand_fd_ = -1;  // eventfd (semaphore): a request waits and no worker is idle
  std::size_t connection_cap_ = 0;
  std::atomic<bool> serving_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> open_{0};

  // Reactor state (Serve thread only).
  std::map<Connection*, std::unique_ptr<Connection>> watched_;
  std::list<Connection*> oldest_;  // watched, longest waiting first
  std::multimap<Connection::Clock::time_point, Connection*> deadlines_;
  bool listener_paused_ = false;
  Connection::Clock::time_point listener_resume_{};

  mutable std::mutex mu_;
  std::condition_variable ready_cv_;
  std::deque<std::unique_ptr<Connection>> ready_;      // guarded by mu_
  std::vector<std::unique_ptr<Connection>> returned_;  // guarded by mu_
  std::size_t idle_workers_ = 0;                       // guarded by mu_
  std::size_t lingering_ = 0;                          // guarded by mu_
  Counters counters_;                                  // guarded by mu_
  std::vector<std::thread> workers_;
};

}  // namespace healthgap::server
