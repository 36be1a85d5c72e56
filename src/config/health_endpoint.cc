#include "config/health_endpoint.h"

namespace healthgap::config {

HealthEndpoint EndpointOf(const Target& target, const HealthCheck& check) {
  // config/ normalised the base URL: a lower-case scheme, an IPv6 host in brackets.
  const std::string& base = target.base_url;
  const std::size_t scheme_end = base.find("://");
  const std::string scheme = scheme_end == std::string::npos ? "" : base.substr(0, scheme_end);
  const std::size_t host_start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  const std::string authority = base.substr(host_start, base.find('/', host_start) - host_start);
  // The port's colon is the last one after any IPv6 literal's closing bracket.
  const std::size_t bracket = authority.rfind(']');
  const std::size_t colon = authority.rfind(':');
  const bool has_port =
      colon != std::string::npos && (bracket == std::string::npos || colon > bracket);
  HealthEndpoint endpoint;
  endpoint.host = has_port ? authority.substr(0, colon) : authority;
  endpoint.tls = check.tls.value_or(scheme == "https");
  endpoint.port = check.port          ? std::to_string(*check.port)
                  : has_port          ? authority.substr(colon + 1)
                  : scheme == "https" ? "443"
                                      : "80";
  return endpoint;
}

std::string DisplayUrl(const Target& target, const HealthCheck& check) {
  switch (check.type) {
    case HealthCheckType::kHttp:
      return target.UrlFor(check.path.substr(0, check.path.find('?')));
    case HealthCheckType::kTcp:
      return "tcp://" + EndpointOf(target, check).HostPort();
    case HealthCheckType::kGrpc: {
      const std::string base = "grpc://" + EndpointOf(target, check).HostPort();
      if (check.path != GrpcCheckSettings::kHealthCheckMethod) return base + check.path;
      return check.grpc.service.empty() ? base : base + "/" + check.grpc.service;
    }
  }
  return target.base_url;
}

}  // namespace healthgap::config
