#pragma once

// Command-line flags shared by the subcommands, with CLI11 validators that give the config's
// own error messages.

#include <CLI/CLI.hpp>
#include <chrono>
#include <ostream>
#include <string>

#include "app/chaos.h"
#include "app/check.h"

namespace healthgap::cli {

// A positive duration in Prometheus style ("2s", "500ms", "1m30s").
CLI::Validator DurationValidator();
// A validated duration flag in whole seconds (0 when `text` is not one).
std::chrono::seconds ToSeconds(const std::string& text);

// Registers the positional URL and the flags that describe a target and how it is probed
// (--health, --sample, --lb, --timeout, statuses, headers, auth, TLS, or --config FILE --target
// NAME instead) on `subcommand`, writing into `options`: what `check` and `chaos` share.
void AddTargetOptions(CLI::App& subcommand, app::CheckOptions& options);

// Registers the positional URL and the flags of `check` on `subcommand`, with validation,
// writing into `options` (which must outlive parsing). Sets the footer to the exit codes.
void AddCheckOptions(CLI::App& subcommand, app::CheckOptions& options);

// The flags of `chaos`: the target's (AddTargetOptions), the dependencies, faults and phases.
void AddChaosOptions(CLI::App& subcommand, app::ChaosOptions& options);

// Maps a CLI11 parse failure to our exit code after printing it as CLI11 does: 0 for --help,
// app::kCheckUsageError for everything else.
int ExitCodeForParseError(const CLI::App& app, const CLI::ParseError& error, std::ostream& out,
                          std::ostream& err);

}  // namespace healthgap::cli
