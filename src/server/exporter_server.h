#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "server/listen_address.h"

namespace httplib {
class Server;
}

namespace healthgap::server {

// What the endpoints serve; each is called per request, on a server thread.
struct Endpoints {
  std::function<std::string()> metrics;      // GET /metrics: text exposition format 0.0.4
  std::function<std::string()> status_html;  // GET /
  std::function<std::string()> status_json;  // GET /api/v1/status
  // POST /-/reload: nullopt on success, else the error (the old config keeps running).
  std::function<std::optional<std::string>()> reload;
};

// The exporter's HTTP server: /metrics, /, /api/v1/status, /-/healthy, /-/ready, /-/reload.
// Thread-safe: Start and Stop may be called from any one thread.
class ExporterServer {
 public:
  explicit ExporterServer(Endpoints endpoints);
  ~ExporterServer();
  ExporterServer(const ExporterServer&) = delete;
  ExporterServer& operator=(const ExporterServer&) = delete;

  // Binds and serves on a background thread; false with `error` set if the bind fails.
  bool Start(const ListenAddress& address, std::string* error);
  void Stop();
  // The bound port (useful after binding port 0).
  int port() const { return port_; }

 private:
  Endpoints endpoints_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace healthgap::server
