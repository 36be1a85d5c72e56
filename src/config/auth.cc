#include "config/auth.h"

#include <cstdint>

namespace healthgap::config {
namespace {

std::string Base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t left = bytes.size() - i;
    std::uint32_t chunk = static_cast<unsigned char>(bytes[i]) << 16;
    if (left > 1) chunk |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    if (left > 2) chunk |= static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(chunk >> 18) & 63];
    out += kAlphabet[(chunk >> 12) & 63];
    out += left > 1 ? kAlphabet[(chunk >> 6) & 63] : '=';
    out += left > 2 ? kAlphabet[chunk & 63] : '=';
  }
  return out;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> AuthHeaders(const TargetAuth& auth) {
  if (auth.bearer_token) return {{"Authorization", "Bearer " + auth.bearer_token->value()}};
  if (auth.basic_auth) {
    return {{"Authorization", "Basic " + Base64(auth.basic_auth->username + ":" +
                                                auth.basic_auth->password.value())}};
  }
  return {};
}

}  // namespace healthgap::config
