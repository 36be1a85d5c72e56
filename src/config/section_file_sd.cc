// file_sd_configs: and the file_sd files they name.

#include <filesystem>

#include "config/field_readers.h"
#include "config/sections.h"
#include "config/values.h"

namespace healthgap::config {

using strict_yaml::Describe;
using strict_yaml::ItemLine;
using strict_yaml::LineOf;

namespace {

// A file_sd path: globs only in the file name (as Prometheus), a known extension.
std::string ReadFileSdPath(const Reader& reader, const Entry& entry) {
  const std::string path = reader.ReadString(entry);
  const std::string directory = std::filesystem::path(path).parent_path().string();
  if (directory.find_first_of("*?[") != std::string::npos) {
    reader.Fail(entry.line, entry.field,
                "path " + Quote(path) +
                    " has a glob in a directory; globs are allowed in the file name only");
  }
  if (!path.ends_with(".json") && !path.ends_with(".yml") && !path.ends_with(".yaml")) {
    reader.Fail(entry.line, entry.field,
                "path " + Quote(path) + " must end in .json, .yml or .yaml");
  }
  return reader.ResolvePath(path);
}

FileSdConfig ReadFileSdConfig(const Reader& reader, const Entry& item,
                              const std::map<std::string, Module>& modules) {
  const Fields fields = reader.OpenMap(item, {"files", "refresh_interval", "module"});
  FileSdConfig config;
  const Entry* files = fields.Get("files");
  if (!files) reader.Fail(item.line, item.field + ".files", "required field is missing");
  const std::vector<Entry> paths = reader.Items(*files, "a list of file paths or globs");
  if (paths.empty()) reader.Fail(files->line, files->field, "must list at least one file");
  for (const Entry& path : paths) config.files.push_back(ReadFileSdPath(reader, path));
  if (const Entry* refresh = fields.Get("refresh_interval")) {
    config.refresh_interval = ReadDuration(reader, *refresh);
  }
  if (const Entry* module = fields.Get("module")) {
    config.module = reader.ReadString(*module);
    if (!modules.contains(config.module)) {
      std::string known;
      for (const auto& [name, unused] : modules) known += (known.empty() ? "" : ", ") + name;
      reader.Fail(module->line, module->field,
                  "unknown module " + Quote(config.module) + "; defined modules: " + known);
    }
  }
  return config;
}

// A file_sd name when no "name" label gives one: the address without scheme and trailing '/'.
std::string NameFromAddress(const std::string& address) {
  const auto scheme_end = address.find("://");
  std::string name = scheme_end == std::string::npos ? address : address.substr(scheme_end + 3);
  while (name.ends_with('/')) name.pop_back();
  return name;
}

}  // namespace

std::vector<FileSdConfig> ReadFileSdConfigs(const Reader& reader, const Entry& entry,
                                            const std::map<std::string, Module>& modules) {
  std::vector<FileSdConfig> configs;
  for (const Entry& item : reader.Items(entry, "a list of file_sd configs")) {
    configs.push_back(ReadFileSdConfig(reader, item, modules));
  }
  return configs;
}

std::vector<Target> ReadFileSdGroups(const Reader& reader, const yaml::Node& root,
                                     const Module& module) {
  if (root.IsNull()) return {};
  const Entry file{"", root, "", LineOf(root)};
  if (!root.IsSequence()) {
    reader.Fail(file.line, "",
                "expected a list of target groups ({targets: [...], labels: {...}}), got " +
                    Describe(root));
  }
  std::vector<Target> targets;
  for (const Entry& group : reader.Items(file)) {
    const Fields fields = reader.OpenMap(group, {"targets", "labels"});
    std::map<std::string, std::string> labels;
    std::string scheme = "http";
    std::optional<std::string> name_label;
    if (const Entry* entry = fields.Get("labels")) {
      // "__" labels are Prometheus meta labels: __scheme__ is honoured, the others dropped.
      auto check = [](std::string_view key, std::string_view) {
        return key.starts_with("__") || key == "name" ? std::string() : CheckLabelName(key);
      };
      for (auto& [item, value] :
           ReadStringMap(reader, *entry, check, /*keys_case_insensitive=*/false)) {
        if (item.key == "__scheme__") {
          if (value != "http" && value != "https") {
            reader.Fail(item.line, item.field, "must be http or https, got " + Quote(value));
          }
          scheme = value;
        } else if (item.key == "name") {
          name_label = value;
        } else if (!item.key.starts_with("__")) {
          labels.emplace(item.key, std::move(value));
        }
      }
    }
    const Entry* list = fields.Get("targets");
    if (!list) reader.Fail(group.line, group.field + ".targets", "required field is missing");
    for (const Entry& address : reader.Items(*list, "a list of \"host:port\" or URLs")) {
      const std::string text = reader.ReadString(address);
      const bool has_scheme = text.find("://") != std::string::npos;
      const auto url = NormalizeBaseUrl(has_scheme ? text : scheme + "://" + text);
      if (!url.value) reader.Fail(address.line, address.field, url.error);
      std::string name = name_label.value_or(NameFromAddress(text));
      if (auto error = CheckName(name, "target"); !error.empty()) {
        reader.Fail(address.line, address.field, error + "; set a \"name\" label");
      }
      targets.push_back(TargetFromModule(module, std::move(name), *url.value, labels));
    }
  }
  return targets;
}

}  // namespace healthgap::config
