#include "engine/requests.h"

#include "config/auth.h"
#include "config/health_endpoint.h"

namespace healthgap::engine {

namespace {

// What every request to `target` has: the method and URL of `path`, its timeout, the body limit
// and the target's credentials.
probe::HttpRequest TargetRequest(const config::Target& target, const std::string& method,
                                 const std::string& path, std::chrono::milliseconds timeout) {
  probe::HttpRequest request;
  request.method = method;
  request.url = target.base_url + path;
  request.timeout = timeout;
  request.max_body_bytes = target.max_body_bytes;
  for (auto& header : config::AuthHeaders(target.auth)) request.headers.push_back(header);
  request.tls = probe::TlsOptions{
      .ca_file = target.tls.ca_file,
      .cert_file = target.tls.cert_file,
      .key_file = target.tls.key_file,
      .server_name = target.tls.server_name,
      .insecure_skip_verify = target.tls.insecure_skip_verify,
      .min_version = target.tls.min_version,
  };
  request.proxy = target.connection.proxy_url;
  request.ip_protocol = target.connection.preferred_ip_protocol;
  request.ip_protocol_fallback = target.connection.ip_protocol_fallback;
  return request;
}

// A health check's or sample's follow_redirects, max_redirects, compression and
// valid_http_versions.
void ApplyHttpSettings(const config::HttpSettings& http, probe::HttpRequest& request) {
  request.max_redirects = http.follow_redirects ? http.max_redirects : 0;
  request.accept_encoding = http.compression;
  request.valid_http_versions = http.valid_http_versions;
}

}  // namespace

probe::HttpRequest HealthRequest(const config::Target& target, const config::HealthCheck& check) {
  if (check.type != config::HealthCheckType::kHttp) {
    probe::HttpRequest request = TargetRequest(target, "GET", "", check.timeout);
    const config::HealthEndpoint endpoint = config::EndpointOf(target, check);
    request.url = (endpoint.tls ? "https://" : "http://") + endpoint.HostPort();
    request.reuse_connection = false;
    request.max_redirects = 0;
    request.proxy.clear();  // config/ refuses a proxy for these; a load balancer connects directly
    if (check.type == config::HealthCheckType::kTcp) {
      request.headers.clear();  // no HTTP, so no credentials to send
      request.tcp = probe::TcpExchange{.send = check.tcp.send, .expect = check.tcp.expect};
    } else {
      // Metadata: the check's headers, then the target's credentials (a bearer token).
      request.headers.insert(request.headers.begin(), check.headers.begin(), check.headers.end());
      request.grpc = probe::GrpcCall{.method = check.path, .service = check.grpc.service};
    }
    return request;
  }
  probe::HttpRequest request = TargetRequest(target, check.method, check.path, check.timeout);
  request.headers.insert(request.headers.begin(), check.headers.begin(), check.headers.end());
  request.body = check.body;
  request.reuse_connection = false;
  ApplyHttpSettings(check.http, request);
  return request;
}

probe::HttpRequest SampleRequest(const config::Target& target, const config::ApiSample& sample) {
  probe::HttpRequest request = TargetRequest(target, sample.method, sample.path, sample.timeout);
  // The sample's headers first, then the credentials, as before.
  request.headers.insert(request.headers.begin(), sample.headers.begin(), sample.headers.end());
  request.body = sample.body;
  // A sample is judged by its status and timing, and by its headers and body only when a
  // condition asks.
  request.keep_response = !sample.conditions.empty();
  request.reuse_connection = sample.keep_alive;
  ApplyHttpSettings(sample.http, request);
  return request;
}

}  // namespace healthgap::engine
