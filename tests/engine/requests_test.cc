#include "engine/requests.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace healthgap::engine {
namespace {

using ::testing::Contains;
using ::testing::Pair;

config::Target Target() {
  config::Target target;
  target.name = "shop";
  target.base_url = "http://127.0.0.1:8080/prefix";
  target.max_body_bytes = 4096;
  target.health.path = "/health";
  config::ApiSample sample;
  sample.name = "orders";
  sample.path = "/api/orders";
  sample.headers = {{"Accept", "application/json"}};
  target.samples.push_back(sample);
  return target;
}

TEST(RequestsTest, HealthCheckIsWhatALoadBalancerSends) {
  const config::Target target = Target();
  const probe::HttpRequest request = HealthRequest(target, target.health);
  EXPECT_EQ(request.url, "http://127.0.0.1:8080/prefix/health");
  EXPECT_FALSE(request.reuse_connection);
  EXPECT_EQ(request.max_redirects, 0);
  EXPECT_TRUE(request.keep_response);  // body and headers: components, cache evidence
  EXPECT_EQ(request.max_body_bytes, 4096u);
}

TEST(RequestsTest, HealthCheckSendsTheLbsHeadersBodyAndTargetCredentials) {
  config::Target target = Target();
  target.health.method = "POST";
  target.health.headers = {{"Host", "api.internal"}};
  target.health.body = "{\"ping\":1}";
  target.auth.bearer_token = config::Secret("t0ken");
  const probe::HttpRequest request = HealthRequest(target, target.health);
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.body, "{\"ping\":1}");
  ASSERT_EQ(request.headers.size(), 2u);
  EXPECT_THAT(request.headers[0], Pair("Host", "api.internal"));
  EXPECT_THAT(request.headers[1], Pair("Authorization", "Bearer t0ken"));
}

TEST(RequestsTest, SampleIsWhatAUsersClientSendsAndKeepsNoResponse) {
  const config::Target target = Target();
  const probe::HttpRequest request = SampleRequest(target, target.samples[0]);
  EXPECT_EQ(request.url, "http://127.0.0.1:8080/prefix/api/orders");
  EXPECT_TRUE(request.reuse_connection);
  EXPECT_GT(request.max_redirects, 0);
  EXPECT_FALSE(request.keep_response);
  EXPECT_EQ(request.max_body_bytes, 4096u);
  EXPECT_THAT(request.headers, Contains(Pair("Accept", "application/json")));
}

TEST(RequestsTest, SampleWithoutKeepAliveOpensANewConnectionEachTime) {
  config::Target target = Target();
  target.samples[0].keep_alive = false;
  EXPECT_FALSE(SampleRequest(target, target.samples[0]).reuse_connection);
}

TEST(RequestsTest, HttpAndConnectionSettingsReachEveryRequest) {
  config::Target target = Target();
  target.connection = config::ConnectionSettings{.proxy_url = "http://127.0.0.1:3128",
                                                 .preferred_ip_protocol = IpProtocol::kIp4,
                                                 .ip_protocol_fallback = false};
  target.health.http = config::HttpSettings{.follow_redirects = true,
                                            .max_redirects = 2,
                                            .compression = "gzip",
                                            .valid_http_versions = {HttpVersion::kHttp2}};
  target.samples[0].http.follow_redirects = false;
  const probe::HttpRequest health = HealthRequest(target, target.health);
  EXPECT_EQ(health.max_redirects, 2);
  EXPECT_EQ(health.accept_encoding, "gzip");
  EXPECT_EQ(health.valid_http_versions, std::vector<HttpVersion>{HttpVersion::kHttp2});
  const probe::HttpRequest sample = SampleRequest(target, target.samples[0]);
  EXPECT_EQ(sample.max_redirects, 0);
  EXPECT_EQ(sample.accept_encoding, "");
  for (const probe::HttpRequest* request : {&health, &sample}) {
    EXPECT_EQ(request->proxy, "http://127.0.0.1:3128");
    EXPECT_EQ(request->ip_protocol, IpProtocol::kIp4);
    EXPECT_FALSE(request->ip_protocol_fallback);
  }
  // The defaults: load balancers follow no redirects, clients follow up to 5; no proxy.
  const config::Target plain = Target();
  EXPECT_EQ(HealthRequest(plain, plain.health).max_redirects, 0);
  EXPECT_EQ(SampleRequest(plain, plain.samples[0]).max_redirects, 5);
  EXPECT_EQ(SampleRequest(plain, plain.samples[0]).proxy, "");
}

}  // namespace
}  // namespace healthgap::engine
