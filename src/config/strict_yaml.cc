#include "config/strict_yaml.h"

#include <algorithm>
#include <charconv>

#include "common/strings.h"

namespace healthgap::config {

std::string ConfigError::Format() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  out += ": ";
  if (!field.empty()) out += field + ": ";
  out += message;
  return out;
}

namespace strict_yaml {

std::string Quote(std::string_view text) { return "\"" + std::string(text) + "\""; }

std::string Describe(const yaml::Node& node) {
  switch (node.kind()) {
    case yaml::Node::Kind::kNull:
      return "nothing";
    case yaml::Node::Kind::kSequence:
      return "a list";
    case yaml::Node::Kind::kMap:
      return "a map";
    case yaml::Node::Kind::kScalar:
      return node.quoted() ? "the quoted string " + Quote(node.Scalar()) : Quote(node.Scalar());
  }
  return "an unknown node";
}

int ItemLine(const yaml::Node& item, int fallback) {
  const int line = LineOf(item);
  return line > 0 && !item.IsNull() ? line : fallback;
}

std::string JoinField(std::string_view parent, std::string_view key) {
  return parent.empty() ? std::string(key) : std::string(parent) + "." + std::string(key);
}

bool KeySet::Contains(std::string_view key) const {
  return std::find(keys_.begin(), keys_.end(), key) != keys_.end();
}

std::string KeySet::Joined() const {
  std::string out;
  for (std::string_view key : keys_) out += (out.empty() ? "" : ", ") + std::string(key);
  return out;
}

const Entry* Fields::Get(std::string_view key) const {
  for (const auto& entry : entries) {
    if (entry.key == key) return &entry;
  }
  return nullptr;
}

Reader::Reader(std::string source)
    : source_(std::move(source)), base_dir_(std::filesystem::path(source_).parent_path()) {}

void Reader::Fail(int line, std::string field, std::string message) const {
  throw Failure{ConfigError{source_, line, std::move(field), std::move(message)}};
}

void Reader::ExpectedGot(const Entry& entry, std::string_view expected) const {
  Fail(entry.line, entry.field,
       "expected " + std::string(expected) + ", got " + Describe(entry.value));
}

Fields Reader::OpenMap(const yaml::Node& node, const std::string& field, int line,
                       const KeySet& allowed) const {
  if (!node.IsMap()) Fail(line, field, "expected a map, got " + Describe(node));
  Fields fields{field, line, {}};
  for (std::size_t i = 0; i < node.size(); ++i) {
    const yaml::Node key_node = node.Key(i);
    const int key_line = LineOf(key_node);
    if (!key_node.IsScalar()) {
      Fail(key_line, field, "expected a string key, got " + Describe(key_node));
    }
    const std::string& key = key_node.Scalar();
    if (!allowed.Contains(key)) {
      std::string message = "unknown key " + Quote(key);
      if (key == "<<") message += " (YAML merge keys are not supported)";
      Fail(key_line, JoinField(field, key), message + "; expected one of " + allowed.Joined());
    }
    if (const Entry* previous = fields.Get(key)) {
      Fail(key_line, JoinField(field, key),
           "duplicate key " + Quote(key) + ", first set at line " + std::to_string(previous->line));
    }
    fields.entries.push_back(Entry{key, node.Value(i), JoinField(field, key), key_line});
  }
  return fields;
}

std::vector<Entry> Reader::UserKeyedMap(const Entry& entry, bool keys_case_insensitive) const {
  if (!entry.value.IsMap()) ExpectedGot(entry, "a map");
  std::vector<Entry> out;
  FirstLines first_lines;
  for (std::size_t i = 0; i < entry.value.size(); ++i) {
    const yaml::Node key_node = entry.value.Key(i);
    const int key_line = LineOf(key_node);
    if (!key_node.IsScalar()) {
      Fail(key_line, entry.field, "expected a string key, got " + Describe(key_node));
    }
    Entry item{key_node.Scalar(), entry.value.Value(i), entry.field + "." + key_node.Scalar(),
               key_line};
    const std::string normalized = keys_case_insensitive ? ToLower(item.key) : item.key;
    if (const std::optional<int> first = first_lines.Repeated(normalized, key_line)) {
      Fail(key_line, item.field,
           "duplicate key " + Quote(item.key) + ", first set at line " + std::to_string(*first));
    }
    out.push_back(std::move(item));
  }
  return out;
}

std::vector<Entry> Reader::Items(const Entry& entry, std::string_view expected) const {
  if (!entry.value.IsSequence()) ExpectedGot(entry, expected);
  std::vector<Entry> items;
  items.reserve(entry.value.size());
  for (std::size_t i = 0; i < entry.value.size(); ++i) {
    const yaml::Node item = entry.value[i];
    items.push_back(
        Entry{"", item, entry.field + "[" + std::to_string(i) + "]", ItemLine(item, entry.line)});
  }
  return items;
}

std::string Reader::ReadString(const Entry& entry) const {
  if (!entry.value.IsScalar()) ExpectedGot(entry, "a string");
  return entry.value.Scalar();
}

std::string_view Reader::PlainScalar(const Entry& entry, std::string_view expected) const {
  if (!entry.value.IsScalar() || entry.value.quoted()) ExpectedGot(entry, expected);
  return entry.value.Scalar();
}

bool Reader::ReadBool(const Entry& entry) const {
  const std::string_view text = PlainScalar(entry, "true or false");
  if (text != "true" && text != "false") ExpectedGot(entry, "true or false");
  return text == "true";
}

int Reader::ReadCount(const Entry& entry) const {
  const std::string_view text = PlainScalar(entry, "an integer");
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) ExpectedGot(entry, "an integer");
  if (value < 1) Fail(entry.line, entry.field, "must be at least 1, got " + std::string(text));
  return value;
}

std::string Reader::ResolvePath(const std::string& path) const {
  if (path.empty() || std::filesystem::path(path).is_absolute()) return path;
  return (base_dir_ / path).string();
}

}  // namespace strict_yaml
}  // namespace healthgap::config
