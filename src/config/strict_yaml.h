#pragma once

// Strict reading of a YAML tree, shared by every file healthgap loads (the config, file_sd
// files, the web config): maps have unique string keys from an allowed set, scalars are read
// in exactly one spelling, and the first problem stops the load with FILE:LINE: FIELD: MESSAGE.

#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config_error.h"
#include "config/yaml_tree.h"

namespace healthgap::config::strict_yaml {

// 1-based line of `node`, 0 when it has none.
inline int LineOf(const yaml::Node& node) { return node.line(); }

std::string Quote(std::string_view text);

// "nothing", "a list", "a map", "\"text\"", or "the quoted string \"3\"" for an explicitly
// quoted scalar (so `"3"` where a number is expected explains itself).
std::string Describe(const yaml::Node& node);

// The line of a list item, or `fallback` (the list's) when the item has none of its own.
int ItemLine(const yaml::Node& item, int fallback);

// "a" + "b" -> "a.b"; "" + "b" -> "b".
std::string JoinField(std::string_view parent, std::string_view key);

// One key of a YAML map, or one item of a list (key empty).
struct Entry {
  std::string key;
  yaml::Node value;
  std::string field;  // dotted path of this key, e.g. "targets[0].health.timeout"
  int line = 0;       // line of the key
};

// The keys a map may have. Built from the field tables of the sections that share the map.
class KeySet {
 public:
  KeySet() = default;
  KeySet(std::initializer_list<std::string_view> keys) : keys_(keys) {}
  KeySet& Add(std::string_view key) {
    keys_.push_back(key);
    return *this;
  }
  KeySet& Add(const KeySet& other) {
    keys_.insert(keys_.end(), other.keys_.begin(), other.keys_.end());
    return *this;
  }
  bool Contains(std::string_view key) const;
  std::string Joined() const;  // "a, b, c"
  const std::vector<std::string_view>& keys() const { return keys_; }

 private:
  std::vector<std::string_view> keys_;
};

// The keys of one YAML map, already checked against a KeySet.
struct Fields {
  std::string field;
  int line = 0;
  std::vector<Entry> entries;

  const Entry* Get(std::string_view key) const;
  auto begin() const { return entries.begin(); }
  auto end() const { return entries.end(); }
};

// Where each name of a list was first used, for "duplicate ..., first at line N" errors.
class FirstLines {
 public:
  // The line `name` was first used at, or nullopt (remembering `line`) when it is new.
  std::optional<int> Repeated(const std::string& name, int line) {
    auto [it, inserted] = lines_.emplace(name, line);
    if (inserted) return std::nullopt;
    return it->second;
  }

 private:
  std::unordered_map<std::string, int> lines_;
};

// Internal control flow only: a reader throws it at the first error; Load() returns it.
struct Failure {
  ConfigError error;
};

// Reads nodes of one file. Every method either returns a valid value or throws Failure.
class Reader {
 public:
  // `source` names the file in errors; relative paths in it resolve against `base_dir`.
  Reader(std::string source, std::filesystem::path base_dir)
      : source_(std::move(source)), base_dir_(std::move(base_dir)) {}
  // A reader whose relative paths resolve against the directory `source` is in.
  explicit Reader(std::string source);

  const std::string& source() const { return source_; }

  [[noreturn]] void Fail(int line, std::string field, std::string message) const;
  [[noreturn]] void ExpectedGot(const Entry& entry, std::string_view expected) const;

  // `node` as a map whose keys are unique strings from `allowed`.
  Fields OpenMap(const yaml::Node& node, const std::string& field, int line,
                 const KeySet& allowed) const;
  Fields OpenMap(const Entry& entry, const KeySet& allowed) const {
    return OpenMap(entry.value, entry.field, entry.line, allowed);
  }
  // The items of a map whose keys are the user's (labels, headers, module and user names):
  // unique, compared case-insensitively when `keys_case_insensitive`.
  std::vector<Entry> UserKeyedMap(const Entry& entry, bool keys_case_insensitive) const;
  // The items of a list; `expected` names it in the error when `entry` is not one.
  std::vector<Entry> Items(const Entry& entry, std::string_view expected = "a list") const;

  std::string ReadString(const Entry& entry) const;
  // Plain (unquoted) scalars only: "3" in quotes is a string in YAML, and strict means strict.
  std::string_view PlainScalar(const Entry& entry, std::string_view expected) const;
  // YAML's `true` or `false` (the core schema's spellings; no yes/no/on/off).
  bool ReadBool(const Entry& entry) const;
  // An integer >= 1.
  int ReadCount(const Entry& entry) const;

  // `path` relative to the base directory (absolute paths as they are), as Prometheus does.
  std::string ResolvePath(const std::string& path) const;

 private:
  std::string source_;
  std::filesystem::path base_dir_;
};

// Parses `text`, which must hold at most one document, and runs `load(root)` on it (on a null
// node when there is none and `empty_message` is empty). Every failure, a Failure thrown by a
// Reader included, becomes the returned ConfigError.
template <typename LoadRoot>
std::optional<ConfigError> Load(std::string_view text, const std::string& source_name,
                                std::string_view empty_message, LoadRoot load) {
  const yaml::SingleDocument document = yaml::ParseSingleDocument(text);
  if (document.error) {
    return ConfigError{source_name, document.error->line, "", document.error->message};
  }
  if (document.empty && !empty_message.empty()) {
    return ConfigError{source_name, 0, "", std::string(empty_message)};
  }
  try {
    load(document.root);
    return std::nullopt;
  } catch (const Failure& failure) {
    return failure.error;
  } catch (const std::exception& e) {
    return ConfigError{source_name, 0, "", std::string("cannot load: ") + e.what()};
  }
}

}  // namespace healthgap::config::strict_yaml
