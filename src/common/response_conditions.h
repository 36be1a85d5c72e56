#pragma once

// blackbox_exporter's response conditions, shared by the config (which compiles them at load
// time) and eval (which judges responses by them).

#include <string>
#include <vector>

#include "common/json_condition.h"
#include "common/regex.h"

namespace healthgap {

struct HeaderCondition {
  std::string header;  // compared case-insensitively
  Regex regexp;
  bool allow_missing = false;  // fail_if_header_not_matches: a missing header passes
  bool operator==(const HeaderCondition&) const = default;
};

struct ResponseConditions {
  std::vector<Regex> fail_if_body_matches;      // any match fails (reason body_mismatch)
  std::vector<Regex> fail_if_body_not_matches;  // any non-match fails (body_mismatch)
  // A present header whose value matches fails (header_mismatch).
  std::vector<HeaderCondition> fail_if_header_matches;
  // A header whose value does not match fails, and so does a missing one unless allow_missing.
  std::vector<HeaderCondition> fail_if_header_not_matches;
  // All must hold on a JSON body, else body_mismatch (json_conditions, common/json_condition.h).
  std::vector<JsonCondition> json_conditions;

  bool empty() const {
    return fail_if_body_matches.empty() && fail_if_body_not_matches.empty() &&
           fail_if_header_matches.empty() && fail_if_header_not_matches.empty() &&
           json_conditions.empty();
  }
  // The body must be kept to be judged.
  bool NeedsBody() const {
    return !fail_if_body_matches.empty() || !fail_if_body_not_matches.empty() ||
           !json_conditions.empty();
  }
  bool operator==(const ResponseConditions&) const = default;
};

}  // namespace healthgap
