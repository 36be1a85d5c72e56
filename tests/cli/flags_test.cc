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
using app::ValidateCheckOptions;

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
  const ParseRun run =
      Parse({"http://127.0.0.1:8080/", "--health", "/healthz", "--sample", "/api/data", "--sample",
             "/api/orders?limit=1", "--samples", "7", "--timeout", "1s500ms", "--spacing", "50ms",
             "--health-status", "200", "--sample-status", "2xx,304", "--max-error-ratio", "0.05"},
            options);
  ASSERT_EQ(run.exit_code, -1) << run.err;
  EXPECT_EQ(options.base_url, "http://127.0.0.1:8080/");
  EXPECT_EQ(options.health_paths, std::vector<std::string>{"/healthz"});
  EXPECT_EQ(options.sample_paths, (std::vector<std::string>{"/api/data", "/api/orders?limit=1"}));
  EXPECT_EQ(options.rounds, 7);
  EXPECT_EQ(options.timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(options.spacing, std::chrono::milliseconds(50));
  EXPECT_EQ(options.health_expected, (config::StatusMatcher{{{200, 200}}}));
  EXPECT_EQ(options.api_expected, (config::StatusMatcher{{{200, 299}, {304, 304}}}));
  EXPECT_DOUBLE_EQ(options.max_error_ratio, 0.05);
  EXPECT_FALSE(ValidateCheckOptions(options).has_value());
}

TEST(CheckOptionsTest, DefaultsMatchTheDocumentedUsage) {
  CheckOptions options;
  const ParseRun run = Parse({"http://127.0.0.1:8080", "--sample", "/api/data"}, options);
  ASSERT_EQ(run.exit_code, -1) << run.err;
  EXPECT_EQ(options.health_paths, std::vector<std::string>{"/health"});
  EXPECT_EQ(options.rounds, 5);
  EXPECT_EQ(options.timeout, std::chrono::seconds(2));
  EXPECT_EQ(options.health_expected, (config::StatusMatcher{{{200, 399}}}));
  EXPECT_EQ(options.api_expected, (config::StatusMatcher{{{200, 299}}}));
  EXPECT_DOUBLE_EQ(options.max_error_ratio, 0.2);
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
  EXPECT_FALSE(ValidateCheckOptions(options).has_value());

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
  EXPECT_EQ(ValidateCheckOptions(cert_only), "--tls-cert and --tls-key go together");
}

TEST(CheckOptionsTest, HelpIsNotAnError) {
  CheckOptions options;
  const ParseRun run = Parse({"--help"}, options);
  EXPECT_EQ(run.exit_code, 0);
}

}  // namespace
}  // namespace healthgap::cli
