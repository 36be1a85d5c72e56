#include "config/health_endpoint.h"

namespace healthgap::config {

Authority SplitAuthority(std::string_view authority) {
  const std::size_t bracket = authority.rfind(']');
  const std::size_t colon = authority.rfind(':');
  if (colon == std::string_view::npos || (bracket != std::string_view::npos && colon < bracket)) {
    return {std::string(authority), ""};
  }
  return {std::string(authority.substr(0, colon)), std::string(authority.substr(colon + 1))};
}

HealthEndpoint EndpointOf(const Target& target, const HealthCheck& check) {
  // config/ normalised the base URL: a lower-case scheme, an IPv6 host in brackets.
  const std::string& base = target.base_url;
  const std::size_t scheme_end = base.find("://");
  const std::string scheme = scheme_end == std::string::npos ? "" : base.substr(0, scheme_end);
  const std::size_t host_start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  const Authority authority = SplitAuthority(
      std::string_view(base).substr(host_start, base.find('/', host_start) - host_start));
  HealthEndpoint endpoint;
  endpoint.host = authority.host;
  endpoint.tls = check.tls.value_or(scheme == "https");
  endpoint.port = check.port                ? std::to_string(*check.port)
                  : !authority.port.empty() ? authority.port
                  : scheme == "https"       ? "443"
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
