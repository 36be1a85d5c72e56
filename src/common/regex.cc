#include "common/regex.h"

#include <re2/re2.h>

namespace healthgap {

std::optional<Regex> Regex::Compile(std::string_view pattern, std::string* error) {
  RE2::Options options;
  options.set_log_errors(false);
  // RE2's default 8 MiB program budget bounds the memory one hostile pattern can take.
  auto compiled =
      std::make_shared<const RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (!compiled->ok()) {
    *error = compiled->error();
    return std::nullopt;
  }
  return Regex(std::string(pattern), std::move(compiled));
}

bool Regex::Search(std::string_view text) const {
  return RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *compiled_);
}

}  // namespace healthgap
