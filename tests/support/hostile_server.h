#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <thread>

// A raw TCP server on loopback that misbehaves in one chosen way, for testing how clients
// classify failures. Kernel-chosen port; one poll-based thread serves every connection.
//
//   healthgap::testing::HostileServer server(HostileServer::Mode::kHang);
//   ASSERT_TRUE(server.ok()) << server.error();
//   client.Send({.url = server.Url("/"), .timeout = 200ms}, ...);  // -> kTimeout
//
// Modes act once a request's headers ("\r\n\r\n") arrived; request bodies are not read, so
// use GET. A redirect loop is an ordinary LoopbackServer route.
namespace healthgap::testing {

// Thread-safe: accessors may be called while connections are served.
class HostileServer {
 public:
  enum class Mode {
    kHang,              // accept and read, never reply; closes only when the client does
    kResetMidBody,      // 200 with Content-Length 1000, send 10 body bytes, then RST
    kEndlessBody,       // 200 declaring a 100 MB body, streamed until the client leaves
    kEndlessChunked,    // 200 chunked, streamed without end until the client leaves
    kGarbage,           // reply bytes that are not HTTP, then close
    kCloseImmediately,  // close each connection right after accept, without reading
  };

  // Streams (endless modes) and hung connections end after this long, so a broken client
  // cannot keep the server busy forever.
  static constexpr std::chrono::seconds kMaxConnectionLifetime{60};

  // host: "127.0.0.1" or "::1". Starts serving before returning; check ok().
  explicit HostileServer(Mode mode, std::string host = "127.0.0.1");
  // Stops promptly (wakes the poll loop) and closes every connection.
  ~HostileServer();

  HostileServer(const HostileServer&) = delete;
  HostileServer& operator=(const HostileServer&) = delete;

  bool ok() const { return listen_fd_ >= 0; }
  const std::string& error() const { return error_; }
  int port() const { return port_; }
  // "http://127.0.0.1:PORT/path" (brackets for IPv6).
  std::string Url(std::string_view path = "/") const;

  std::size_t AcceptedConnections() const { return accepted_.load(); }
  std::size_t OpenConnections() const { return open_.load(); }
  // Requests whose headers fully arrived (the mode acted on them, or in kHang, ignored them).
  std::size_t RequestsSeen() const { return requests_.load(); }

 private:
  void Run();

  const Mode mode_;
  const std::string host_;
  std::string error_;
  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  int port_ = 0;
  std::atomic<std::size_t> accepted_{0};
  std::atomic<std::size_t> open_{0};
  std::atomic<std::size_t> requests_{0};
  std::thread thread_;
};

std::string_view ToString(HostileServer::Mode mode);

// A loopback TCP port that nothing listens on (bound, read back, closed), for "refused" tests.
// 0 on failure.
int UnusedLoopbackPort();

}  // namespace healthgap::testing
