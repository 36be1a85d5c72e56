#include "config/auth.h"

#include <cstdint>

#include "common/base64.h"
#include "config/loader.h"

namespace healthgap::config {
std::vector<std::pair<std::string, std::string>> AuthHeaders(const TargetAuth& auth) {
  if (auth.bearer_token) return {{"Authorization", "Bearer " + auth.bearer_token->value()}};
  if (auth.basic_auth) {
    return {{"Authorization", "Basic " + EncodeBase64(auth.basic_auth->username + ":" +
                                                      auth.basic_auth->password.value())}};
  }
  return {};
}

std::string CheckSecretText(std::string_view text) {
  if (text.empty()) return "is empty";
  if (text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    return "contains CR, LF or NUL";
  }
  return "";
}

std::optional<Secret> ReadSecretFile(const std::string& path, std::string* error) {
  std::optional<std::string> text = ReadTextFile(path, error);
  if (!text) {
    *error = "cannot read secret file \"" + path + "\": " + *error;
    return std::nullopt;
  }
  if (text->ends_with('\n')) text->pop_back();
  if (text->ends_with('\r')) text->pop_back();
  if (std::string why = CheckSecretText(*text); !why.empty()) {
    *error = "secret file \"" + path + "\" " + why;
    return std::nullopt;
  }
  return Secret(std::move(*text));
}

}  // namespace healthgap::config
