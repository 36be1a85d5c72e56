#pragma once

#include <chrono>
#include <optional>
#include <regex>
#include <string>

#include "support/subprocess.h"

namespace healthgap::testing {

// The port a `healthgap serve` child bound, read from its startup log line
// ("msg=\"healthgap serving\" ... address=127.0.0.1:PORT"): how tests find a server started on
// port 0. nullopt if no such line arrives within `timeout`.
inline std::optional<int> ReadServingPort(Subprocess& process, std::chrono::milliseconds timeout) {
  const auto line = process.ReadUntil("healthgap serving", timeout);
  if (!line) return std::nullopt;
  std::smatch match;
  if (!std::regex_search(*line, match, std::regex("address=127\\.0\\.0\\.1:(\\d+)"))) {
    return std::nullopt;
  }
  return std::stoi(match[1]);
}

}  // namespace healthgap::testing
