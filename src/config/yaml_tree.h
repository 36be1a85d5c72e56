#pragma once

// The YAML reader behind every file healthgap loads (the config, file_sd files, the web
// config): libyaml, the reference C parser, builds an immutable tree whose nodes know their
// line. libyaml's parser is a state machine with explicit stacks, linear in its input; this
// layer bounds what the tree may cost (nodes, aliases expanded, depth), so no input, however
// hostile, makes loading loop or grow without limit.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace healthgap::config::yaml {

class Stream;

// A node of a parsed stream. Cheap to copy; valid while its Stream lives. A default-constructed
// Node is null, with no line.
class Node {
 public:
  enum class Kind : std::uint8_t { kNull, kScalar, kSequence, kMap };

  Node() = default;

  Kind kind() const;
  bool IsNull() const { return kind() == Kind::kNull; }
  bool IsScalar() const { return kind() == Kind::kScalar; }
  bool IsSequence() const { return kind() == Kind::kSequence; }
  bool IsMap() const { return kind() == Kind::kMap; }

  // A scalar's text after YAML's quoting, escapes and folding; empty for other kinds.
  const std::string& Scalar() const;
  // Quoted ('x', "x") or block (|, >) scalars: YAML says these are strings, whatever they spell.
  bool quoted() const;
  // 1-based line where the node starts; 0 for a default-constructed node.
  int line() const;

  // Items of a sequence, entries of a map; 0 otherwise.
  std::size_t size() const;
  // Item `i` of a sequence (i < size()).
  Node operator[](std::size_t i) const;
  // Key and value of entry `i` of a map (i < size()), in document order.
  Node Key(std::size_t i) const;
  Node Value(std::size_t i) const;
  // The value of the first entry of a map whose key is the scalar `key`.
  std::optional<Node> Find(std::string_view key) const;

 private:
  friend class Stream;
  friend class TreeBuilder;
  Node(const Stream* stream, std::uint32_t index) : stream_(stream), index_(index) {}

  const Stream* stream_ = nullptr;
  std::uint32_t index_ = 0;
};

// The largest file healthgap loads as a config, file_sd or web config file: 16 MiB, about
// 150,000 targets in a config and more in a file_sd file.
inline constexpr std::size_t kMaxFileBytes = 16u << 20;

// What parsing may cost.
struct Limits {
  std::size_t max_bytes = kMaxFileBytes;
  // Nodes in the tree, an alias counting as the whole node it repeats, so "billion laughs"
  // stops here instead of in whoever walks the tree.
  std::size_t max_nodes = 4'000'000;
  // Sequences and maps nested in each other.
  int max_depth = 64;
};

struct ParseError {
  int line = 0;  // 1-based; 0 when unknown
  int column = 0;
  std::string message;
};

// The documents of one YAML stream.
class Stream {
 public:
  struct Parsed;
  // Parses `text`, which must be UTF-8 (checked first, so binary input is named as such).
  static Parsed Parse(std::string_view text, const Limits& limits = {});

  const std::vector<Node>& documents() const { return documents_; }

 private:
  friend class Node;
  friend class TreeBuilder;

  struct NodeData {
    Node::Kind kind = Node::Kind::kNull;
    bool quoted = false;
    int line = 0;
    std::uint32_t scalar = 0;       // into scalars_, for kScalar
    std::uint32_t first_child = 0;  // into children_: items, or key and value per entry
    std::uint32_t child_count = 0;  // entries of a map count twice
  };

  std::vector<NodeData> nodes_;
  std::vector<std::uint32_t> children_;
  std::vector<std::string> scalars_;
  std::vector<Node> documents_;
};

struct Stream::Parsed {
  std::unique_ptr<Stream> stream;  // set on success
  std::optional<ParseError> error;
};

// A stream that must hold at most one document: its root, null when it holds none (`empty`).
struct SingleDocument {
  std::unique_ptr<Stream> stream;  // owns `root`
  Node root;
  bool empty = true;
  std::optional<ParseError> error;  // syntax, limits, or more than one document
};
SingleDocument ParseSingleDocument(std::string_view text, const Limits& limits = {});

// The first byte of `text` that is not UTF-8 text (invalid encoding, NUL or another control
// character but tab, CR and LF), as an error naming its line and column.
std::optional<ParseError> CheckUtf8Text(std::string_view text);

}  // namespace healthgap::config::yaml
