#pragma once

// Judges a response body by JSON conditions (common/json_condition.h).

#include <span>
#include <string_view>

#include "common/json_condition.h"

namespace healthgap::eval {

// True when `body` is JSON (nested at most 64 deep) and every condition holds on it.
bool JsonConditionsHold(std::string_view body, std::span<const JsonCondition> conditions);

}  // namespace healthgap::eval
