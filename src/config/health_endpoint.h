#pragma once

// Where a health check goes, from the target's base URL and the check's own settings: what the
// engine connects to and what people (the `url` label, the status page, `check`) are shown.

#include <string>
#include <string_view>

#include "config/config.h"

namespace healthgap::config {

// "host:port", "[::1]:port" or a bare host split at the port's colon (the last one after an
// IPv6 literal's closing bracket); the host keeps its brackets, the port is empty when absent.
struct Authority {
  std::string host;
  std::string port;
};
Authority SplitAuthority(std::string_view authority);

// Where a tcp or grpc check connects: the base URL's host (an IPv6 literal in brackets) and the
// check's port, else the base URL's (or its scheme's default); TLS when the check says so, else
// when the base URL is https.
struct HealthEndpoint {
  std::string host;  // as in the URL
  std::string port;
  bool tls = false;
  std::string HostPort() const { return host + ":" + port; }
};
HealthEndpoint EndpointOf(const Target& target, const HealthCheck& check);

// The check as people see it: an http check's URL without its query; tcp://HOST:PORT;
// grpc://HOST:PORT/SERVICE (grpc://HOST:PORT for the server's overall health, and the method
// instead of a service when it is not grpc.health.v1's Check).
std::string DisplayUrl(const Target& target, const HealthCheck& check);

}  // namespace healthgap::config
