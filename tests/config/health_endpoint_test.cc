// Where a health check goes (config/health_endpoint.h): the connection of tcp and grpc checks
// and the URL people see for every type.

#include "config/health_endpoint.h"

#include <gtest/gtest.h>

namespace healthgap::config {
namespace {

Target WithUrl(std::string base_url) {
  Target target;
  target.base_url = std::move(base_url);
  return target;
}

HealthCheck OfType(HealthCheckType type) {
  HealthCheck check;
  check.type = type;
  return check;
}

TEST(HealthEndpointTest, SplitAuthorityFindsThePortAfterAnIpv6Literal) {
  EXPECT_EQ(SplitAuthority("app:8080").host, "app");
  EXPECT_EQ(SplitAuthority("app:8080").port, "8080");
  EXPECT_EQ(SplitAuthority("app").port, "");
  EXPECT_EQ(SplitAuthority("[::1]:9000").host, "[::1]");
  EXPECT_EQ(SplitAuthority("[::1]:9000").port, "9000");
  EXPECT_EQ(SplitAuthority("[::1]").host, "[::1]");
  EXPECT_EQ(SplitAuthority("[::1]").port, "");
}

TEST(HealthEndpointTest, HostAndPortComeFromTheBaseUrlUnlessTheCheckSetsAPort) {
  const HealthCheck tcp = OfType(HealthCheckType::kTcp);
  EXPECT_EQ(EndpointOf(WithUrl("http://10.0.0.1:8080/api"), tcp).HostPort(), "10.0.0.1:8080");
  EXPECT_EQ(EndpointOf(WithUrl("http://app.internal"), tcp).HostPort(), "app.internal:80");
  EXPECT_EQ(EndpointOf(WithUrl("https://app.internal"), tcp).HostPort(), "app.internal:443");
  EXPECT_EQ(EndpointOf(WithUrl("http://[::1]:9000"), tcp).HostPort(), "[::1]:9000");
  EXPECT_EQ(EndpointOf(WithUrl("http://[::1]"), tcp).HostPort(), "[::1]:80");
  HealthCheck own_port = tcp;
  own_port.port = 5432;
  EXPECT_EQ(EndpointOf(WithUrl("http://[::1]:9000/x"), own_port).HostPort(), "[::1]:5432");
}

TEST(HealthEndpointTest, TlsFollowsTheSchemeUnlessTheCheckSaysOtherwise) {
  HealthCheck grpc = OfType(HealthCheckType::kGrpc);
  EXPECT_FALSE(EndpointOf(WithUrl("http://a:1"), grpc).tls);
  EXPECT_TRUE(EndpointOf(WithUrl("https://a:1"), grpc).tls);
  grpc.tls = false;
  EXPECT_FALSE(EndpointOf(WithUrl("https://a:1"), grpc).tls);
  grpc.tls = true;
  EXPECT_TRUE(EndpointOf(WithUrl("http://a:1"), grpc).tls);
}

TEST(HealthEndpointTest, DisplayUrlNamesEachType) {
  const Target target = WithUrl("http://app:8080");
  HealthCheck http = OfType(HealthCheckType::kHttp);
  http.path = "/health?token=secret";
  EXPECT_EQ(DisplayUrl(target, http), "http://app:8080/health");
  EXPECT_EQ(DisplayUrl(target, OfType(HealthCheckType::kTcp)), "tcp://app:8080");
  HealthCheck grpc = OfType(HealthCheckType::kGrpc);
  grpc.path = std::string(GrpcCheckSettings::kHealthCheckMethod);
  EXPECT_EQ(DisplayUrl(target, grpc), "grpc://app:8080");
  grpc.grpc.service = "payments";
  EXPECT_EQ(DisplayUrl(target, grpc), "grpc://app:8080/payments");
  grpc.path = "/AWS.ALB/healthcheck";
  EXPECT_EQ(DisplayUrl(target, grpc), "grpc://app:8080/AWS.ALB/healthcheck");
}

}  // namespace
}  // namespace healthgap::config
