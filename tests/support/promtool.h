#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>

namespace healthgap::testing {

// Runs the real `promtool check metrics` linter on an exposition; returns its exit code and
// combined output (empty when the exposition is clean).
inline std::pair<int, std::string> PromtoolCheckMetrics(const std::string& exposition) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("healthgap-metrics-" + std::to_string(::getpid()) + ".prom");
  std::ofstream(path) << exposition;
  const std::string command = "promtool check metrics < '" + path.string() + "' 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  std::string output;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  const int status = ::pclose(pipe);
  std::filesystem::remove(path);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

}  // namespace healthgap::testing
