#include "config/loader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <vector>

#include "config/field_readers.h"
#include "config/file_sd.h"
#include "config/sections.h"
#include "config/strict_yaml.h"
#include "config/yaml_tree.h"

namespace healthgap::config {
namespace {

using strict_yaml::Describe;
using strict_yaml::LineOf;

// One target; *name_line is the line of its name, for the duplicate-name check.
Target ReadTarget(const Reader& reader, const Entry& item, const DefaultsLayer& defaults,
                  const std::vector<Source>& sources, int* name_line) {
  const Fields fields = reader.OpenMap(
      item, KeySet{"name", "url", "labels", "lb_source", "traffic_source"}.Add(ProbeSpecKeys()));
  const Entry* name = fields.Get("name");
  if (!name) reader.Fail(item.line, item.field + ".name", "required field is missing");
  Target target;
  target.name = reader.ReadString(*name);
  if (auto error = CheckName(target.name, "target"); !error.empty()) {
    reader.Fail(name->line, name->field, error);
  }
  *name_line = name->line;

  const Entry* url = fields.Get("url");
  if (!url) reader.Fail(item.line, item.field + ".url", "required field is missing");
  auto base_url = NormalizeBaseUrl(reader.ReadString(*url));
  if (!base_url.value) reader.Fail(url->line, url->field, base_url.error);
  target.base_url = *base_url.value;

  if (const Entry* labels = fields.Get("labels")) {
    auto check = [](std::string_view key, std::string_view) { return CheckLabelName(key); };
    for (auto& [label, value] :
         ReadStringMap(reader, *labels, check, /*keys_case_insensitive=*/false)) {
      target.labels.emplace(label.key, std::move(value));
    }
  }
  if (const Entry* lb_source = fields.Get("lb_source")) {
    target.lb_source = ReadLbSourceRef(reader, *lb_source, sources);
  }
  if (const Entry* traffic = fields.Get("traffic_source")) {
    target.traffic_source = ReadTrafficSourceRef(reader, *traffic, sources);
  }
  static_cast<ProbeSpec&>(target) = ReadProbeSpec(reader, fields, item.field, item.line, defaults);
  return target;
}

// The whole file: defaults first, since every section below inherits from them.
Config ReadConfig(const Reader& reader, const yaml::Node& root) {
  if (!root.IsMap()) {
    reader.Fail(LineOf(root), "",
                "expected a map with a \"targets\" list at the top level, got " + Describe(root));
  }
  const Fields top =
      reader.OpenMap(root, "", LineOf(root),
                     {"defaults", "targets", "modules", "probe", "file_sd_configs", "sources"});
  DefaultsLayer defaults;
  if (const Entry* entry = top.Get("defaults")) defaults = ReadDefaults(reader, *entry);

  Config config;
  config.source = reader.source();
  if (const Entry* modules = top.Get("modules")) {
    config.modules = ReadModules(reader, *modules, defaults);
  } else {
    config.modules.emplace(kDefaultModuleName, BuiltinDefaultModule());
  }
  if (const Entry* probe = top.Get("probe")) config.probe = ReadProbeSettings(reader, *probe);
  if (const Entry* file_sd = top.Get("file_sd_configs")) {
    config.file_sd_configs = ReadFileSdConfigs(reader, *file_sd, config.modules);
  }
  if (const Entry* sources = top.Get("sources")) {
    config.sources = ReadSources(reader, *sources);
  }

  // Targets may come from discovery alone, or the exporter may serve /probe only.
  const bool targets_optional = !config.file_sd_configs.empty() || top.Get("modules");
  const Entry* targets = top.Get("targets");
  if (!targets) {
    if (targets_optional) return config;
    reader.Fail(top.line, "targets", "required field is missing");
  }
  const std::vector<Entry> items = reader.Items(*targets, "a list of targets");
  if (items.empty() && !targets_optional) {
    reader.Fail(targets->line, "targets", "must list at least one target");
  }
  config.targets.reserve(items.size());
  strict_yaml::FirstLines first_lines;
  for (const Entry& item : items) {
    int name_line = 0;
    Target target = ReadTarget(reader, item, defaults, config.sources, &name_line);
    if (const std::optional<int> first = first_lines.Repeated(target.name, name_line)) {
      reader.Fail(name_line, item.field + ".name",
                  "duplicate target name " + Quote(target.name) + ", first defined at line " +
                      std::to_string(*first));
    }
    config.targets.push_back(std::move(target));
  }
  return config;
}

// nlohmann's message without its "[json.exception.parse_error.101] " tag and, for syntax
// errors, the "parse error at line 1, column 2: " the ConfigError says its own way.
std::string WithoutJsonPrefix(std::string_view what) {
  if (what.starts_with('[')) {
    if (const auto tag_end = what.find("] "); tag_end != std::string_view::npos) {
      what.remove_prefix(tag_end + 2);
    }
  }
  if (what.starts_with("parse error")) {
    if (const auto colon = what.find(": "); colon != std::string_view::npos) {
      what.remove_prefix(colon + 2);
    }
  }
  return std::string(what);
}

// Prometheus reads a .json file_sd file as JSON; so does healthgap, before the YAML reader
// (JSON is YAML) builds the tree whose lines errors name.
std::optional<ConfigError> CheckJson(std::string_view text, const std::string& file_name) {
  if (nlohmann::json::accept(text)) return std::nullopt;
  try {
    [[maybe_unused]] const auto unused = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is 1-based, the byte after the last one read.
    const std::size_t end = std::min<std::size_t>(e.byte > 0 ? e.byte - 1 : 0, text.size());
    const std::string_view before = text.substr(0, end);
    const int line = 1 + static_cast<int>(std::count(before.begin(), before.end(), '\n'));
    return ConfigError{file_name, line, "", "invalid JSON: " + WithoutJsonPrefix(e.what())};
  } catch (const nlohmann::json::exception& e) {
    // Found by fuzz_config: a number too large for any type ("99998E00615") is out_of_range.
    return ConfigError{file_name, 0, "", "invalid JSON: " + WithoutJsonPrefix(e.what())};
  }
  return ConfigError{file_name, 0, "", "invalid JSON"};
}

}  // namespace

LoadResult LoadString(std::string_view yaml, std::string source_name) {
  LoadResult result;
  result.error = strict_yaml::Load(
      yaml, source_name, "configuration is empty, expected a map with a \"targets\" list",
      [&](const yaml::Node& root) { result.config = ReadConfig(Reader(source_name), root); });
  return result;
}

FileSdLoad LoadFileSdString(std::string_view text, const std::string& file_name,
                            const Module& module) {
  FileSdLoad result;
  if (file_name.ends_with(".json") && text.size() <= yaml::kMaxFileBytes) {
    result.error = CheckJson(text, file_name);
    if (result.error) return result;
  }
  result.error = strict_yaml::Load(text, file_name, "", [&](const yaml::Node& root) {
    result.targets = ReadFileSdGroups(Reader(file_name), root, module);
  });
  if (result.error) result.targets.clear();
  return result;
}

std::optional<std::string> ReadTextFile(const std::string& path, std::string* error) {
  // O_NONBLOCK: a FIFO planted where a file is expected must not hang the reader in open().
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    *error = std::strerror(errno);
    return std::nullopt;
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    *error = S_ISDIR(info.st_mode) ? std::strerror(EISDIR) : "not a regular file";
    ::close(fd);
    return std::nullopt;
  }
  std::string text;
  char buffer[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = std::strerror(errno);
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
    if (text.size() > yaml::kMaxFileBytes) {
      *error = "larger than " + std::to_string(yaml::kMaxFileBytes >> 20) + " MiB";
      ::close(fd);
      return std::nullopt;
    }
  }
  ::close(fd);
  return text;
}

LoadResult LoadFile(const std::string& path) {
  std::string error;
  const std::optional<std::string> text = ReadTextFile(path, &error);
  if (!text)
    return LoadResult{std::nullopt, ConfigError{path, 0, "", "cannot read file: " + error}};
  return LoadString(*text, path);
}

}  // namespace healthgap::config
