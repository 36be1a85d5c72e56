#include "cli/flags.h"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace healthgap::cli {
namespace {

using app::CheckOptions;
using app::kCheckUsageError;
using app::PlanCheck;

// Why `options` cannot run, "" when they can.
std::string PlanError(const CheckOptions& options) { return PlanCheck(options).error; }

// Parses `healthgap check <args>` as main would; returns the exit code for a parse error, or
// -1 when parsing succeeded.
struct ParseRun {
  int exit_code = -1;
  std::string err;
};

ParseRun Parse(const std::vector<std::string>& args, CheckOptions& options) {
  CLI::App app("healthgap");
  CLI::App* check = app.add_subcommand("check", "One-shot check");
  AddCheckOptions(*check, options);
  std::vector<const char*> argv = {"healthgap", "check"};
  for (const auto& arg : args) argv.push_back(arg.c_str());
  ParseRun run;
  std::ostringstream out;
  std::ostringstream err;
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& error) {
    run.exit_code = ExitCodeForParseError(app, error, out, err);
  }
  run.err = err.str();
  return run;
}

TEST(CheckOptionsTest, ParsesEveryFlag) {
  CheckOptions options;
  const ParseRun run = Parse({"http://127.0.0.1:8080/",
                              "--health",
                              "/healthz",
                              "--sample",
                              "/api/data",
                              "--sample",
                              "/api/orders?limit=1",
                              "--max-rounds",
                              "7",
                              "--max-duration",
                              "20s",
                              "--confidence",
                              "0.95",
                              "--timeout",
                              "1s500ms",
                              "--spacing",
                              "50ms",
                              "--health-status",
                              "200",
                              "--sample-status",
                              "2xx,304",
                              "--max-error-ratio",
                              "0.05"},
                             options);
  ASSERT_EQ(run.exit_code, -1) << run.err;
  EXPECT_EQ(options.base_url, "http://127.0.0.1:8080/");
  EXPECT_EQ(options.health_paths, std::vector<std::string>{"/healthz"});
  EXPECT_EQ(options.sample_paths, (std::vector<std::string>{"/api/data", "/api/orders?limit=1"}));
  EXPECT_EQ(options.rounds, 7);
  EXPECT_EQ(options.max_duration, std::chrono::seconds(20));
  EXPECT_DOUBLE_EQ(options.confidence, 0.95);
  EXPECT_EQ(options.timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(options.spacing, std::chrono::milliseconds(50));
  EXPECT_EQ(options.health_expected, (config::StatusMatcher{{{200, 200}}}));
  EXPECT_EQ(options.api_expected, (config::StatusMatcher{{{200, 299}, {304, 304}}}));
  EXPECT_DOUBLE_EQ(options.max_error_ratio, 0.05);
  EXPECT_EQ(PlanError(options), "");
}

TEST(CheckOptionsTest, DefaultsMatchTheDocumentedUsage) {
  CheckOptions options;
  const ParseRun run = Parse({"http://127.0.0.1:8080", "--sample", "/api/data"}, options);
  ASSERT_EQ(run.exit_code, -1) << run.err;
  EXPECT_EQ(options.health_paths, std::vector<std::string>{"/health"});
  EXPECT_EQ(options.rounds, 300);
  EXPECT_EQ(options.max_duration, std::chrono::minutes(1));
  EXPECT_DOUBLE_EQ(options.confidence, 0.99);
  EXPECT_EQ(options.spacing, std::chrono::milliseconds(100));
  EXPECT_EQ(options.lb, "custom");
  EXPECT_EQ(options.timeout, std::nullopt);
  EXPECT_EQ(options.health_expected, std::nullopt);
  EXPECT_EQ(options.api_expected, (config::StatusMatcher{{{200, 299}}}));
  EXPECT_DOUBLE_EQ(options.max_error_ratio, 0.2);
}

// Without flags saying otherwise, check probes a target as serve would with no settings at all:
// the same thresholds, timeouts and matchers.
TEST(CheckOptionsTest, DefaultsAreServesDefaults) {
  CheckOptions options;
  ASSERT_EQ(Parse({"http://127.0.0.1:8080", "--sample", "/api/data"}, options).exit_code, -1);
  const app::PlannedCheck planned = PlanCheck(options);
  ASSERT_TRUE(planned.plan) << planned.error;
  const config::Target& target = planned.plan->target;
  const config::HealthCheck serve_health;  // the built-in defaults, as the loader resolves them
  const config::ApiSample serve_sample;
  EXPECT_EQ(target.health.healthy_threshold, serve_health.healthy_threshold);
  EXPECT_EQ(target.health.unhealthy_threshold, serve_health.unhealthy_threshold);
  EXPECT_EQ(target.health.timeout, serve_health.timeout);
  EXPECT_EQ(target.health.expected_status, (config::StatusMatcher{{{200, 399}}}));
  ASSERT_EQ(target.samples.size(), 1u);
  EXPECT_EQ(target.samples[0].timeout, serve_sample.timeout);
  EXPECT_EQ(target.evaluation.max_error_ratio, config::Target{}.evaluation.max_error_ratio);
}

TEST(CheckOptionsTest, LbPresetSetsTheHealthCheckAndFlagsOverrideIt) {
  CheckOptions options;
  ASSERT_EQ(
      Parse({"http://127.0.0.1:8080", "--sample", "/a", "--lb", "aws-alb"}, options).exit_code, -1);
  const config::Target alb = PlanCheck(options).plan->target;
  EXPECT_EQ(alb.health.lb, "aws-alb");
  EXPECT_EQ(alb.health.healthy_threshold, 5);  // AWS's documented default
  EXPECT_EQ(alb.health.unhealthy_threshold, 2);
  EXPECT_EQ(alb.health.expected_status, (config::StatusMatcher{{{200, 200}}}));

  CheckOptions overridden;
  ASSERT_EQ(Parse({"http://127.0.0.1:8080", "--sample", "/a", "--lb", "aws-alb", "--timeout", "1s",
                   "--health-status", "200-299"},
                  overridden)
                .exit_code,
            -1);
  const config::Target target = PlanCheck(overridden).plan->target;
  EXPECT_EQ(target.health.timeout, std::chrono::seconds(1));
  EXPECT_EQ(target.samples[0].timeout, std::chrono::seconds(1));
  EXPECT_EQ(target.health.expected_status, (config::StatusMatcher{{{200, 299}}}));
  EXPECT_EQ(target.health.unhealthy_threshold, 2);

  CheckOptions unknown;
  EXPECT_EQ(Parse({"http://127.0.0.1:8080", "--sample", "/a", "--lb", "f5"}, unknown).exit_code,
            kCheckUsageError);
}

TEST(CheckOptionsTest, ConfigAndTargetReplaceEveryTargetFlag) {
  const std::string config = ::testing::TempDir() + "/healthgap-check-config.yml";
  std::ofstream(config) << "targets:\n  - name: shop\n    url: http://127.0.0.1:9\n"
                           "    lb: haproxy\n    samples: [{path: /api/cart}]\n";
  CheckOptions options;
  ASSERT_EQ(Parse({"--config", config, "--target", "shop", "--samples", "3"}, options).exit_code,
            -1);
  const app::PlannedCheck planned = PlanCheck(options);
  ASSERT_TRUE(planned.plan) << planned.error;
  EXPECT_EQ(planned.plan->target.name, "shop");
  EXPECT_EQ(planned.plan->target.health.lb, "haproxy");
  EXPECT_EQ(planned.plan->target.samples[0].path, "/api/cart");
  EXPECT_EQ(planned.plan->rounds, 3);
  EXPECT_EQ(planned.plan->origin, "target shop of " + config);

  CheckOptions missing;
  ASSERT_EQ(Parse({"--config", config, "--target", "cart"}, missing).exit_code, -1);
  EXPECT_EQ(PlanError(missing), config + " has no target \"cart\" (its targets: shop)");

  // The target's URL and settings come from the file: flags describing them are refused.
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"http://127.0.0.1:8080", "--config", config, "--target", "shop"},
        {"--config", config, "--target", "shop", "--sample", "/a"},
        {"--config", config, "--target", "shop", "--lb", "aws-alb"},
        {"--config", config, "--target", "shop", "--header", "Host: a"},
        {"--config", config},
        {"--target", "shop", "--sample", "/a", "http://127.0.0.1"}}) {
    CheckOptions refused;
    EXPECT_EQ(Parse(args, refused).exit_code, kCheckUsageError) << args.back();
  }
}

struct BadArgs {
  std::string name;
  std::vector<std::string> args;
};

void PrintTo(const BadArgs& bad_args, std::ostream* out) { *out << bad_args.name; }

class CheckBadOptionsTest : public ::testing::TestWithParam<BadArgs> {};

TEST_P(CheckBadOptionsTest, ExitsWithUsageError) {
  CheckOptions options;
  const ParseRun run = Parse(GetParam().args, options);
  EXPECT_EQ(run.exit_code, kCheckUsageError);
  EXPECT_FALSE(run.err.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Cli11, CheckBadOptionsTest,
    ::testing::Values(
        BadArgs{"no_url", {"--sample", "/api/data"}},
        BadArgs{"no_sample", {"http://127.0.0.1:8080"}},
        BadArgs{"bad_scheme", {"ftp://127.0.0.1", "--sample", "/api/data"}},
        BadArgs{"url_without_host", {"http://", "--sample", "/api/data"}},
        BadArgs{"relative_path", {"http://127.0.0.1:8080", "--sample", "api/data"}},
        BadArgs{"relative_health", {"http://127.0.0.1:8080", "--health", "h", "--sample", "/a"}},
        BadArgs{"duration_without_unit",
                {"http://127.0.0.1:8080", "--sample", "/a", "--timeout", "10"}},
        BadArgs{"zero_timeout", {"http://127.0.0.1:8080", "--sample", "/a", "--timeout", "0s"}},
        BadArgs{"bad_spacing", {"http://127.0.0.1:8080", "--sample", "/a", "--spacing", "soon"}},
        BadArgs{"zero_rounds", {"http://127.0.0.1:8080", "--sample", "/a", "--samples", "0"}},
        BadArgs{"confidence_too_high",
                {"http://127.0.0.1:8080", "--sample", "/a", "--confidence", "1"}},
        BadArgs{"bad_max_duration",
                {"http://127.0.0.1:8080", "--sample", "/a", "--max-duration", "soon"}},
        BadArgs{"rounds_not_a_number",
                {"http://127.0.0.1:8080", "--sample", "/a", "--samples", "many"}},
        BadArgs{"bad_status",
                {"http://127.0.0.1:8080", "--sample", "/a", "--sample-status", "abc"}},
        BadArgs{"bad_health_status",
                {"http://127.0.0.1:8080", "--sample", "/a", "--health-status", "399-200"}},
        BadArgs{"ratio_above_one",
                {"http://127.0.0.1:8080", "--sample", "/a", "--max-error-ratio", "1.5"}},
        BadArgs{"unknown_flag", {"http://127.0.0.1:8080", "--sample", "/a", "--verbose"}}),
    [](const auto& info) { return info.param.name; });

TEST(CheckOptionsTest, RequestFlagsSendWhatServeWouldForATarget) {
  const std::string token_file = ::testing::TempDir() + "/healthgap-check-token";
  std::ofstream(token_file) << "t0ken\n";
  const std::string ca = std::string(HEALTHGAP_SOURCE_DIR) + "/tests/config/testdata/tls/ca.pem";
  CheckOptions options;
  const ParseRun run =
      Parse({"https://10.0.0.7:8443", "--sample", "/api/data", "--header", "Host: api.internal",
             "--header", "X-Probe:1", "--bearer-token-file", token_file, "--tls-ca", ca,
             "--server-name", "api.internal", "--insecure"},
            options);
  ASSERT_EQ(run.exit_code, -1) << run.err;
  EXPECT_EQ(options.headers, (std::vector<std::pair<std::string, std::string>>{
                                 {"Host", "api.internal"}, {"X-Probe", "1"}}));
  ASSERT_TRUE(options.auth.bearer_token.has_value());
  EXPECT_EQ(options.auth.bearer_token->value(), "t0ken");  // one trailing newline trimmed
  EXPECT_EQ(options.tls.ca_file, ca);
  EXPECT_EQ(options.tls.server_name, "api.internal");
  EXPECT_TRUE(options.tls.insecure_skip_verify);
  EXPECT_EQ(PlanError(options), "");

  CheckOptions basic;
  ASSERT_EQ(
      Parse({"http://10.0.0.7", "--sample", "/a", "--basic-auth", "ops:pa:ss"}, basic).exit_code,
      -1);
  ASSERT_TRUE(basic.auth.basic_auth.has_value());
  EXPECT_EQ(basic.auth.basic_auth->username, "ops");
  EXPECT_EQ(basic.auth.basic_auth->password.value(), "pa:ss");
}

TEST(CheckOptionsTest, BodyConditionsApplyToSamples) {
  CheckOptions options;
  ASSERT_EQ(Parse({"http://10.0.0.7", "--sample", "/a", "--fail-if-body-matches", "\"error\"",
                   "--fail-if-body-not-matches", "rows"},
                  options)
                .exit_code,
            -1);
  ASSERT_EQ(options.sample_conditions.fail_if_body_matches.size(), 1u);
  EXPECT_EQ(options.sample_conditions.fail_if_body_matches[0].pattern(), "\"error\"");
  ASSERT_EQ(options.sample_conditions.fail_if_body_not_matches.size(), 1u);
  CheckOptions bad;
  EXPECT_EQ(
      Parse({"http://10.0.0.7", "--sample", "/a", "--fail-if-body-matches", "(x"}, bad).exit_code,
      kCheckUsageError);
}

TEST(CheckOptionsTest, BadRequestFlagsAreUsageErrors) {
  const std::vector<std::vector<std::string>> bad = {
      {"http://10.0.0.7", "--sample", "/a", "--header", "no colon"},
      {"http://10.0.0.7", "--sample", "/a", "--header", "Bad Name: x"},
      {"http://10.0.0.7", "--sample", "/a", "--bearer-token-file", "/nonexistent/token"},
      {"http://10.0.0.7", "--sample", "/a", "--basic-auth", "nopassword"},
      {"http://10.0.0.7", "--sample", "/a", "--tls-ca", "/nonexistent/ca.pem"},
  };
  for (const auto& args : bad) {
    CheckOptions options;
    const ParseRun run = Parse(args, options);
    EXPECT_EQ(run.exit_code, kCheckUsageError) << args.back();
    EXPECT_FALSE(run.err.empty()) << args.back();
  }
  CheckOptions cert_only;
  cert_only.base_url = "https://10.0.0.7";
  cert_only.sample_paths = {"/a"};
  cert_only.tls.cert_file = "client.pem";
  EXPECT_EQ(PlanError(cert_only), "--tls-cert and --tls-key go together");
}

TEST(CheckOptionsTest, HelpIsNotAnError) {
  CheckOptions options;
  const ParseRun run = Parse({"--help"}, options);
  EXPECT_EQ(run.exit_code, 0);
}

}  // namespace
}  // namespace healthgap::cli
