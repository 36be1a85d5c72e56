#pragma once

// A compiled regular expression in RE2 syntax (as Prometheus and blackbox_exporter take them),
// matched in time linear in the input: a hostile body cannot stall a probe. A value: copies
// share the compiled program, and two are equal when their patterns are.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace re2 {
class RE2;
}

namespace healthgap {

class Regex {
 public:
  // The compiled pattern, or nullopt with *error set to RE2's reason.
  static std::optional<Regex> Compile(std::string_view pattern, std::string* error);

  // True when the pattern matches somewhere in `text` (unanchored, as blackbox's conditions).
  bool Search(std::string_view text) const;
  const std::string& pattern() const { return pattern_; }
  bool operator==(const Regex& other) const { return pattern_ == other.pattern_; }

 private:
  Regex(std::string pattern, std::shared_ptr<const re2::RE2> compiled)
      : pattern_(std::move(pattern)), compiled_(std::move(compiled)) {}

  std::string pattern_;
  std::shared_ptr<const re2::RE2> compiled_;
};

}  // namespace healthgap
