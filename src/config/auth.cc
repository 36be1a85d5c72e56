#include "config/auth.h"

#include <cstdint>

#include "common/base64.h"

namespace healthgap::config {
std::vector<std::pair<std::string, std::string>> AuthHeaders(const TargetAuth& auth) {
  if (auth.bearer_token) return {{"Authorization", "Bearer " + auth.bearer_token->value()}};
  if (auth.basic_auth) {
    return {{"Authorization", "Basic " + EncodeBase64(auth.basic_auth->username + ":" +
                                                      auth.basic_auth->password.value())}};
  }
  return {};
}

}  // namespace healthgap::config
