#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/failure_reason.h"
#include "common/grpc_health.h"
#include "common/http_protocol.h"
#include "common/regex.h"
#include "common/tls_version.h"

namespace healthgap::probe {

// Decides, hop by hop, whether a request may follow a redirect (probe/redirects.h). /probe's
// guard is its allowlist, which may resolve host names: a guard runs on the thread that drives
// the request (for /probe the scrape's own thread, CurlCallerThreadClient).
class RedirectGuard {
 public:
  virtual ~RedirectGuard() = default;
  // Empty when `next` may be sent; the guard may amend it (its URL normalised as checked, pins
  // for its host added to `resolve`). Otherwise why not, for humans.
  virtual std::string Refusal(struct HttpRequest& next) const = 0;
};

// TLS to the target; the defaults verify against the system's CAs and the URL's host.
struct TlsOptions {
  std::string ca_file{};    // PEM bundle to verify against instead of the system's
  std::string cert_file{};  // client certificate and key (mTLS)
  std::string key_file{};
  // Sent as SNI and verified against instead of the URL's host, which stays the address
  // connected to and the Host header (blackbox_exporter's server_name).
  std::string server_name{};
  bool insecure_skip_verify = false;
  std::optional<TlsVersion> min_version{};
  bool operator==(const TlsOptions&) const = default;
};

// A TCP health check in place of an HTTP request (HttpRequest::tcp): connect (TLS for an
// https:// URL), then send `send` and read until the reply matches `expect`, blackbox_exporter's
// query_response in one step. Without either, a completed connection (and handshake) passes.
struct TcpExchange {
  std::string send;
  std::optional<Regex> expect;  // searched in everything received so far, up to max_body_bytes
};

// A gRPC health check in place of an HTTP request (HttpRequest::grpc): one unary call to
// `method` on the URL's host and port (plain text for http://, TLS for https://), the request's
// headers sent as metadata.
struct GrpcCall {
  static constexpr std::string_view kHealthCheckMethod = grpc_health::kCheckMethod;
  std::string method{kHealthCheckMethod};
  // grpc.health.v1's HealthCheckRequest.service ("" asks for the server's overall health); sent
  // only to kHealthCheckMethod, any other method gets an empty message (as ALB sends).
  std::string service;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{5'000};
  std::size_t max_body_bytes = 1 << 20;
  // false: the body is counted and capped, but neither it nor the headers are kept (API
  // samples: their status and timing are the signal, and copying every response's body and
  // headers would cost memory and CPU per sample).
  bool keep_response = true;
  // Load balancers probe on a fresh connection each time; API samples may reuse one.
  bool reuse_connection = false;
  // Redirects followed, each hop a request of its own (probe/redirects.h); 0: the 3xx is the
  // result. A chain longer than this fails with kTooManyRedirects.
  int max_redirects = 5;
  // Checks every hop before it is sent; null: any http or https URL.
  std::shared_ptr<const RedirectGuard> redirect_guard;
  // CURLOPT_RESOLVE entries ("host:port:addr"): pins host names to addresses already checked
  // (the /probe SSRF guard), so DNS cannot answer differently between check and request.
  std::vector<std::string> resolve;
  TlsOptions tls;  // every hop's
  // Every hop goes through this proxy; empty: none, whatever http_proxy & co. say.
  std::string proxy;
  // Sent as Accept-Encoding and decoded ("gzip"); empty: none sent.
  std::string accept_encoding;
  // A response in another version fails with kBadResponse; empty: any.
  std::vector<HttpVersion> valid_http_versions;
  // Resolve and connect over this family only; nullopt: either. With ip_protocol_fallback a
  // name without an address of that family is tried once more over the other.
  std::optional<IpProtocol> ip_protocol;
  bool ip_protocol_fallback = true;
  // Not HTTP: a TCP exchange (CurlMultiClient), a gRPC call (GrpcHealthClient). The URL still
  // names the scheme (TLS or not), host and port; method, body and redirects do not apply.
  std::optional<TcpExchange> tcp;
  std::optional<GrpcCall> grpc;
  // Requests with the same affinity run on the same I/O loop (ShardedClient): the engine sets
  // a stable hash of the target's name, so a target keeps its connections on one loop.
  std::uint64_t affinity = 0;
};

// Seconds spent in each phase, as blackbox_exporter's probe_http_duration_seconds{phase}.
struct PhaseTimings {
  double resolve = 0;
  double connect = 0;
  double tls = 0;
  double processing = 0;  // request sent until first response byte
  double transfer = 0;    // first byte until last byte
};

// What a completed TLS handshake showed: blackbox_exporter's probe_tls_version_info,
// probe_ssl_earliest_cert_expiry and probe_ssl_last_chain_expiry_timestamp_seconds.
struct TlsInfo {
  std::optional<TlsVersion> version{};  // nullopt: a version this build has no name for
  // Unix seconds: the earliest NotAfter among the certificates the server presented.
  double earliest_cert_expiry = 0;
  // Unix seconds: the earliest NotAfter within the chain OpenSSL verified (root included);
  // nullopt when nothing was verified (insecure_skip_verify against an untrusted certificate).
  std::optional<double> last_chain_expiry{};
  bool operator==(const TlsInfo&) const = default;
};

// How a gRPC call ended (HttpResult::grpc): its status code, and for grpc.health.v1 the
// serving status it answered.
struct GrpcReply {
  int code = 0;  // grpc::StatusCode: 0 OK, 5 NOT_FOUND, 12 UNIMPLEMENTED, 14 UNAVAILABLE, ...
  // HealthCheckResponse.status: 0 UNKNOWN, 1 SERVING, 2 NOT_SERVING, 3 SERVICE_UNKNOWN;
  // nullopt unless the call was a health check that returned OK.
  std::optional<int> serving_status;
};

struct HttpResult {
  // Why no complete response arrived; nullopt when one did (whatever its status code). Only
  // transport reasons: never kStatus or kSlow, which judge a response (eval/outcome.h).
  std::optional<FailureReason> error;
  std::string error_message;  // human detail for logs and `check`, never a label
  int status_code = 0;        // 0 when no response arrived
  PhaseTimings phases;
  Duration total{0};
  std::size_t body_bytes = 0;  // bytes received (up to the cap)
  // First bytes of the body (for a TCP exchange: of the reply), at most max_body_bytes; empty
  // without keep_response.
  std::string body;
  // Response headers, names lowercased; empty without keep_response.
  std::vector<std::pair<std::string, std::string>> headers;
  TimePoint started{};                      // when the request was handed to the transport
  std::optional<HttpVersion> http_version;  // of the response; nullopt when none arrived
  std::optional<IpProtocol> ip_protocol;    // of the connection; nullopt when none was made
  // The final hop's handshake; nullopt for plain http, a reused connection (no handshake) or a
  // handshake that failed.
  std::optional<TlsInfo> tls;
  // A gRPC call that reached the server; nullopt for HTTP and TCP, and when error is set.
  std::optional<GrpcReply> grpc;
};

// Asynchronous HTTP. Thread-safe: Send may be called from any thread; `done` runs on the
// client's own I/O thread and must not block.
class HttpClient {
 public:
  using Callback = std::function<void(HttpResult)>;
  virtual ~HttpClient() = default;
  virtual void Send(HttpRequest request, Callback done) = 0;
  // Requests handed over and not yet completed.
  virtual std::size_t InFlight() const = 0;

  // Sends all requests (they run concurrently), waits for every result and returns them in
  // request order. The default hands them to Send and blocks until every callback has run
  // (probe/blocking.cc); a client may run them on the calling thread instead. Never call it
  // from one of this client's callbacks.
  virtual std::vector<HttpResult> SendAllBlocking(std::vector<HttpRequest> requests);
};

}  // namespace healthgap::probe
