#include "server/exporter_server.h"

#include <httplib.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

#include "common/allocator.h"
#include "server/connection_server.h"

namespace healthgap::server {

namespace {
constexpr std::size_t kKeepAliveMaxRequests = 100'000;
// Requests served at once. A /probe holds its thread for the whole probe, up to the module's
// timeout against a hung target; httplib's default of 8 let 8 such scrapes starve /metrics.
// Idle threads cost only their (untouched) stacks, and only complete requests reach them.
constexpr std::size_t kServerThreads = 128;
}  // namespace

std::optional<double> ParseScrapeTimeoutSeconds(std::string_view text) {
  // Digits with an optional fraction only: from_chars alone would also take "inf", "nan" and
  // exponents, and stod leading spaces and trailing text.
  const bool plain = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || c == '.';
  });
  if (!plain) return std::nullopt;
  double seconds = 0;
  const auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), seconds, std::chars_format::fixed);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (!std::isfinite(seconds) || seconds <= 0) return std::nullopt;
  return seconds;
}

ExporterServer::ExporterServer(Endpoints endpoints) : endpoints_(std::move(endpoints)) {}

// Routes and settings of server_, which Start creates (TLS or plain, per the web config).
void ExporterServer::RegisterRoutes() {
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    // Chunked by hand: httplib's own chunked writer copies every chunk twice on its way to the
    // socket (a third of a large scrape's CPU), and its provider without a length sends no
    // framing at all on a kept-alive connection.
    res.set_header("Transfer-Encoding", "chunked");
    res.set_content_provider(
        kExpositionContentType,
        [this](std::size_t, httplib::DataSink& sink) {
          // Once a write fails (the client went away) the rest of the text is dropped unsent,
          // and returning false closes the connection.
          bool sent = true;
          endpoints_.metrics([&](std::string_view chunk) {
            if (!sent || chunk.empty()) return;  // an empty chunk would end the body
            std::array<char, 20> size_line;
            char* end =
                std::to_chars(size_line.data(), size_line.data() + 16, chunk.size(), 16).ptr;
            *end++ = '\r';
            *end++ = '\n';
            sent = sink.write(size_line.data(), static_cast<std::size_t>(end - size_line.data())) &&
                   sink.write(chunk.data(), chunk.size()) && sink.write("\r\n", 2);
          });
          sent = sent && sink.write("0\r\n\r\n", 5);
          if (sent) sink.done();
          return sent;
        },
        // A scrape of 10,000 targets builds and frees tens of MB on whichever pool thread
        // serves it, and the allocator keeps freed memory for later: with glibc and without
        // this, resident memory climbed past 2 GB over a few scrapes (docs/benchmarks.md).
        [](bool) { allocator::ReleaseFreedMemory(); });
  });
  server_->Get("/", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(endpoints_.status_html(), "text/html; charset=utf-8");
  });
  server_->Get("/api/v1/status", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(endpoints_.status_json(), "application/json");
  });
  server_->Get("/probe", [this](const httplib::Request& req, httplib::Response& res) {
    if (!endpoints_.probe) {
      res.status = 404;
      res.set_content("/probe is not enabled\n", "text/plain");
      return;
    }
    ProbeRequest probe{req.get_param_value("target"),
                       req.get_param_value("module"),
                       {},
                       req.get_param_value("debug") == "true"};
    if (req.has_header("X-Prometheus-Scrape-Timeout-Seconds")) {
      // A malformed header is treated as absent: the module's own timeouts apply.
      probe.scrape_timeout_seconds =
          ParseScrapeTimeoutSeconds(req.get_header_value("X-Prometheus-Scrape-Timeout-Seconds"));
    }
    HttpReply reply = endpoints_.probe(probe);
    res.status = reply.status;
    // What set_content does, without copying the body (httplib 0.11 has no overload taking it).
    res.body = std::move(reply.body);
    res.set_header("Content-Type", reply.content_type);
  });
  server_->Get("/-/healthy", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("Healthy\n", "text/plain");
  });
  // Ready as soon as we serve: a config is loaded before the server starts.
  server_->Get("/-/ready", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("Ready\n", "text/plain");
  });
  server_->Post("/-/reload", [this](const httplib::Request&, httplib::Response& res) {
    if (auto error = endpoints_.reload()) {
      res.status = 400;  // the config asked for is bad; the running one stays
      res.set_content("failed to reload config: " + *error + "\n", "text/plain");
    } else {
      res.set_content("config reloaded\n", "text/plain");
    }
  });
  // Prometheus keeps its connection to an exporter open across scrapes; httplib's default closes
  // it after 5 requests, which cost an accept, a close and a handshake per 5 /probe scrapes.
  server_->set_keep_alive_max_count(kKeepAliveMaxRequests);
  // Scrapes and reloads carry no bodies; ConnectionServer refuses larger ones before routing.
  server_->set_payload_max_length(ConnectionServer::Options{}.framing.max_body_bytes);
}

ExporterServer::~ExporterServer() { Stop(); }

bool ExporterServer::CreateServer(const WebConfig& web, std::string* error) {
  ConnectionServer::Options options;
  options.worker_threads = kServerThreads;
  server_ = std::make_unique<ConnectionServer>(options);
  if (web.tls) {
    SSL_CTX* context = SSL_CTX_new(TLS_server_method());
    if (context == nullptr) {
      if (error) *error = "cannot set up TLS: cannot create an OpenSSL context";
      return false;
    }
    if (const std::optional<TlsSetupError> setup_error = ConfigureSslContext(*web.tls, context)) {
      SSL_CTX_free(context);
      if (error) {
        *error = "cannot set up TLS: " + setup_error->field + ": " + setup_error->message;
      }
      return false;
    }
    server_->UseTls(context);
  }
  RegisterRoutes();
  // Pre-routing runs before every route, so no endpoint (present or future) skips the check.
  if (!web.basic_auth_users.empty()) {
    authenticator_ = std::make_unique<BasicAuthenticator>(web.basic_auth_users);
    server_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (authenticator_->Authorize(req.get_header_value("Authorization"))) {
        return httplib::Server::HandlerResponse::Unhandled;
      }
      res.status = 401;
      res.set_header("WWW-Authenticate", "Basic realm=\"healthgap\"");
      res.set_content("Unauthorized\n", "text/plain");
      return httplib::Server::HandlerResponse::Handled;
    });
  }
  // Post-routing runs for every response, errors and 401s included.
  if (!web.headers.empty()) {
    server_->set_post_routing_handler(
        [headers = web.headers](const httplib::Request&, httplib::Response& res) {
          for (const auto& [name, value] : headers) res.set_header(name, value);
        });
  }
  return true;
}

bool ExporterServer::Start(const ListenAddress& address, std::string* error, const WebConfig& web) {
  if (!CreateServer(web, error)) return false;
  std::string reason;
  port_ = server_->Listen(address.host, address.port, &reason);
  if (port_ <= 0) {
    if (error) {
      *error = "cannot listen on " + address.host + ":" + std::to_string(address.port) + " (" +
               reason + ")";
    }
    return false;
  }
  thread_ = std::thread([this] { server_->Serve(); });
  return true;
}

void ExporterServer::Stop() {
  if (thread_.joinable()) {
    server_->Shutdown();
    thread_.join();
  }
}

}  // namespace healthgap::server
