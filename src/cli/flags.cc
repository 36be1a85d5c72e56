#include "cli/flags.h"

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

}  // namespace

std::chrono::seconds ToSeconds(const std::string& text) {
  const auto parsed = config::ParseDuration(text);
  return parsed ? std::chrono::duration_cast<std::chrono::seconds>(*parsed)
                : std::chrono::seconds(0);
}

void AddCheckOptions(CLI::App& subcommand, app::CheckOptions& options) {
  subcommand.add_option("url", options.base_url, "Target base URL, e.g. http://10.0.1.1:8080")
      ->required()
      ->check(UrlValidator());
  subcommand
      .add_option("--health", options.health_paths,
                  "Health check path, as the load balancer probes it (repeatable)")
      ->capture_default_str()
      ->check(PathValidator());
  subcommand
      .add_option("--sample", options.sample_paths,
                  "API path to sample, as users call it (repeatable; at least one)")
      ->required()
      ->check(PathValidator());
  subcommand.add_option("--samples", options.rounds, "Rounds of probes and samples")
      ->capture_default_str()
      ->check(CLI::Range(1, app::kMaxCheckRounds));
  subcommand
      .add_option_function<std::string>(
          "--timeout",
          [&options](const std::string& text) { options.timeout = *config::ParseDuration(text); },
          "Per-request timeout (default 2s)")
      ->check(DurationValidator());
  subcommand
      .add_option_function<std::string>(
          "--spacing",
          [&options](const std::string& text) { options.spacing = *config::ParseDuration(text); },
          "Pause between rounds (default 200ms)")
      ->check(DurationValidator());
  subcommand
      .add_option_function<std::string>(
          "--health-status",
          [&options](const std::string& text) {
            options.health_expected = *config::ParseStatusMatcher(text);
          },
          "Health status codes that pass (default 200-399)")
      ->check(StatusValidator());
  subcommand
      .add_option_function<std::string>(
          "--sample-status",
          [&options](const std::string& text) {
            options.api_expected = *config::ParseStatusMatcher(text);
          },
          "API status codes that count as success (default 2xx)")
      ->check(StatusValidator());
  subcommand
      .add_option("--max-error-ratio", options.max_error_ratio,
                  "API error ratio above which users are failing")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  subcommand.footer(
      "Exit codes: 0 healthy, 1 mismatch (health passes while the API fails), 2 usage error, "
      "3 down, 4 false-negative (health fails while the API works), 5 unknown (inconclusive, "
      "e.g. a flapping health check), 6 degraded (health passes but its body reports a failing "
      "dependency).");
}

int ExitCodeForParseError(const CLI::App& app, const CLI::ParseError& error, std::ostream& out,
                          std::ostream& err) {
  const int cli11_code = app.exit(error, out, err);
  return cli11_code == static_cast<int>(CLI::ExitCodes::Success) ? app::kCheckHealthy
                                                                 : app::kCheckUsageError;
}

}  // namespace healthgap::cli
