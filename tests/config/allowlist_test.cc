#include "config/allowlist.h"

#include <gtest/gtest.h>

#include <map>

namespace healthgap::config {
namespace {

// Answers from a table; a name not in it fails to resolve.
class FakeResolver final : public Resolver {
 public:
  explicit FakeResolver(std::map<std::string, std::vector<std::string>> answers)
      : answers_(std::move(answers)) {}
  // Resolver
  std::vector<std::string> Resolve(const std::string& host, std::string* error) const override {
    ++calls;
    const auto it = answers_.find(host);
    if (it == answers_.end()) {
      *error = "Name or service not known";
      return {};
    }
    return it->second;
  }
  mutable int calls = 0;

 private:
  std::map<std::string, std::vector<std::string>> answers_;
};

AllowRule Rule(AllowRule::Kind kind, std::string_view text) {
  auto parsed = ParseAllowRule(kind, text);
  EXPECT_TRUE(parsed.value) << parsed.error;
  return parsed.value.value_or(AllowRule{});
}

std::vector<AllowRule> Rules() {
  return {Rule(AllowRule::Kind::kUrlPrefix, "https://api.internal/v1/"),
          Rule(AllowRule::Kind::kHost, "*.svc.cluster.local"),
          Rule(AllowRule::Kind::kCidr, "10.0.0.0/8"), Rule(AllowRule::Kind::kCidr, "fd00::/8")};
}

const FakeResolver& Dns() {
  static const FakeResolver resolver({
      {"inside.example", {"10.1.2.3"}},
      {"inside6.example", {"fd00::1", "10.9.9.9"}},
      {"split.example", {"10.1.2.3", "169.254.169.254"}},
      {"mapped.example", {"::ffff:127.0.0.1"}},
      {"outside.example", {"192.0.2.1"}},
  });
  return resolver;
}

struct UrlCase {
  std::string url;
  bool allowed;
  std::string reason;
};

void PrintTo(const UrlCase& c, std::ostream* out) { *out << c.url; }

class CheckProbeTargetTest : public testing::TestWithParam<UrlCase> {};

TEST_P(CheckProbeTargetTest, DecidesWithExactReason) {
  const ProbeAllowDecision decision = CheckProbeTarget(Rules(), GetParam().url, Dns());
  EXPECT_EQ(decision.allowed, GetParam().allowed);
  EXPECT_EQ(decision.reason, GetParam().reason);
}

INSTANTIATE_TEST_SUITE_P(
    Urls, CheckProbeTargetTest,
    testing::Values(
        // url_prefix: same scheme, host and port; path on segment boundaries.
        UrlCase{"https://api.internal/v1", true, "allowed by url_prefix https://api.internal/v1"},
        UrlCase{"HTTPS://API.Internal:443/v1/orders/", true,
                "allowed by url_prefix https://api.internal/v1"},
        UrlCase{"https://api.internal/v12", false,
                "no url_prefix or host rule matches \"api.internal\" and it does not resolve for "
                "the cidr rules: Name or service not known"},
        UrlCase{"http://api.internal/v1", false,
                "no url_prefix or host rule matches \"api.internal\" and it does not resolve for "
                "the cidr rules: Name or service not known"},
        UrlCase{"https://api.internal:8443/v1", false,
                "no url_prefix or host rule matches \"api.internal\" and it does not resolve for "
                "the cidr rules: Name or service not known"},
        UrlCase{"https://api.internal.evil.com/v1", false,
                "no url_prefix or host rule matches \"api.internal.evil.com\" and it does not "
                "resolve for "
                "the cidr rules: Name or service not known"},
        UrlCase{"https://api.internal/v1/../admin", false,
                "invalid URL \"https://api.internal/v1/../admin\": \".\" and \"..\" path segments "
                "are not allowed"},
        UrlCase{"https://api.internal/v1/%2e%2e/admin", false,
                "invalid URL \"https://api.internal/v1/%2e%2e/admin\": percent-encoded \".\", "
                "\"/\" or \"\\\" is not allowed in the path"},
        // host glob, case-insensitive, any depth, trailing dot.
        UrlCase{"http://checkout.prod.svc.cluster.local:8080", true,
                "allowed by host *.svc.cluster.local"},
        UrlCase{"http://Checkout.SVC.cluster.local.", true, "allowed by host *.svc.cluster.local"},
        UrlCase{"http://svc.cluster.local", false,
                "no url_prefix or host rule matches \"svc.cluster.local\" and it does not resolve "
                "for the cidr rules: Name or service not known"},
        // URL confusion: credentials, backslashes, encoded hosts, IDN, odd numeric forms.
        UrlCase{"http://127.0.0.1@checkout.svc.cluster.local", false,
                "invalid URL \"http://127.0.0.1@checkout.svc.cluster.local\": must not contain "
                "credentials; set them in the target's auth"},
        UrlCase{"http://a.svc.cluster.local\\@127.0.0.1/", false,
                "invalid URL \"http://a.svc.cluster.local\\@127.0.0.1/\": backslashes are not "
                "allowed"},
        UrlCase{"http://a.svc.cluster.local#@127.0.0.1", false,
                "invalid URL \"http://a.svc.cluster.local#@127.0.0.1\": must not contain a "
                "fragment"},
        UrlCase{"http://%31%30.0.0.1/", false,
                "invalid URL \"http://%31%30.0.0.1/\": invalid host \"%31%30.0.0.1\""},
        UrlCase{"http://bücher.svc.cluster.local", false,
                "invalid URL \"http://bücher.svc.cluster.local\": non-ASCII characters are not "
                "allowed; write international host names in their xn-- form"},
        UrlCase{"http://167772161", false,
                "invalid URL \"http://167772161\": numeric host \"167772161\" is not a plain "
                "IPv4 address; write it as four decimal numbers"},
        UrlCase{"http://0x0a.1", false,
                "invalid URL \"http://0x0a.1\": numeric host \"0x0a.1\" is not a plain IPv4 "
                "address; write it as four decimal numbers"},
        UrlCase{"http://010.0.0.1", false,
                "invalid URL \"http://010.0.0.1\": numeric host \"010.0.0.1\" is not a plain "
                "IPv4 address; write it as four decimal numbers"},
        UrlCase{"file:///etc/passwd", false,
                "invalid URL \"file:///etc/passwd\": scheme \"file\" is not supported, expected "
                "http or https"},
        UrlCase{"gopher://10.0.0.1", false,
                "invalid URL \"gopher://10.0.0.1\": scheme \"gopher\" is not supported, expected "
                "http or https"},
        // cidr: IP literals directly; names by every resolved address.
        UrlCase{"http://10.0.0.1:8080", true, "allowed by cidr 10.0.0.0/8"},
        UrlCase{"http://11.0.0.1", false, "no probe.allow rule matches \"11.0.0.1\""},
        UrlCase{"http://[fd00::5]:8080", true, "allowed by cidr fd00::/8"},
        UrlCase{"http://[::ffff:10.0.0.1]", true, "allowed by cidr 10.0.0.0/8"},
        UrlCase{"http://[::ffff:127.0.0.1]", false,
                "no probe.allow rule matches \"::ffff:127.0.0.1\""},
        UrlCase{"http://[fe80::1%25eth0]", false,
                "invalid URL \"http://[fe80::1%25eth0]\": invalid IPv6 address"},
        UrlCase{"http://169.254.169.254/latest/meta-data", false,
                "no probe.allow rule matches \"169.254.169.254\""},
        UrlCase{"http://inside.example:8080", true,
                "allowed by cidr 10.0.0.0/8 (\"inside.example\" resolves to 10.1.2.3)"},
        UrlCase{"http://inside6.example", true,
                "allowed by cidr fd00::/8 (\"inside6.example\" resolves to [fd00::1],10.9.9.9)"},
        UrlCase{"http://split.example", false,
                "\"split.example\" resolves to 169.254.169.254, which no probe.allow rule allows"},
        UrlCase{"http://mapped.example", false,
                "\"mapped.example\" resolves to ::ffff:127.0.0.1, which no probe.allow rule "
                "allows"},
        UrlCase{"http://outside.example", false,
                "\"outside.example\" resolves to 192.0.2.1, which no probe.allow rule allows"}),
    [](const testing::TestParamInfo<UrlCase>& info) {
      return "case" + std::to_string(info.index);
    });

TEST(CheckProbeTargetTest, NoRulesRefusesEverything) {
  const auto decision = CheckProbeTarget({}, "http://10.0.0.1", Dns());
  EXPECT_FALSE(decision.allowed);
  EXPECT_EQ(decision.reason, "no probe.allow rules are configured, so /probe refuses every target");
}

TEST(CheckProbeTargetTest, NormalisesTheUrlToProbe) {
  const auto decision = CheckProbeTarget(Rules(), "HTTP://Checkout.SVC.cluster.local.:80/", Dns());
  EXPECT_TRUE(decision.allowed);
  EXPECT_EQ(decision.url, "http://checkout.svc.cluster.local");
}

TEST(CheckProbeTargetTest, PinsTheCheckedAddressesForCurl) {
  const auto decision = CheckProbeTarget(Rules(), "https://inside6.example:8443/app", Dns());
  ASSERT_TRUE(decision.allowed) << decision.reason;
  EXPECT_EQ(decision.resolve,
            (std::vector<std::string>{"inside6.example:8443:[fd00::1],10.9.9.9"}));
  EXPECT_EQ(decision.url, "https://inside6.example:8443/app");
}

TEST(CheckProbeTargetTest, HostAndPrefixRulesNeedNoDns) {
  FakeResolver resolver({});
  const auto decision = CheckProbeTarget(Rules(), "http://a.svc.cluster.local", resolver);
  EXPECT_TRUE(decision.allowed);
  EXPECT_TRUE(decision.resolve.empty());
  EXPECT_EQ(resolver.calls, 0);
}

TEST(ParseAllowRuleTest, NormalisesAndRejects) {
  EXPECT_EQ(Rule(AllowRule::Kind::kUrlPrefix, "HTTPS://API.internal:443/v1/").pattern,
            "https://api.internal/v1");
  EXPECT_EQ(Rule(AllowRule::Kind::kHost, "*.Svc.Cluster.Local").pattern, "*.svc.cluster.local");
  EXPECT_EQ(Rule(AllowRule::Kind::kCidr, "FD00::/8").pattern, "fd00::/8");
  EXPECT_EQ(ParseAllowRule(AllowRule::Kind::kHost, "api internal").error,
            "invalid host pattern \"api internal\": expected a host name, IP address or a glob "
            "such as *.svc.cluster.local");
  EXPECT_EQ(ParseAllowRule(AllowRule::Kind::kCidr, "10.0.0.0/x").error,
            "invalid CIDR \"10.0.0.0/x\": prefix length must be 0-32");
  EXPECT_EQ(ParseAllowRule(AllowRule::Kind::kCidr, "fd00::/129").error,
            "invalid CIDR \"fd00::/129\": prefix length must be 0-128");
  EXPECT_EQ(ParseAllowRule(AllowRule::Kind::kCidr, "example.com/8").error,
            "invalid CIDR \"example.com/8\": expected an IPv4 or IPv6 network such as 10.0.0.0/8 "
            "or fd00::/8");
}

TEST(SystemResolverTest, ResolvesLocalhostAndReportsFailures) {
  SystemResolver resolver;
  std::string error;
  const auto addresses = resolver.Resolve("localhost", &error);
  EXPECT_FALSE(addresses.empty()) << error;
  EXPECT_TRUE(resolver.Resolve("no-such-host.invalid", &error).empty());
  EXPECT_FALSE(error.empty());
}

}  // namespace
}  // namespace healthgap::config
