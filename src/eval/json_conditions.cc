#include "eval/json_conditions.h"

#include <nlohmann/json.hpp>

#include "eval/health_body.h"

namespace healthgap::eval {
namespace {

using nlohmann::json;

// Deeper bodies are refused before parsing, as health bodies are (eval/health_body.h).
constexpr int kMaxDepth = 64;

const json* Find(const json& root, const std::vector<JsonCondition::Step>& path) {
  const json* at = &root;
  for (const JsonCondition::Step& step : path) {
    if (const auto* name = std::get_if<std::string>(&step)) {
      if (!at->is_object()) return nullptr;
      const auto member = at->find(*name);
      if (member == at->end()) return nullptr;
      at = &*member;
    } else {
      const std::size_t index = std::get<std::size_t>(step);
      if (!at->is_array() || index >= at->size()) return nullptr;
      at = &(*at)[index];
    }
  }
  return at;
}

template <typename T>
bool Compare(const T& left, JsonCondition::Op op, const T& right) {
  using Op = JsonCondition::Op;
  switch (op) {
    case Op::kEq:
      return left == right;
    case Op::kNe:
      return left != right;
    case Op::kLt:
      return left < right;
    case Op::kLe:
      return left <= right;
    case Op::kGt:
      return left > right;
    case Op::kGe:
      return left >= right;
  }
  return false;
}

// `value` OP literal, where both must be of the same JSON type.
bool CompareValue(const json& value, const JsonCondition& condition) {
  using Op = JsonCondition::Op;
  const bool equality = condition.op == Op::kEq || condition.op == Op::kNe;
  return std::visit(
      [&](const auto& literal) -> bool {
        using L = std::decay_t<decltype(literal)>;
        if constexpr (std::is_same_v<L, double>) {
          if (!value.is_number()) return false;
          return Compare(value.get<double>(), condition.op, literal);
        } else if constexpr (std::is_same_v<L, std::string>) {
          if (!value.is_string() || !equality) return false;
          return Compare(value.get_ref<const std::string&>(), condition.op, literal);
        } else if constexpr (std::is_same_v<L, bool>) {
          if (!value.is_boolean() || !equality) return false;
          return Compare(value.get<bool>(), condition.op, literal);
        } else {
          return equality && Compare(value.is_null(), condition.op, true);
        }
      },
      condition.literal);
}

bool Holds(const json& root, const JsonCondition& condition) {
  using Form = JsonCondition::Form;
  const json* value = Find(root, condition.path);
  switch (condition.form) {
    case Form::kPresent:
      return value != nullptr;
    case Form::kAbsent:
      return value == nullptr;
    case Form::kLength: {
      if (value == nullptr) return false;
      double length = 0;
      if (value->is_string()) {
        length = static_cast<double>(value->get_ref<const std::string&>().size());
      } else if (value->is_array() || value->is_object()) {
        length = static_cast<double>(value->size());
      } else {
        return false;
      }
      return Compare(length, condition.op, std::get<double>(condition.literal));
    }
    case Form::kCompare:
      return value != nullptr && CompareValue(*value, condition);
  }
  return false;
}

}  // namespace

bool JsonConditionsHold(std::string_view body, std::span<const JsonCondition> conditions) {
  if (conditions.empty()) return true;
  if (JsonNestingDepth(body, kMaxDepth) > kMaxDepth) return false;
  const json root = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return false;
  for (const JsonCondition& condition : conditions) {
    if (!Holds(root, condition)) return false;
  }
  return true;
}

}  // namespace healthgap::eval
