#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "common/listen_address.h"
#include "server/web_config.h"

namespace healthgap::server {

class ConnectionServer;

// A reply computed by an endpoint handler.
struct HttpReply {
  int status = 200;
  std::string body;
  std::string content_type = "text/plain; charset=utf-8";
};

// GET /probe?target=URL&module=NAME, blackbox_exporter's multi-target pattern.
struct ProbeRequest {
  std::string target;
  std::string module;
  // From X-Prometheus-Scrape-Timeout-Seconds; nullopt when Prometheus did not send it.
  std::optional<double> scrape_timeout_seconds;
  bool debug = false;  // debug=true: a readable trace instead of the metrics
};

// X-Prometheus-Scrape-Timeout-Seconds as Prometheus writes it ("10", "9.5"): a finite number
// of seconds above zero. Anything else (inf, nan, -1, 0, "abc", trailing text) is nullopt: the
// header is treated as absent. How large it may be is the probe's business (it clamps).
std::optional<double> ParseScrapeTimeoutSeconds(std::string_view text);

// The Content-Type of the Prometheus text format 0.0.4: /metrics and /probe.
inline constexpr char kExpositionContentType[] = "text/plain; version=0.0.4; charset=utf-8";

// What the endpoints serve; each is called per request, on a server thread.
struct Endpoints {
  // GET /metrics: writes the text exposition (format 0.0.4) to the sink in pieces, sent as they
  // come (chunked), so a large exposition is never held whole.
  std::function<void(const std::function<void(std::string_view)>& sink)> metrics;
  std::function<std::string()> status_html;  // GET /
  std::function<std::string()> status_json;  // GET /api/v1/status
  // POST /-/reload: nullopt on success, else the error (the old config keeps running).
  std::function<std::optional<std::string>()> reload;
  // GET /probe; absent: 404.
  std::function<HttpReply(const ProbeRequest&)> probe;
};

// The exporter's HTTP server: /metrics, /probe, /, /api/v1/status, /-/healthy, /-/ready,
// /-/reload.
// Thread-safe: Start and Stop may be called from any one thread.
class ExporterServer {
 public:
  explicit ExporterServer(Endpoints endpoints);
  ~ExporterServer();
  ExporterServer(const ExporterServer&) = delete;
  ExporterServer& operator=(const ExporterServer&) = delete;

  // Binds and serves on a background thread; false with `error` set if TLS setup or the bind
  // fails. `web` (--web.config.file) adds TLS, basic auth and headers to every endpoint; the
  // default serves plain HTTP without auth. Call once.
  bool Start(const ListenAddress& address, std::string* error, const WebConfig& web = {});
  void Stop();
  // The bound port (useful after binding port 0).
  int port() const { return port_; }

 private:
  bool CreateServer(const WebConfig& web, std::string* error);
  void RegisterRoutes();

  Endpoints endpoints_;
  std::unique_ptr<ConnectionServer> server_;
  std::unique_ptr<BasicAuthenticator> authenticator_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace healthgap::server
