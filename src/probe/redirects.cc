#include "probe/redirects.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "common/strings.h"

namespace healthgap::probe {
namespace {

struct Origin {
  std::string scheme;
  std::string host;
  std::string port;
};

// scheme://[userinfo@]host[:port][/...]: lower-case scheme and host, the default port filled in.
Origin OriginOf(std::string_view url) {
  Origin origin;
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return origin;
  origin.scheme = ToLower(url.substr(0, scheme_end));
  std::string_view authority = url.substr(scheme_end + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority = authority.substr(at + 1);
  }
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    host = authority.substr(0, close + 1);
    if (close != std::string_view::npos && close + 1 < authority.size() &&
        authority[close + 1] == ':') {
      port = authority.substr(close + 2);
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  origin.host = ToLower(host);
  if (origin.host.ends_with('.')) origin.host.pop_back();
  origin.port = port.empty() ? (origin.scheme == "https" ? "443" : "80") : std::string(port);
  return origin;
}

constexpr std::array<std::string_view, 6> kCrossOriginHeaders = {
    "accept", "accept-encoding", "accept-language", "cache-control", "pragma", "user-agent"};

}  // namespace

bool IsFollowedRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

bool SameOrigin(std::string_view a, std::string_view b) {
  const Origin first = OriginOf(a);
  const Origin second = OriginOf(b);
  return !first.scheme.empty() && first.scheme == second.scheme && first.host == second.host &&
         first.port == second.port;
}

HttpRequest RedirectedRequest(const HttpRequest& request, int status, std::string_view url) {
  HttpRequest next = request;
  next.url = std::string(url);
  const bool keeps_method = status == 307 || status == 308;
  if (!keeps_method && !EqualsIgnoringCase(request.method, "HEAD")) {
    next.method = "GET";
    next.body.clear();
  }
  const bool same_origin = SameOrigin(request.url, url);
  std::erase_if(next.headers, [&](const auto& header) {
    const std::string_view name = header.first;
    const bool describes_body =
        EqualsIgnoringCase(name, "content-type") || EqualsIgnoringCase(name, "content-length");
    if (describes_body) return next.body.empty();  // with the body, to any origin
    if (same_origin) return false;
    return std::none_of(kCrossOriginHeaders.begin(), kCrossOriginHeaders.end(),
                        [&](std::string_view safe) { return EqualsIgnoringCase(name, safe); });
  });
  return next;
}

}  // namespace healthgap::probe
