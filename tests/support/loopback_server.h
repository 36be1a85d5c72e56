#pragma once

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

// A real HTTP server on loopback for tests, on a kernel-chosen port.
//
//   healthgap::testing::LoopbackServer server;
//   server.Get("/health", [](const httplib::Request&, httplib::Response& res) {
//     res.set_content("ok", "text/plain");
//   });
//   ASSERT_TRUE(server.Start());
//   client.Send({.url = server.Url("/health")}, ...);
//
// Register routes (Get/Post/Handle or raw()) before Start(): httplib's route tables are not
// synchronized. Every request is recorded (before its handler runs) for assertions, also
// those no route matches.
namespace healthgap::testing {

// One request as the server saw it.
struct RecordedRequest {
  std::string method;
  std::string path;
  std::multimap<std::string, std::string> headers;  // names as sent (httplib compares
                                                    // case-insensitively via get_header)
  std::string body;
  int client_port = 0;  // differs per TCP connection: counts connections
};

// Thread-safe after Start(): accessors may be called while requests are served.
class LoopbackServer {
 public:
  // host: "127.0.0.1" or "::1". worker_threads: concurrent connections served at once (others
  // wait in the queue); keep-alive connections occupy a worker until they close.
  explicit LoopbackServer(std::string host = "127.0.0.1", std::size_t worker_threads = 8)
      : host_(std::move(host)) {
    server_.new_task_queue = [worker_threads] { return new httplib::ThreadPool(worker_threads); };
    // Stop() waits for idle keep-alive connections to time out (httplib: 5 s); 1 s keeps test
    // teardown quick while clients reusing a connection within a second still can.
    server_.set_keep_alive_timeout(1);
    server_.set_socket_options([this](socket_t fd) {
      int yes = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
      listen_fd_ = fd;
    });
    server_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response&) {
      RecordedRequest recorded{req.method, req.path, {}, {}, req.remote_port};
      for (const auto& [name, value] : req.headers) recorded.headers.emplace(name, value);
      std::lock_guard lock(mu_);
      current_request_index_ = requests_.size();
      requests_.push_back(std::move(recorded));
      return httplib::Server::HandlerResponse::Unhandled;
    });
  }

  ~LoopbackServer() { Stop(); }

  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  void Get(const std::string& pattern, httplib::Server::Handler handler) {
    server_.Get(pattern, Recording(std::move(handler)));
  }
  void Post(const std::string& pattern, httplib::Server::Handler handler) {
    server_.Post(pattern, Recording(std::move(handler)));
  }
  // Registers the handler for GET, HEAD (via GET), POST, PUT, PATCH, DELETE and OPTIONS.
  void Handle(const std::string& pattern, httplib::Server::Handler handler) {
    const auto recording = Recording(std::move(handler));
    server_.Get(pattern, recording);
    server_.Post(pattern, recording);
    server_.Put(pattern, recording);
    server_.Patch(pattern, recording);
    server_.Delete(pattern, recording);
    server_.Options(pattern, recording);
  }
  // For anything else httplib offers (error handlers, keep-alive settings, ...), before Start.
  // Routes registered here are logged without their body.
  httplib::Server& raw() { return server_; }

  // Binds port 0, serves on a background thread and returns once connections are accepted.
  // False if binding failed.
  bool Start() {
    port_ = server_.bind_to_any_port(host_, 0);
    if (port_ <= 0) return false;
    // httplib listens with a backlog of 5; bursts of concurrent connects would then see
    // dropped SYNs and second-long retransmits. Listening again only enlarges the backlog.
    if (listen_fd_ >= 0) ::listen(listen_fd_, SOMAXCONN);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // The socket already listens (connections queue in the backlog); this only makes sure
    // the accept loop is running before the caller proceeds.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!server_.is_running() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return server_.is_running();
  }

  // Stops accepting and joins the server thread; idempotent, also run by the destructor.
  void Stop() {
    if (thread_.joinable()) {
      server_.stop();
      thread_.join();
    }
  }

  int port() const { return port_; }
  const std::string& host() const { return host_; }
  // "http://127.0.0.1:PORT/path" (brackets for IPv6).
  std::string Url(std::string_view path = "/") const {
    const bool ipv6 = host_.find(':') != std::string::npos;
    return "http://" + (ipv6 ? "[" + host_ + "]" : host_) + ":" + std::to_string(port_) +
           std::string(path);
  }

  std::vector<RecordedRequest> Requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  std::size_t RequestCount() const {
    std::lock_guard lock(mu_);
    return requests_.size();
  }
  // TCP connections that carried at least one request.
  std::size_t ConnectionCount() const {
    std::lock_guard lock(mu_);
    std::vector<int> ports;
    for (const auto& request : requests_) ports.push_back(request.client_port);
    std::sort(ports.begin(), ports.end());
    return static_cast<std::size_t>(std::unique(ports.begin(), ports.end()) - ports.begin());
  }

 private:
  // Wraps a route handler to log the request body, which httplib reads after pre-routing.
  httplib::Server::Handler Recording(httplib::Server::Handler handler) {
    return
        [this, handler = std::move(handler)](const httplib::Request& req, httplib::Response& res) {
          {
            std::lock_guard lock(mu_);
            if (current_request_index_ < requests_.size()) {
              requests_[current_request_index_].body = req.body;
            }
          }
          handler(req, res);
        };
  }

  // Pre-routing and the handler of one request run on the same worker thread, in order.
  static inline thread_local std::size_t current_request_index_ = 0;

  const std::string host_;
  socket_t listen_fd_ = -1;  // captured while httplib creates the listening socket
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<RecordedRequest> requests_;  // guarded by mu_
};

}  // namespace healthgap::testing
