#pragma once

// JSON conditions on response bodies, for APIs that answer 200 with an error envelope (Gatus'
// idea, a smaller language). One condition is one of:
//   PATH OP LITERAL      $.status == "UP", $.data.count >= 1, $.error == null
//   len(PATH) OP NUMBER  len($.items) > 0       (array or object members, string bytes)
//   present(PATH)        absent(PATH)
// PATH is `$` followed by `.name` (letters, digits, _ and -), `["any key"]` or `[index]`; OP is
// one of == != < <= > >= (the ordering ones compare numbers only); LITERAL is JSON: a string in
// double quotes, a number, true, false or null. A condition holds only on a JSON body where it
// is true: a missing path, a value of another type or a body that is not JSON fail it.
// Parsed when the config loads (config/section_conditions.cc); judged in eval/json_conditions.h.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace healthgap {

struct JsonCondition {
  enum class Form { kCompare, kLength, kPresent, kAbsent };
  enum class Op { kEq, kNe, kLt, kLe, kGt, kGe };
  struct Null {
    bool operator==(const Null&) const = default;
  };
  using Literal = std::variant<Null, bool, double, std::string>;
  using Step = std::variant<std::string, std::size_t>;  // a member name or an array index

  Form form = Form::kPresent;
  std::vector<Step> path;
  Op op = Op::kEq;
  Literal literal;
  std::string text;  // as written, for error messages and docs

  // The condition `text` means, or nullopt with *error saying what is wrong and where.
  static std::optional<JsonCondition> Parse(std::string_view text, std::string* error);
  bool operator==(const JsonCondition& other) const { return text == other.text; }
};

}  // namespace healthgap
