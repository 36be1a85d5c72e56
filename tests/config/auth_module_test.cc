// Target secrets (auth) and modules: loading, redaction, headers.

#include <gtest/gtest.h>

#include <sstream>

#include "config/auth.h"
#include "config/loader.h"
#include "support/temp_dir.h"

namespace healthgap::config {
namespace {

using healthgap::testing::TempDir;

constexpr char kTarget[] =
    "targets:\n"
    "  - name: api\n"
    "    url: http://127.0.0.1:8080\n"
    "    samples: [{path: /api/data}]\n";

TEST(SecretTest, NeverPrintsItsValue) {
  const Secret secret("hunter2");
  std::ostringstream out;
  out << secret;
  EXPECT_EQ(out.str(), "<secret>");
  EXPECT_EQ(secret.Redacted(), "<secret>");
  EXPECT_EQ(secret.value(), "hunter2");
}

TEST(AuthHeadersTest, BearerBasicAndNone) {
  TargetAuth bearer;
  bearer.bearer_token = Secret("abc.def");
  EXPECT_EQ(
      AuthHeaders(bearer),
      (std::vector<std::pair<std::string, std::string>>{{"Authorization", "Bearer abc.def"}}));
  TargetAuth basic;
  basic.basic_auth = BasicAuth{"Aladdin", Secret("open sesame")};  // RFC 7617's example
  EXPECT_EQ(AuthHeaders(basic), (std::vector<std::pair<std::string, std::string>>{
                                    {"Authorization", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="}}));
  EXPECT_TRUE(AuthHeaders(TargetAuth{}).empty());
}

TEST(AuthLoadTest, TargetAuthReplacesDefaultsAuthWhole) {
  const LoadResult result = LoadString(
      "defaults:\n"
      "  auth: {bearer_token: from-defaults}\n"
      "targets:\n"
      "  - name: a\n"
      "    url: http://127.0.0.1:1\n"
      "    samples: [{path: /}]\n"
      "  - name: b\n"
      "    url: http://127.0.0.1:2\n"
      "    samples: [{path: /}]\n"
      "    auth: {basic_auth: {username: prober, password: pw}}\n",
      "cfg.yml");
  ASSERT_TRUE(result.config) << result.error->Format();
  EXPECT_EQ(result.config->targets[0].auth.bearer_token, Secret("from-defaults"));
  EXPECT_FALSE(result.config->targets[0].auth.basic_auth);
  EXPECT_FALSE(result.config->targets[1].auth.bearer_token);
  EXPECT_EQ(result.config->targets[1].auth.basic_auth, (BasicAuth{"prober", Secret("pw")}));
}

TEST(AuthLoadTest, SecretFilesAreReadRelativeToTheConfigAndTrimmed) {
  TempDir dir;
  dir.Write("token", "tok-123\n");
  dir.Write("password", "pw-456\r\n");
  const std::string config = dir.Write("cfg.yml", std::string(kTarget) +
                                                      "    auth: {bearer_token_file: token}\n"
                                                      "  - name: b\n"
                                                      "    url: http://127.0.0.1:2\n"
                                                      "    samples: [{path: /}]\n"
                                                      "    auth:\n"
                                                      "      basic_auth:\n"
                                                      "        username: u\n"
                                                      "        password_file: " +
                                                      dir.Path("password") + "\n");
  const LoadResult result = LoadFile(config);
  ASSERT_TRUE(result.config) << result.error->Format();
  EXPECT_EQ(result.config->targets[0].auth.bearer_token->value(), "tok-123");
  EXPECT_EQ(result.config->targets[1].auth.basic_auth->password.value(), "pw-456");
}

TEST(AuthLoadTest, UnreadableSecretFileNamesItAndNeverTheSecret) {
  TempDir dir;
  const std::string config =
      dir.Write("cfg.yml", std::string(kTarget) + "    auth: {bearer_token_file: missing}\n");
  const LoadResult result = LoadFile(config);
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->Format(),
            config + ":5: targets[0].auth.bearer_token_file: cannot read secret file \"" +
                dir.Path("missing") + "\": No such file or directory");
}

TEST(AuthLoadTest, SecretWithNewlineInsideIsRejectedWithoutQuotingIt) {
  TempDir dir;
  dir.Write("token", "line1\nline2\n");
  const std::string config =
      dir.Write("cfg.yml", std::string(kTarget) + "    auth: {bearer_token_file: token}\n");
  const LoadResult result = LoadFile(config);
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->Format(), config +
                                        ":5: targets[0].auth.bearer_token_file: secret file \"" +
                                        dir.Path("token") + "\" contains CR, LF or NUL");
}

TEST(ModulesTest, BuiltInDefaultWhenNoneConfigured) {
  const LoadResult result = LoadString(kTarget, "cfg.yml");
  ASSERT_TRUE(result.config) << result.error->Format();
  ASSERT_EQ(result.config->modules.size(), 1u);
  const Module& module = result.config->modules.at("default");
  EXPECT_EQ(module, BuiltinDefaultModule());
  EXPECT_EQ(module.health.path, "/health");
  ASSERT_EQ(module.samples.size(), 1u);
  EXPECT_EQ(module.samples[0].path, "/");
  EXPECT_EQ(module.samples[0].name, "root");
  EXPECT_EQ(module.rounds, 1);
}

TEST(ModulesTest, ModulesInheritDefaultsLikeTargetsAndNeedNoTargets) {
  const LoadResult result = LoadString(
      "defaults:\n"
      "  health: {interval: 20s}\n"
      "  auth: {bearer_token: t}\n"
      "modules:\n"
      "  api:\n"
      "    health: {path: /ready}\n"
      "    samples: [{path: /api/data}]\n"
      "    rounds: 3\n",
      "cfg.yml");
  ASSERT_TRUE(result.config) << result.error->Format();
  EXPECT_TRUE(result.config->targets.empty());
  ASSERT_EQ(result.config->modules.size(), 1u);
  const Module& api = result.config->modules.at("api");
  EXPECT_EQ(api.health.path, "/ready");
  EXPECT_EQ(api.health.interval, std::chrono::seconds(20));
  EXPECT_EQ(api.samples[0].name, "api_data");
  EXPECT_EQ(api.auth.bearer_token, Secret("t"));
  EXPECT_EQ(api.rounds, 3);

  const Target target =
      TargetFromModule(api, "checkout", "http://10.0.0.1:8080", {{"team", "payments"}});
  EXPECT_EQ(target.name, "checkout");
  EXPECT_EQ(target.UrlFor(target.health.path), "http://10.0.0.1:8080/ready");
  EXPECT_EQ(target.labels.at("team"), "payments");
  EXPECT_EQ(target.samples, api.samples);
  EXPECT_EQ(target.auth, api.auth);
}

TEST(ModulesTest, TargetsStillRequiredWithoutModulesOrFileSd) {
  const LoadResult result = LoadString("defaults: {max_body_bytes: 2KiB}\n", "cfg.yml");
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->Format(), "cfg.yml:1: targets: required field is missing");
}

TEST(ProbeSettingsTest, RulesLoadNormalised) {
  const LoadResult result = LoadString(std::string(kTarget) +
                                           "probe:\n"
                                           "  allow:\n"
                                           "    - url_prefix: HTTPS://API.internal/\n"
                                           "    - host: \"*.svc.cluster.local\"\n"
                                           "    - cidr: 10.0.0.0/8\n",
                                       "cfg.yml");
  ASSERT_TRUE(result.config) << result.error->Format();
  EXPECT_EQ(result.config->probe.allow,
            (std::vector<AllowRule>{{AllowRule::Kind::kUrlPrefix, "https://api.internal"},
                                    {AllowRule::Kind::kHost, "*.svc.cluster.local"},
                                    {AllowRule::Kind::kCidr, "10.0.0.0/8"}}));
}

}  // namespace
}  // namespace healthgap::config
