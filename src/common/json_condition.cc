#include "common/json_condition.h"

#include <cctype>
#include <charconv>
#include <cmath>

namespace healthgap {
namespace {

// A cursor over the condition's text; every Expect* reports the first thing that is wrong.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  void SkipSpace() {
    while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\t')) ++at_;
  }
  bool Done() {
    SkipSpace();
    return at_ == text_.size();
  }
  bool Take(std::string_view token) {
    SkipSpace();
    if (text_.substr(at_, token.size()) != token) return false;
    at_ += token.size();
    return true;
  }
  char Peek() const { return at_ < text_.size() ? text_[at_] : '\0'; }
  std::string_view Rest() const { return text_.substr(at_); }
  void Advance(std::size_t n) { at_ += n; }

  bool Fail(std::string what) {
    if (error_.empty()) error_ = what + " at column " + std::to_string(at_ + 1);
    return false;
  }
  const std::string& error() const { return error_; }

 private:
  std::string_view text_;
  std::size_t at_ = 0;
  std::string error_;
};

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
}

// A JSON string's contents after its opening quote, escapes decoded (\uXXXX for ASCII only).
bool ParseString(Scanner& in, std::string& out) {
  while (true) {
    const char c = in.Peek();
    if (c == '\0') return in.Fail("unterminated string");
    in.Advance(1);
    if (c == '"') return true;
    if (c != '\\') {
      out += c;
      continue;
    }
    const char escaped = in.Peek();
    in.Advance(1);
    switch (escaped) {
      case '"':
      case '\\':
      case '/':
        out += escaped;
        break;
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      default:
        return in.Fail("unsupported escape in string");
    }
  }
}

bool ParsePath(Scanner& in, std::vector<JsonCondition::Step>& path) {
  if (!in.Take("$")) return in.Fail("expected a path starting with $");
  while (true) {
    if (in.Peek() == '.') {
      in.Advance(1);
      std::string name;
      while (IsNameChar(in.Peek())) {
        name += in.Peek();
        in.Advance(1);
      }
      if (name.empty()) return in.Fail("expected a member name after '.'");
      path.emplace_back(std::move(name));
    } else if (in.Peek() == '[') {
      in.Advance(1);
      if (in.Peek() == '"') {
        in.Advance(1);
        std::string name;
        if (!ParseString(in, name)) return false;
        path.emplace_back(std::move(name));
      } else {
        std::size_t index = 0;
        const std::string_view rest = in.Rest();
        const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), index);
        if (ec != std::errc()) return in.Fail("expected an index or a quoted name in [...]");
        in.Advance(static_cast<std::size_t>(end - rest.data()));
        path.emplace_back(index);
      }
      if (in.Peek() != ']') return in.Fail("expected ']'");
      in.Advance(1);
    } else {
      return true;
    }
  }
}

bool ParseLiteral(Scanner& in, JsonCondition::Literal& out) {
  in.SkipSpace();
  if (in.Take("null")) {
    out = JsonCondition::Null{};
  } else if (in.Take("true")) {
    out = true;
  } else if (in.Take("false")) {
    out = false;
  } else if (in.Peek() == '"') {
    in.Advance(1);
    std::string text;
    if (!ParseString(in, text)) return false;
    out = std::move(text);
  } else {
    double number = 0;
    const std::string_view rest = in.Rest();
    const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), number);
    if (ec != std::errc() || !std::isfinite(number)) {
      return in.Fail("expected a JSON value (a \"string\", a number, true, false or null)");
    }
    in.Advance(static_cast<std::size_t>(end - rest.data()));
    out = number;
  }
  return true;
}

bool ParseOp(Scanner& in, JsonCondition::Op& op) {
  using Op = JsonCondition::Op;
  // Two-character operators first, so "<=" is not read as "<".
  constexpr std::pair<std::string_view, Op> kOps[] = {{"==", Op::kEq}, {"!=", Op::kNe},
                                                      {"<=", Op::kLe}, {">=", Op::kGe},
                                                      {"<", Op::kLt},  {">", Op::kGt}};
  for (const auto& [token, value] : kOps) {
    if (in.Take(token)) {
      op = value;
      return true;
    }
  }
  return in.Fail("expected an operator (== != < <= > >=)");
}

}  // namespace

std::optional<JsonCondition> JsonCondition::Parse(std::string_view text, std::string* error) {
  JsonCondition condition;
  condition.text = std::string(text);
  Scanner in(text);
  bool ok = true;
  const auto function = [&](std::string_view name, Form form) {
    if (!in.Take(name)) return false;
    condition.form = form;
    ok = in.Take("(") ? ParsePath(in, condition.path) : in.Fail("expected '('");
    ok = ok && (in.Take(")") || in.Fail("expected ')'"));
    return true;
  };
  if (function("present", Form::kPresent) || function("absent", Form::kAbsent)) {
    // no operator
  } else if (function("len", Form::kLength)) {
    ok = ok && ParseOp(in, condition.op) && ParseLiteral(in, condition.literal);
    ok = ok && (std::holds_alternative<double>(condition.literal) ||
                in.Fail("len(...) compares with a number"));
  } else {
    condition.form = Form::kCompare;
    ok = ParsePath(in, condition.path) && ParseOp(in, condition.op) &&
         ParseLiteral(in, condition.literal);
    const bool ordering = condition.op != Op::kEq && condition.op != Op::kNe;
    ok = ok && (!ordering || std::holds_alternative<double>(condition.literal) ||
                in.Fail("< <= > >= compare with a number"));
  }
  ok = ok && (in.Done() || in.Fail("unexpected text"));
  if (!ok) {
    if (error) *error = in.error();
    return std::nullopt;
  }
  return condition;
}

}  // namespace healthgap
