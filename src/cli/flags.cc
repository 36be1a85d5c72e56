#include "cli/flags.h"

#include <optional>
#include <utility>
#include <vector>

#include "chaos/fault.h"
#include "common/regex.h"
#include "common/strings.h"
#include "config/auth.h"
#include "config/lb_presets.h"
#include "config/values.h"

namespace healthgap::cli {

// A positive duration in Prometheus style ("2s", "500ms", "1m30s").
CLI::Validator DurationValidator() {
  return CLI::Validator(
      [](std::string& text) {
        const auto parsed = config::ParseDurationText(text);
        return parsed.value ? std::string() : parsed.error;
      },
      "DURATION");
}

namespace {

CLI::Validator StatusValidator() {
  return CLI::Validator(
      [](std::string& text) {
        if (config::ParseStatusMatcher(text)) return std::string();
        return "invalid status pattern \"" + text +
               "\": expected codes (200), classes (2xx) or ranges (200-399), comma-separated";
      },
      "STATUS");
}

CLI::Validator UrlValidator() {
  return CLI::Validator([](std::string& text) { return config::NormalizeBaseUrl(text).error; },
                        "URL");
}

CLI::Validator PathValidator() {
  return CLI::Validator([](std::string& text) { return config::CheckRequestPath(text); }, "PATH");
}

// A --health value: a path, or tcp:// or grpc:// (app/check.cc reads their host and port).
CLI::Validator HealthValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (text.starts_with("tcp://") || text.starts_with("grpc://")) return "";
        if (text.find("://") != std::string::npos) {
          return "expected a path, tcp://HOST:PORT or grpc://HOST:PORT[/SERVICE], got " + text;
        }
        return config::CheckRequestPath(text);
      },
      "PATH|tcp://HOST:PORT|grpc://HOST:PORT[/SERVICE]");
}

// "Name: value", as curl's -H takes it.
std::optional<std::pair<std::string, std::string>> SplitHeader(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos) return std::nullopt;
  return std::pair{std::string(Trim(text.substr(0, colon))),
                   std::string(Trim(text.substr(colon + 1)))};
}

CLI::Validator HeaderValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const auto header = SplitHeader(text);
        if (!header) return "expected \"Name: value\", got \"" + text + "\"";
        return config::CheckHeader(header->first, header->second);
      },
      "NAME: VALUE");
}

CLI::Validator SecretFileValidator() {
  return CLI::Validator(
      [](std::string& path) {
        std::string error;
        return config::ReadSecretFile(path, &error) ? std::string() : error;
      },
      "FILE");
}

// "user:password", as curl's -u takes it; the password is visible to `ps`, so for anything
// but a lab prefer --bearer-token-file.
CLI::Validator BasicAuthValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const auto colon = text.find(':');
        if (colon == std::string::npos || colon == 0) return "expected USER:PASSWORD";
        if (auto why = config::CheckSecretText(text.substr(colon + 1)); !why.empty()) {
          return "password " + why;
        }
        return config::CheckSecretText(text.substr(0, colon)).empty()
                   ? std::string()
                   : "username contains CR, LF or NUL";
      },
      "USER:PASSWORD");
}

// A regular expression in RE2 syntax, as the config's conditions take them.
CLI::Validator RegexValidator() {
  return CLI::Validator(
      [](std::string& text) {
        std::string error;
        return Regex::Compile(text, &error) ? std::string()
                                            : "invalid regular expression: " + error;
      },
      "REGEX");
}

std::vector<std::string> LbPresetList() {
  std::vector<std::string> names;
  for (const config::LbPreset& preset : config::AllLbPresets()) names.emplace_back(preset.name);
  return names;
}

// Appends each validated pattern of a repeatable flag to `out`.
auto AppendRegexes(std::vector<Regex>& out) {
  return [&out](const std::vector<std::string>& patterns) {
    std::string unused;
    for (const std::string& pattern : patterns) out.push_back(*Regex::Compile(pattern, &unused));
  };
}

// The flags that make `check` send what `serve` sends for a configured target.
void AddRequestOptions(CLI::App& subcommand, app::CheckOptions& options) {
  subcommand
      .add_option_function<std::vector<std::string>>(
          "--header",
          [&options](const std::vector<std::string>& lines) {
            for (const std::string& line : lines) options.headers.push_back(*SplitHeader(line));
          },
          "Header sent with every request, \"Name: value\" (repeatable), e.g. a Host")
      ->check(HeaderValidator());
  CLI::Option* token = subcommand
                           .add_option_function<std::string>(
                               "--bearer-token-file",
                               [&options](const std::string& path) {
                                 std::string error;
                                 options.auth.bearer_token = config::ReadSecretFile(path, &error);
                               },
                               "Send Authorization: Bearer with the token in this file")
                           ->check(SecretFileValidator());
  subcommand
      .add_option_function<std::string>(
          "--basic-auth",
          [&options](const std::string& text) {
            const auto colon = text.find(':');
            options.auth.basic_auth =
                config::BasicAuth{text.substr(0, colon), config::Secret(text.substr(colon + 1))};
          },
          "Send Authorization: Basic for USER:PASSWORD")
      ->check(BasicAuthValidator())
      ->excludes(token);
  subcommand
      .add_option("--tls-ca", options.tls.ca_file, "PEM CA bundle to verify the target against")
      ->check(CLI::ExistingFile);
  subcommand
      .add_option("--tls-cert", options.tls.cert_file, "Client certificate (mTLS), with --tls-key")
      ->check(CLI::ExistingFile);
  subcommand.add_option("--tls-key", options.tls.key_file, "Client key, with --tls-cert")
      ->check(CLI::ExistingFile);
  subcommand.add_option("--server-name", options.tls.server_name,
                        "TLS server name (SNI and verification) instead of the URL's host");
  subcommand.add_flag("--insecure", options.tls.insecure_skip_verify,
                      "Accept any TLS certificate (a lab, never production)");
  subcommand
      .add_option_function<std::vector<std::string>>(
          "--fail-if-body-matches", AppendRegexes(options.sample_conditions.fail_if_body_matches),
          "An API sample whose body matches this fails (body_mismatch), e.g. '\"error\"'")
      ->check(RegexValidator());
  subcommand
      .add_option_function<std::vector<std::string>>(
          "--fail-if-body-not-matches",
          AppendRegexes(options.sample_conditions.fail_if_body_not_matches),
          "An API sample whose body does not match this fails (body_mismatch)")
      ->check(RegexValidator());
}

}  // namespace

std::chrono::seconds ToSeconds(const std::string& text) {
  const auto parsed = config::ParseDuration(text);
  return parsed ? std::chrono::duration_cast<std::chrono::seconds>(*parsed)
                : std::chrono::seconds(0);
}

void AddTargetOptions(CLI::App& subcommand, app::CheckOptions& options) {
  // Every flag that describes the target: --config takes all of it from the file instead.
  std::vector<CLI::Option*> target_flags;
  target_flags.push_back(
      subcommand.add_option("url", options.base_url, "Target base URL, e.g. http://10.0.1.1:8080")
          ->check(UrlValidator()));
  target_flags.push_back(
      subcommand
          .add_option("--health", options.health_paths,
                      "Health check, as the load balancer probes it (repeatable): a path, "
                      "tcp://HOST:PORT or grpc://HOST:PORT[/SERVICE] on the target's host")
          ->capture_default_str()
          ->check(HealthValidator()));
  target_flags.push_back(
      subcommand
          .add_option_function<std::string>(
              "--health-type",
              [&options](const std::string& text) {
                options.health_type = ValueNamed(config::kHealthCheckTypeNames, text);
              },
              "Health check type instead of the --lb preset's: http, tcp (a connect, as an NLB) "
              "or grpc (grpc.health.v1 Check), on the URL's port")
          ->check(CLI::IsMember({"http", "tcp", "grpc"})));
  target_flags.push_back(
      subcommand
          .add_option("--sample", options.sample_paths,
                      "API path to sample, as users call it (repeatable; at least one)")
          ->check(PathValidator()));
  target_flags.push_back(
      subcommand
          .add_option("--lb", options.lb,
                      "Load balancer whose health-check thresholds, timeout and status matcher "
                      "to emulate: " +
                          config::LbPresetNames() + " (custom: serve's defaults)")
          ->capture_default_str()
          ->check(CLI::IsMember(LbPresetList())));
  target_flags.push_back(
      subcommand
          .add_option_function<std::string>(
              "--timeout",
              [&options](const std::string& text) {
                options.timeout = *config::ParseDuration(text);
              },
              "Every request's timeout (default: the --lb preset's for health, 5s for samples)")
          ->check(DurationValidator()));
  target_flags.push_back(subcommand
                             .add_option_function<std::string>(
                                 "--health-status",
                                 [&options](const std::string& text) {
                                   options.health_expected = *config::ParseStatusMatcher(text);
                                 },
                                 "Health status codes that pass (default: the --lb preset's)")
                             ->check(StatusValidator()));
  target_flags.push_back(subcommand
                             .add_option_function<std::string>(
                                 "--sample-status",
                                 [&options](const std::string& text) {
                                   options.api_expected = *config::ParseStatusMatcher(text);
                                 },
                                 "API status codes that count as success (default 2xx)")
                             ->check(StatusValidator()));
  target_flags.push_back(subcommand
                             .add_option("--max-error-ratio", options.max_error_ratio,
                                         "API error ratio above which users are failing")
                             ->capture_default_str()
                             ->check(CLI::Range(0.0, 1.0)));
  const std::size_t before_request_options = subcommand.get_options().size();
  AddRequestOptions(subcommand, options);
  const std::vector<CLI::Option*> all = subcommand.get_options();
  target_flags.insert(target_flags.end(), all.begin() + static_cast<long>(before_request_options),
                      all.end());
  CLI::Option* config_file =
      subcommand
          .add_option("--config", options.config_file,
                      "Check the target --target of this config file exactly as serve probes it")
          ->check(CLI::ExistingFile);
  CLI::Option* target_name = subcommand.add_option("--target", options.target_name,
                                                   "The configured target to check, with --config");
  config_file->needs(target_name);
  target_name->needs(config_file);
  for (CLI::Option* flag : target_flags) config_file->excludes(flag);
  // Without --config the URL and a sample are required (CLI11 has no "required unless").
  subcommand.parse_complete_callback([&options] {
    if (!options.config_file.empty()) return;
    if (options.base_url.empty()) throw CLI::RequiredError("url (or --config FILE --target NAME)");
    if (options.sample_paths.empty()) throw CLI::RequiredError("--sample");
  });
}

void AddCheckOptions(CLI::App& subcommand, app::CheckOptions& options) {
  AddTargetOptions(subcommand, options);
  subcommand
      .add_option("--max-rounds,--samples", options.rounds,
                  "Most rounds of probes and samples; the check stops as soon as both sides "
                  "are clear at --confidence (--samples: the old name)")
      ->capture_default_str()
      ->check(CLI::Range(1, app::kMaxCheckRounds));
  subcommand
      .add_option_function<std::string>(
          "--max-duration",
          [&options](const std::string& text) {
            options.max_duration = *config::ParseDuration(text);
          },
          "Most time the whole check takes (default 1m)")
      ->check(DurationValidator());
  subcommand
      .add_option("--confidence", options.confidence,
                  "Confidence of the error-ratio intervals the verdict rests on")
      ->capture_default_str()
      ->check(CLI::Range(0.5, 0.9999));
  subcommand
      .add_option_function<std::string>(
          "--spacing",
          [&options](const std::string& text) { options.spacing = *config::ParseDuration(text); },
          "Pause between rounds (default 100ms)")
      ->check(DurationValidator());
  subcommand.footer(
      "Exit codes: 0 healthy, 1 mismatch (health passes while the API fails), 2 usage error, "
      "3 down, 4 false-negative (health fails while the API works), 5 inconclusive (the rounds "
      "or the time ran out before either error ratio was clear of the threshold), 6 degraded "
      "(health passes but its body reports a failing "
      "dependency).");
}

void AddChaosOptions(CLI::App& subcommand, app::ChaosOptions& options) {
  AddTargetOptions(subcommand, options.target);
  subcommand
      .add_option("--dependency", options.dependencies,
                  "NAME=LISTEN_HOST:PORT->UPSTREAM_HOST:PORT (repeatable): a proxy listens "
                  "where the application is configured to reach NAME and forwards to where NAME "
                  "really is")
      ->required();
  subcommand
      .add_option("--fault", options.faults,
                  "Fault per experiment (repeatable): " + chaos::FaultNames() +
                      ", e.g. latency=2s, timeout, bandwidth=1KiB, slow_close=5s")
      ->capture_default_str();
  const auto duration = [&subcommand](const std::string& name, std::chrono::milliseconds& into,
                                      const std::string& help) {
    subcommand
        .add_option_function<std::string>(
            name, [&into](const std::string& text) { into = *config::ParseDuration(text); },
            help + " (default " + config::FormatDuration(into) + ")")
        ->check(DurationValidator());
  };
  subcommand
      .add_option_function<std::string>(
          "--interval",
          [&options](const std::string& text) { options.interval = *config::ParseDuration(text); },
          "The balancer's check interval (default: the --lb preset's, or the configured "
          "target's)")
      ->check(DurationValidator());
  duration("--sample-interval", options.sample_interval, "Between rounds of API samples");
  duration("--steady", options.steady, "Steady state before each fault, at least");
  duration("--fault-duration", options.fault_duration, "How long each fault lasts");
  duration("--recovery", options.recovery, "Most time to wait for the target to come back");
  duration("--max-ejection", options.max_ejection,
           "An LB ejection later than this after the fault is covered_slowly");
  subcommand
      .add_option("--confidence", options.confidence,
                  "Confidence of the API failure interval a not_covered verdict rests on")
      ->capture_default_str()
      ->check(CLI::Range(0.5, 0.9999));
  subcommand.add_option("--format", options.format, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  subcommand.add_flag("--allow-non-loopback", options.allow_non_loopback,
                      "Let a proxy listen on an address other than loopback");
  subcommand.footer(
      "Exit codes: 0 every dependency covered (or not needed by users), 1 one not_covered, "
      "covered_slowly or not recovered, 2 usage error, 3 inconclusive or no steady state, "
      "130 interrupted (every fault lifted).");
}

int ExitCodeForParseError(const CLI::App& app, const CLI::ParseError& error, std::ostream& out,
                          std::ostream& err) {
  const int cli11_code = app.exit(error, out, err);
  return cli11_code == static_cast<int>(CLI::ExitCodes::Success) ? app::kCheckHealthy
                                                                 : app::kCheckUsageError;
}

}  // namespace healthgap::cli
