#pragma once

// Targets from Prometheus file_sd files (config key file_sd_configs): JSON or YAML lists of
// {targets: ["host:port" or URL], labels: {...}}, each address becoming a Target probed as the
// config's module prescribes. Files are re-read when their content changes.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "config/config.h"
#include "config/loader.h"

namespace healthgap::config {

// One file_sd file's targets, or the error that rejected the whole file.
struct FileSdLoad {
  std::vector<Target> targets;
  std::optional<ConfigError> error;  // FILE:LINE: FIELD: MESSAGE, as for the config
};

// Parses one file's text (JSON is YAML, so one parser reads both and errors carry a line).
// An address "host:port" gets the scheme of the group's __scheme__ label (default http); a
// full URL keeps its own. The target name is the group's `name` label, else the address
// without scheme and trailing slashes. Other "__" labels are dropped; the rest are checked as
// static target labels. Stateless, safe from any thread.
FileSdLoad LoadFileSdString(std::string_view text, const std::string& file_name,
                            const Module& module);

// Static targets and discovered ones, combined.
struct MergedTargets {
  std::vector<Target> targets;
  std::vector<std::string> dropped;  // names skipped because an earlier target had them
};

// Static targets first, then discovered ones in order; the first target with a name wins and
// later ones with the same name are dropped (and reported), so a discovery file can never
// replace a static target.
MergedTargets MergeTargets(std::vector<Target> static_targets, std::vector<Target> discovered);

// Watches the files of some file_sd configs. Each config's globs are expanded and its files
// read every refresh_interval (by the injected clock); a file is re-parsed when its content
// hash changes. A file that fails to read or parse keeps its previous targets and reports the
// error; a file that disappears takes its targets with it. Thread-safe.
class FileSdWatcher {
 public:
  // `modules` must hold every module the configs name (the loader checks this).
  FileSdWatcher(std::vector<FileSdConfig> configs, std::map<std::string, Module> modules,
                const Clock& clock);
  FileSdWatcher(const FileSdWatcher&) = delete;
  FileSdWatcher& operator=(const FileSdWatcher&) = delete;

  // Checks every config whose refresh_interval has passed since its last check (all of them on
  // the first call). Returns true when the discovered targets changed.
  bool Poll();

  // The discovered targets: configs in order, files in path order within a config.
  std::vector<Target> Targets() const;
  // The current error of every file that failed at its last check.
  std::vector<ConfigError> Errors() const;
  // Whether this watcher watches exactly `configs` and `modules` (a reload may keep it).
  bool Watches(const std::vector<FileSdConfig>& configs,
               const std::map<std::string, Module>& modules) const;

 private:
  struct WatchedFile {
    std::optional<std::uint64_t> content_hash;  // of the content last parsed
    std::vector<Target> targets;                // the last good parse
    std::optional<ConfigError> error;
  };
  struct WatchedConfig {
    FileSdConfig config;
    std::optional<TimePoint> last_check;
    std::map<std::string, WatchedFile> files;  // by path
  };

  bool Check(WatchedConfig& watched) const;  // requires mu_

  const std::map<std::string, Module> modules_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::vector<WatchedConfig> configs_;  // guarded by mu_
};

}  // namespace healthgap::config
