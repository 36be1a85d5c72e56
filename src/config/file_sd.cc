#include "config/file_sd.h"

#include <glob.h>

#include <set>

#include "common/hash.h"
#include "common/log.h"

namespace healthgap::config {
namespace {

// The files a pattern names now, sorted; a plain path names itself whether or not it exists
// (a missing file simply has no targets).
std::vector<std::string> ExpandGlob(const std::string& pattern) {
  glob_t matches{};
  std::vector<std::string> paths;
  if (glob(pattern.c_str(), 0, nullptr, &matches) == 0) {
    for (std::size_t i = 0; i < matches.gl_pathc; ++i) paths.emplace_back(matches.gl_pathv[i]);
  }
  globfree(&matches);
  return paths;
}

}  // namespace

MergedTargets MergeTargets(std::vector<Target> static_targets, std::vector<Target> discovered) {
  MergedTargets merged;
  std::set<std::string> names;
  for (auto* list : {&static_targets, &discovered}) {
    for (Target& target : *list) {
      if (names.insert(target.name).second) {
        merged.targets.push_back(std::move(target));
      } else {
        merged.dropped.push_back(target.name);
      }
    }
  }
  return merged;
}

FileSdWatcher::FileSdWatcher(std::vector<FileSdConfig> configs,
                             std::map<std::string, Module> modules, const Clock& clock)
    : modules_(std::move(modules)), clock_(clock) {
  for (FileSdConfig& config : configs) configs_.push_back(WatchedConfig{std::move(config), {}, {}});
}

bool FileSdWatcher::Poll() {
  std::lock_guard lock(mu_);
  bool changed = false;
  const TimePoint now = clock_.Now();
  for (WatchedConfig& watched : configs_) {
    if (watched.last_check && now - *watched.last_check < watched.config.refresh_interval) {
      continue;
    }
    watched.last_check = now;
    changed |= Check(watched);
  }
  return changed;
}

bool FileSdWatcher::Check(WatchedConfig& watched) const {
  const Module& module = modules_.at(watched.config.module);
  std::set<std::string> paths;
  for (const std::string& pattern : watched.config.files) {
    for (std::string& path : ExpandGlob(pattern)) paths.insert(std::move(path));
  }
  bool changed = false;
  for (auto it = watched.files.begin(); it != watched.files.end();) {
    if (paths.contains(it->first)) {
      ++it;
      continue;
    }
    changed |= !it->second.targets.empty();
    log::Info("file_sd file gone, dropping its targets", {{"file", it->first}});
    it = watched.files.erase(it);
  }
  for (const std::string& path : paths) {
    WatchedFile& file = watched.files[path];
    std::string read_error;
    const std::optional<std::string> text = ReadTextFile(path, &read_error);
    if (!text) {
      // Vanished between glob and read: gone next time; keep what we had meanwhile.
      file.error = ConfigError{path, 0, "", "cannot read file: " + read_error};
      log::Warn("file_sd file unreadable, keeping its previous targets",
                {{"err", file.error->Format()}});
      continue;
    }
    const std::uint64_t hash = StableHash(*text);
    if (file.content_hash == hash) continue;  // unchanged since the last check
    file.content_hash = hash;
    FileSdLoad loaded = LoadFileSdString(*text, path, module);
    if (loaded.error) {
      file.error = std::move(loaded.error);
      log::Warn("file_sd file invalid, keeping its previous targets",
                {{"err", file.error->Format()}});
      continue;
    }
    file.error.reset();
    if (loaded.targets != file.targets) {
      file.targets = std::move(loaded.targets);
      changed = true;
    }
  }
  return changed;
}

std::vector<Target> FileSdWatcher::Targets() const {
  std::lock_guard lock(mu_);
  std::vector<Target> targets;
  for (const WatchedConfig& watched : configs_) {
    for (const auto& [path, file] : watched.files) {
      targets.insert(targets.end(), file.targets.begin(), file.targets.end());
    }
  }
  return targets;
}

std::vector<ConfigError> FileSdWatcher::Errors() const {
  std::lock_guard lock(mu_);
  std::vector<ConfigError> errors;
  for (const WatchedConfig& watched : configs_) {
    for (const auto& [path, file] : watched.files) {
      if (file.error) errors.push_back(*file.error);
    }
  }
  return errors;
}

bool FileSdWatcher::Watches(const std::vector<FileSdConfig>& configs,
                            const std::map<std::string, Module>& modules) const {
  std::lock_guard lock(mu_);
  if (modules != modules_ || configs.size() != configs_.size()) return false;
  for (std::size_t i = 0; i < configs.size(); ++i) {
    if (!(configs[i] == configs_[i].config)) return false;
  }
  return true;
}

}  // namespace healthgap::config
