#include "config/yaml_tree.h"

#include <yaml.h>

#include <limits>
#include <unordered_map>

#include "common/utf8.h"

namespace healthgap::config::yaml {

Node::Kind Node::kind() const { return stream_ ? stream_->nodes_[index_].kind : Kind::kNull; }

const std::string& Node::Scalar() const {
  static const std::string kEmpty;
  if (!IsScalar()) return kEmpty;
  return stream_->scalars_[stream_->nodes_[index_].scalar];
}

bool Node::quoted() const { return stream_ && stream_->nodes_[index_].quoted; }

int Node::line() const { return stream_ ? stream_->nodes_[index_].line : 0; }

std::size_t Node::size() const {
  if (!stream_) return 0;
  const Stream::NodeData& data = stream_->nodes_[index_];
  switch (data.kind) {
    case Kind::kSequence:
      return data.child_count;
    case Kind::kMap:
      return data.child_count / 2;
    default:
      return 0;
  }
}

Node Node::operator[](std::size_t i) const {
  return Node(stream_, stream_->children_[stream_->nodes_[index_].first_child + i]);
}

Node Node::Key(std::size_t i) const {
  return Node(stream_, stream_->children_[stream_->nodes_[index_].first_child + 2 * i]);
}

Node Node::Value(std::size_t i) const {
  return Node(stream_, stream_->children_[stream_->nodes_[index_].first_child + 2 * i + 1]);
}

std::optional<Node> Node::Find(std::string_view key) const {
  if (!IsMap()) return std::nullopt;
  for (std::size_t i = 0; i < size(); ++i) {
    if (Key(i).IsScalar() && Key(i).Scalar() == key) return Value(i);
  }
  return std::nullopt;
}

namespace {

std::string Hex(unsigned char byte) {
  constexpr char kDigits[] = "0123456789abcdef";
  return std::string("0x") + kDigits[byte >> 4] + kDigits[byte & 0xf];
}

bool IsNullSpelling(std::string_view text) {
  return text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL";
}

}  // namespace

std::optional<ParseError> CheckUtf8Text(std::string_view text) {
  int line = 1;
  int column = 1;
  for (std::size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    const std::size_t length = utf8::SequenceLength(text, i);
    const bool control = byte < 0x20 ? byte != '\t' && byte != '\n' && byte != '\r' : byte == 0x7f;
    if (length == 0 || control) {
      return ParseError{line, column,
                        "not UTF-8 text: byte " + Hex(byte) + " at column " +
                            std::to_string(column) +
                            (length == 0 ? " is not valid UTF-8" : " is a control character")};
    }
    if (byte == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
    i += length;
  }
  return std::nullopt;
}

// Builds a Stream from libyaml's events.
class TreeBuilder {
 public:
  TreeBuilder(Stream& stream, const Limits& limits) : stream_(stream), limits_(limits) {}

  std::optional<ParseError> Run(std::string_view text) {
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) return ParseError{0, 0, "cannot start the YAML parser"};
    yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()),
                                 text.size());
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
    std::optional<ParseError> error;
    bool done = false;
    while (!done && !error) {
      yaml_event_t event;
      if (!yaml_parser_parse(&parser, &event)) {
        error = SyntaxError(parser);
        break;
      }
      done = event.type == YAML_STREAM_END_EVENT;
      error = Handle(event);
      yaml_event_delete(&event);
    }
    yaml_parser_delete(&parser);
    return error;
  }

 private:
  struct OpenCollection {
    std::uint32_t index;
    std::vector<std::uint32_t> children;
  };

  static ParseError SyntaxError(const yaml_parser_t& parser) {
    if (parser.error == YAML_MEMORY_ERROR) return ParseError{0, 0, "out of memory"};
    ParseError error;
    error.line = static_cast<int>(parser.problem_mark.line) + 1;
    error.column = static_cast<int>(parser.problem_mark.column) + 1;
    error.message = "invalid YAML: ";
    error.message += parser.problem ? parser.problem : "syntax error";
    error.message += " (column " + std::to_string(error.column);
    if (parser.context) {
      error.message += "; " + std::string(parser.context) + " that starts at line " +
                       std::to_string(parser.context_mark.line + 1);
    }
    error.message += ")";
    return error;
  }

  static ParseError At(const yaml_event_t& event, std::string message) {
    return ParseError{static_cast<int>(event.start_mark.line) + 1,
                      static_cast<int>(event.start_mark.column) + 1, std::move(message)};
  }

  std::optional<ParseError> Handle(const yaml_event_t& event) {
    switch (event.type) {
      case YAML_DOCUMENT_START_EVENT:
        anchors_.clear();  // anchors are per document
        return std::nullopt;
      case YAML_SCALAR_EVENT: {
        const auto& scalar = event.data.scalar;
        const std::string_view value(reinterpret_cast<const char*>(scalar.value), scalar.length);
        const bool plain = scalar.style == YAML_PLAIN_SCALAR_STYLE;
        Stream::NodeData data;
        data.line = static_cast<int>(event.start_mark.line) + 1;
        if (!plain || !IsNullSpelling(value)) {
          data.kind = Node::Kind::kScalar;
          data.quoted = !plain;
          data.scalar = static_cast<std::uint32_t>(stream_.scalars_.size());
          stream_.scalars_.emplace_back(value);
        }
        return Add(event, data, scalar.anchor, /*expands_to=*/1);
      }
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT: {
        if (static_cast<int>(open_.size()) >= limits_.max_depth) {
          return At(event, "nesting deeper than " + std::to_string(limits_.max_depth) +
                               " levels of lists and maps");
        }
        Stream::NodeData data;
        data.kind =
            event.type == YAML_SEQUENCE_START_EVENT ? Node::Kind::kSequence : Node::Kind::kMap;
        data.line = static_cast<int>(event.start_mark.line) + 1;
        const yaml_char_t* anchor = event.type == YAML_SEQUENCE_START_EVENT
                                        ? event.data.sequence_start.anchor
                                        : event.data.mapping_start.anchor;
        // Its size is known at its end; 0 until then marks it open.
        if (auto error = Add(event, data, anchor, /*expands_to=*/0)) return error;
        open_.push_back(OpenCollection{static_cast<std::uint32_t>(stream_.nodes_.size() - 1), {}});
        return std::nullopt;
      }
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT: {
        OpenCollection closed = std::move(open_.back());
        open_.pop_back();
        Stream::NodeData& data = stream_.nodes_[closed.index];
        data.first_child = static_cast<std::uint32_t>(stream_.children_.size());
        data.child_count = static_cast<std::uint32_t>(closed.children.size());
        std::uint64_t expands_to = 1;
        for (std::uint32_t child : closed.children) expands_to += expands_to_[child];
        expands_to_[closed.index] = expands_to;
        stream_.children_.insert(stream_.children_.end(), closed.children.begin(),
                                 closed.children.end());
        return std::nullopt;
      }
      case YAML_ALIAS_EVENT: {
        const std::string name(reinterpret_cast<const char*>(event.data.alias.anchor));
        const auto found = anchors_.find(name);
        if (found == anchors_.end()) return At(event, "unknown alias *" + name);
        const std::uint32_t target = found->second;
        if (expands_to_[target] == 0) {
          return At(event, "alias *" + name + " refers to a node that contains it");
        }
        if (auto error = Count(event, expands_to_[target])) return error;
        Attach(target);
        return std::nullopt;
      }
      default:
        return std::nullopt;
    }
  }

  std::optional<ParseError> Count(const yaml_event_t& event, std::uint64_t nodes) {
    total_nodes_ += nodes;
    if (total_nodes_ > limits_.max_nodes) {
      return At(event, "more than " + std::to_string(limits_.max_nodes) +
                           " YAML nodes (aliases count as the nodes they repeat)");
    }
    return std::nullopt;
  }

  // Appends a new node and makes it a child of the innermost open collection or a document.
  std::optional<ParseError> Add(const yaml_event_t& event, const Stream::NodeData& data,
                                const yaml_char_t* anchor, std::uint64_t expands_to) {
    if (auto error = Count(event, 1)) return error;
    if (stream_.nodes_.size() >= std::numeric_limits<std::uint32_t>::max()) {
      return At(event, "too many YAML nodes");
    }
    const auto index = static_cast<std::uint32_t>(stream_.nodes_.size());
    stream_.nodes_.push_back(data);
    expands_to_.push_back(expands_to);
    if (anchor) anchors_[reinterpret_cast<const char*>(anchor)] = index;
    Attach(index);
    return std::nullopt;
  }

  void Attach(std::uint32_t index) {
    if (open_.empty()) {
      stream_.documents_.push_back(Node(&stream_, index));
    } else {
      open_.back().children.push_back(index);
    }
  }

  Stream& stream_;
  const Limits& limits_;
  std::vector<OpenCollection> open_;
  std::vector<std::uint64_t> expands_to_;  // per node: the nodes it stands for, aliases expanded
  std::unordered_map<std::string, std::uint32_t> anchors_;
  std::uint64_t total_nodes_ = 0;
};

Stream::Parsed Stream::Parse(std::string_view text, const Limits& limits) {
  Parsed parsed;
  if (text.size() > limits.max_bytes) {
    parsed.error = ParseError{0, 0,
                              "larger than " + std::to_string(limits.max_bytes >> 20) + " MiB (" +
                                  std::to_string(text.size()) + " bytes)"};
    return parsed;
  }
  if (auto error = CheckUtf8Text(text)) {
    parsed.error = std::move(error);
    return parsed;
  }
  auto stream = std::unique_ptr<Stream>(new Stream());
  if (auto error = TreeBuilder(*stream, limits).Run(text)) {
    parsed.error = std::move(error);
    return parsed;
  }
  parsed.stream = std::move(stream);
  return parsed;
}

SingleDocument ParseSingleDocument(std::string_view text, const Limits& limits) {
  SingleDocument single;
  Stream::Parsed parsed = Stream::Parse(text, limits);
  if (parsed.error) {
    single.error = std::move(parsed.error);
    return single;
  }
  const std::vector<Node>& documents = parsed.stream->documents();
  if (documents.size() > 1) {
    single.error = ParseError{
        documents[1].line(), 0,
        "found " + std::to_string(documents.size()) + " YAML documents, expected exactly one"};
    return single;
  }
  if (!documents.empty()) {
    single.root = documents[0];
    single.empty = false;
  }
  single.stream = std::move(parsed.stream);
  return single;
}

}  // namespace healthgap::config::yaml
