#include "server/exporter_server.h"

#include <httplib.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "common/allocator.h"
#include "server/plain_server.h"

namespace healthgap::server {

namespace {
constexpr std::size_t kKeepAliveMaxRequests = 100'000;
// Requests served at once. A /probe holds its thread for the whole probe, up to the module's
// timeout against a hung target; httplib's default of 8 let 8 such scrapes starve /metrics.
// Idle threads cost only their (untouched) stacks.
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
    res.set_chunked_content_provider(
        kExpositionContentType,
        [this](std::size_t, httplib::DataSink& sink) {
          // Once a write fails (the client went away) the rest of the text is dropped unsent,
          // and returning false closes the connection.
          bool sent = true;
          endpoints_.metrics([&](std::string_view chunk) {
            sent = sent && sink.write(chunk.data(), chunk.size());
          });
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
    ProbeRequest probe{req.get_param_value("target"), req.get_param_value("module"), {}};
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
      res.status = 500;
      res.set_content("failed to reload config: " + *error + "\n", "text/plain");
    } else {
      res.set_content("config reloaded\n", "text/plain");
    }
  });
  // httplib's default sets SO_REUSEPORT, which lets a second exporter bind the same port and
  // silently take half the scrapes. SO_REUSEADDR alone still allows a quick restart.
  server_->set_socket_options([](int socket) {
    int yes = 1;
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  // httplib writes headers and body separately (PlainServer does not, SSLServer does); with
  // Nagle on, a keep-alive client (Prometheus, wrk) then waits for its own delayed ACK: 40 ms on
  // every scrape (bench/, docs/benchmarks.md). Chunked /metrics writes in pieces either way.
  server_->set_tcp_nodelay(true);
  server_->new_task_queue = [] { return new httplib::ThreadPool(kServerThreads); };
  // Prometheus keeps its connection to an exporter open across scrapes; httplib's default closes
  // it after 5 requests, which cost an accept, a close and a handshake per 5 /probe scrapes.
  server_->set_keep_alive_max_count(kKeepAliveMaxRequests);
  // Scrapes and reloads are small: refuse large request bodies outright.
  server_->set_payload_max_length(64 * 1024);
}

ExporterServer::~ExporterServer() { Stop(); }

bool ExporterServer::CreateServer(const WebConfig& web, std::string* error) {
  if (web.tls) {
    std::optional<TlsSetupError> setup_error;
    auto tls_server = std::make_unique<httplib::SSLServer>([&](SSL_CTX& ctx) {
      setup_error = ConfigureSslContext(*web.tls, &ctx);
      return !setup_error.has_value();
    });
    if (!tls_server->is_valid()) {
      if (error) {
        *error = setup_error
                     ? "cannot set up TLS: " + setup_error->field + ": " + setup_error->message
                     : "cannot set up TLS: cannot create an OpenSSL context";
      }
      return false;
    }
    server_ = std::move(tls_server);
  } else {
    auto plain_server = std::make_unique<PlainServer>();
    plain_server_ = plain_server.get();
    server_ = std::move(plain_server);
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
  if (address.port == 0) {
    port_ = server_->bind_to_any_port(address.host);
  } else if (server_->bind_to_port(address.host, address.port)) {
    port_ = address.port;
  } else {
    port_ = -1;
  }
  if (port_ <= 0) {
    if (error) {
      *error = "cannot listen on " + address.host + ":" + std::to_string(address.port) +
               " (address in use or not available)";
    }
    return false;
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // httplib's stop() is lost if it runs before the accept loop has started, and Stop() would
  // then wait forever: return only once the loop runs. The socket already accepts meanwhile.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!server_->is_running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

void ExporterServer::Stop() {
  if (thread_.joinable()) {
    if (plain_server_ != nullptr) {
      plain_server_->Shutdown();
    } else {
      server_->stop();
    }
    thread_.join();
  }
}

}  // namespace healthgap::server
