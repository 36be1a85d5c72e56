// Redirects hop by hop: the pure rules (method, body, headers per origin), then both curl
// clients against real loopback servers, one of which stands for a host the request must not
// reach or must reach without credentials.

#include "probe/redirects.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>

#include "common/clock.h"
#include "probe/blocking.h"
#include "probe/curl_multi_client.h"
#include "support/loopback_server.h"

namespace healthgap::probe {
namespace {

using testing::LoopbackServer;
using testing::RecordedRequest;

HttpRequest Post(std::string url) {
  HttpRequest request;
  request.method = "POST";
  request.url = std::move(url);
  request.body = R"({"q":1})";
  request.headers = {{"Content-Type", "application/json"},
                     {"X-Api-Key", "secret"},
                     {"Authorization", "Bearer token"},
                     {"Accept", "application/json"}};
  return request;
}

std::vector<std::string> HeaderNames(const HttpRequest& request) {
  std::vector<std::string> names;
  for (const auto& [name, value] : request.headers) names.push_back(name);
  return names;
}

TEST(SameOriginTest, ComparesSchemeHostAndPortWithDefaults) {
  EXPECT_TRUE(SameOrigin("http://a.example/x", "http://A.example:80/y?z"));
  EXPECT_TRUE(SameOrigin("https://a.example:443/", "https://a.example./"));
  EXPECT_TRUE(SameOrigin("http://[::1]:8080/a", "http://[::1]:8080/b"));
  EXPECT_FALSE(SameOrigin("http://a.example/", "https://a.example/"));
  EXPECT_FALSE(SameOrigin("http://a.example/", "http://b.example/"));
  EXPECT_FALSE(SameOrigin("http://a.example:8080/", "http://a.example:8081/"));
  EXPECT_FALSE(SameOrigin("http://a.example/", "http://evil.example@a.example.evil/"));
  EXPECT_FALSE(SameOrigin("http://127.0.0.1/", "http://127.0.0.1@evil.example/"));
}

TEST(RedirectedRequestTest, SeeOtherAndFoundBecomeGetWithoutBody) {
  for (int status : {301, 302, 303}) {
    const HttpRequest next = RedirectedRequest(Post("http://a/api"), status, "http://a/other");
    EXPECT_EQ(next.method, "GET") << status;
    EXPECT_TRUE(next.body.empty()) << status;
    EXPECT_THAT(HeaderNames(next), ::testing::ElementsAre("X-Api-Key", "Authorization", "Accept"))
        << status;
  }
  HttpRequest head = Post("http://a/api");
  head.method = "HEAD";
  head.body.clear();
  EXPECT_EQ(RedirectedRequest(head, 303, "http://a/x").method, "HEAD");
}

TEST(RedirectedRequestTest, TemporaryAndPermanentRedirectsRepeatMethodAndBody) {
  for (int status : {307, 308}) {
    const HttpRequest next = RedirectedRequest(Post("http://a/api"), status, "http://a/v2");
    EXPECT_EQ(next.method, "POST");
    EXPECT_EQ(next.body, R"({"q":1})");
    EXPECT_EQ(next.url, "http://a/v2");
    EXPECT_EQ(next.headers.size(), 4u);
  }
}

TEST(RedirectedRequestTest, AnotherOriginGetsNoCredentialsOrApplicationHeaders) {
  HttpRequest request = Post("http://a:8080/api");
  request.headers.push_back({"Cookie", "session=1"});
  request.headers.push_back({"User-Agent", "ua"});
  const HttpRequest moved = RedirectedRequest(request, 307, "http://b:8080/api");
  EXPECT_THAT(HeaderNames(moved), ::testing::ElementsAre("Content-Type", "Accept", "User-Agent"));
  const HttpRequest scheme = RedirectedRequest(request, 302, "https://a:8080/api");
  EXPECT_THAT(HeaderNames(scheme), ::testing::ElementsAre("Accept", "User-Agent"));
}

// A guard that refuses every hop and counts how often it was asked.
class RefuseAll final : public RedirectGuard {
 public:
  std::string Refusal(HttpRequest&) const override {
    ++asked;
    return "refused by the test";
  }
  mutable int asked = 0;
};

enum class ClientKind { kMulti, kCallerThread };

class RedirectHopsTest : public ::testing::TestWithParam<ClientKind> {
 protected:
  void SetUp() override {
    other_.Handle("/.*", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("other", "text/plain");
    });
    ASSERT_TRUE(other_.Start());
    const std::string other_url = other_.Url("/landed");
    for (int status : {302, 307}) {
      target_.Handle("/to-other-" + std::to_string(status),
                     [other_url, status](const httplib::Request&, httplib::Response& res) {
                       res.set_redirect(other_url, status);
                     });
    }
    target_.Handle("/to-self", [](const httplib::Request&, httplib::Response& res) {
      res.set_redirect("/landed", 307);
    });
    target_.Handle("/landed", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("self", "text/plain");
    });
    ASSERT_TRUE(target_.Start());
    if (GetParam() == ClientKind::kMulti) {
      client_ = std::make_unique<CurlMultiClient>(clock_);
    } else {
      client_ = std::make_unique<CurlCallerThreadClient>(clock_);
    }
  }

  HttpResult Send(HttpRequest request) { return SendAndWait(*client_, std::move(request)); }

  RealClock clock_;
  LoopbackServer target_;
  LoopbackServer other_;
  std::unique_ptr<HttpClient> client_;
};

TEST_P(RedirectHopsTest, CrossOriginHopCarriesNoSecrets) {
  const HttpResult result = Send(Post(target_.Url("/to-other-307")));
  ASSERT_EQ(result.error, std::nullopt) << result.error_message;
  EXPECT_EQ(result.status_code, 200);
  ASSERT_EQ(other_.RequestCount(), 1u);
  const RecordedRequest seen = other_.Requests()[0];
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.body, R"({"q":1})");
  EXPECT_EQ(seen.headers.count("X-Api-Key"), 0u);
  EXPECT_EQ(seen.headers.count("Authorization"), 0u);
  EXPECT_EQ(seen.headers.find("Accept")->second, "application/json");
}

TEST_P(RedirectHopsTest, FoundTurnsPostIntoGet) {
  const HttpResult result = Send(Post(target_.Url("/to-other-302")));
  ASSERT_EQ(result.status_code, 200) << result.error_message;
  ASSERT_EQ(other_.RequestCount(), 1u);
  EXPECT_EQ(other_.Requests()[0].method, "GET");
  EXPECT_EQ(other_.Requests()[0].body, "");
}

TEST_P(RedirectHopsTest, SameOriginHopKeepsHeaders) {
  const HttpResult result = Send(Post(target_.Url("/to-self")));
  ASSERT_EQ(result.status_code, 200) << result.error_message;
  const std::vector<RecordedRequest> seen = target_.Requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].path, "/landed");
  EXPECT_EQ(seen[1].headers.find("X-Api-Key")->second, "secret");
}

TEST_P(RedirectHopsTest, RefusedHopIsNeverSentAndTheRedirectIsTheResult) {
  HttpRequest request = Post(target_.Url("/to-other-307"));
  const auto guard = std::make_shared<RefuseAll>();
  request.redirect_guard = guard;
  const HttpResult result = Send(request);
  EXPECT_EQ(result.error, std::nullopt);
  EXPECT_EQ(result.status_code, 307);
  EXPECT_EQ(result.error_message,
            "redirect to " + other_.Url("/landed") + " not followed: refused by the test");
  EXPECT_EQ(guard->asked, 1);
  EXPECT_EQ(other_.RequestCount(), 0u);
}

TEST_P(RedirectHopsTest, NoRedirectsAllowedMeansTheRedirectIsTheResult) {
  HttpRequest request = Post(target_.Url("/to-other-302"));
  request.max_redirects = 0;  // health checks: a load balancer does not follow
  const HttpResult result = Send(request);
  EXPECT_EQ(result.status_code, 302);
  EXPECT_EQ(other_.RequestCount(), 0u);
}

INSTANTIATE_TEST_SUITE_P(BothClients, RedirectHopsTest,
                         ::testing::Values(ClientKind::kMulti, ClientKind::kCallerThread),
                         [](const ::testing::TestParamInfo<ClientKind>& info) {
                           return info.param == ClientKind::kMulti ? "Multi" : "CallerThread";
                         });

}  // namespace
}  // namespace healthgap::probe
