#pragma once

// An enum's names in one table, from which its ToString, its parser and the list of its names
// all derive, so adding a value is one line and the three cannot disagree.

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace healthgap {

template <typename Enum>
struct EnumName {
  Enum value;
  std::string_view name;
};

// True when the table lists the enum's values 0, 1, 2, ... in order: what each table's
// static_assert checks, since a table (unlike a switch) gets no -Wswitch for a gap.
template <typename Enum, std::size_t N>
constexpr bool ListsValuesInOrder(const std::array<EnumName<Enum>, N>& names) {
  for (std::size_t i = 0; i < N; ++i) {
    if (static_cast<std::size_t>(names[i].value) != i) return false;
  }
  return true;
}

// The name of `value`; the table's first name for a value it does not list (none is reached
// when the table lists the whole enum).
template <typename Enum, std::size_t N>
constexpr std::string_view NameOf(const std::array<EnumName<Enum>, N>& names, Enum value) {
  for (const auto& entry : names) {
    if (entry.value == value) return entry.name;
  }
  return names.front().name;
}

template <typename Enum, std::size_t N>
constexpr std::optional<Enum> ValueNamed(const std::array<EnumName<Enum>, N>& names,
                                         std::string_view name) {
  for (const auto& entry : names) {
    if (entry.name == name) return entry.value;
  }
  return std::nullopt;
}

// "a, b, c", in table order.
template <typename Enum, std::size_t N>
std::string JoinedNames(const std::array<EnumName<Enum>, N>& names) {
  std::string out;
  for (const auto& entry : names) out += (out.empty() ? "" : ", ") + std::string(entry.name);
  return out;
}

}  // namespace healthgap
