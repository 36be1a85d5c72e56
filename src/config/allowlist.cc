#include "config/allowlist.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <optional>

#include "common/enum_names.h"
#include "common/strings.h"

namespace healthgap::config {
namespace {

std::string Quote(std::string_view text) { return "\"" + std::string(text) + "\""; }

bool ContainsCaseInsensitive(std::string_view text, std::string_view needle) {
  return ToLower(text).find(needle) != std::string::npos;
}

// An IP address as bytes; IPv4-mapped IPv6 (::ffff:a.b.c.d) is stored as IPv4 so it cannot
// slip past IPv4 rules.
struct IpAddress {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};
  int bits() const { return v6 ? 128 : 32; }
};

std::optional<IpAddress> ParseIp(std::string_view text) {
  const std::string copy(text);
  IpAddress ip;
  if (inet_pton(AF_INET, copy.c_str(), ip.bytes.data()) == 1) return ip;
  if (inet_pton(AF_INET6, copy.c_str(), ip.bytes.data()) != 1) return std::nullopt;
  constexpr std::array<std::uint8_t, 12> kMappedPrefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), ip.bytes.begin())) {
    std::copy(ip.bytes.begin() + 12, ip.bytes.end(), ip.bytes.begin());
    std::fill(ip.bytes.begin() + 4, ip.bytes.end(), 0);
    return ip;
  }
  ip.v6 = true;
  return ip;
}

struct Cidr {
  IpAddress network;
  int prefix_length = 0;

  bool Contains(const IpAddress& ip) const {
    if (ip.v6 != network.v6) return false;
    for (int bit = 0; bit < prefix_length; ++bit) {
      const int mask = 0x80 >> (bit % 8);
      if ((ip.bytes[bit / 8] & mask) != (network.bytes[bit / 8] & mask)) return false;
    }
    return true;
  }
};

Parsed<Cidr> ParseCidr(std::string_view text) {
  auto fail = [&](std::string_view why) {
    return Parsed<Cidr>::Fail("invalid CIDR " + Quote(text) + ": " + std::string(why));
  };
  const auto slash = text.find('/');
  const auto ip = ParseIp(text.substr(0, slash));
  if (!ip) return fail("expected an IPv4 or IPv6 network such as 10.0.0.0/8 or fd00::/8");
  Cidr cidr{*ip, ip->bits()};
  if (slash != std::string_view::npos) {
    const std::string_view length = text.substr(slash + 1);
    const bool digits = !length.empty() && length.size() <= 3 &&
                        std::all_of(length.begin(), length.end(), [](char c) {
                          return std::isdigit(static_cast<unsigned char>(c));
                        });
    const int value = digits ? std::stoi(std::string(length)) : -1;
    if (value < 0 || value > ip->bits()) {
      return fail("prefix length must be 0-" + std::to_string(ip->bits()));
    }
    cidr.prefix_length = value;
  }
  for (int bit = cidr.prefix_length; bit < ip->bits(); ++bit) {
    if (ip->bytes[bit / 8] & (0x80 >> (bit % 8))) {
      return fail("address has bits set beyond the prefix length");
    }
  }
  return Parsed<Cidr>::Ok(cidr);
}

// '*' matches any run of characters, dots included, so "*.svc.cluster.local" covers
// "api.prod.svc.cluster.local". Both sides are lower case.
bool GlobMatches(std::string_view pattern, std::string_view text) {
  std::size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// A URL as it will be fetched: what the rules compare.
struct ProbeUrl {
  std::string scheme;
  std::string host;  // lower case; IPv6 without brackets; no trailing dot
  bool ipv6_literal = false;
  int port = 0;      // explicit or the scheme's default
  std::string path;  // "" or "/a/b", no trailing slash

  std::string HostForUrl() const { return ipv6_literal ? "[" + host + "]" : host; }
  std::string Text() const {
    const bool default_port = port == (scheme == "https" ? 443 : 80);
    return scheme + "://" + HostForUrl() + (default_port ? "" : ":" + std::to_string(port)) + path;
  }
  // Compares on whole path segments: prefix "/v1" covers "/v1" and "/v1/x", not "/v12".
  bool Under(const ProbeUrl& prefix) const {
    return scheme == prefix.scheme && host == prefix.host && port == prefix.port &&
           (path + "/").starts_with(prefix.path + "/");
  }
};

bool AllDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

// Host names that resolvers read as numbers ("2130706433", "0x7f.1", "0177.0.0.1", "127.1")
// reach addresses no host rule would expect; only the plain dotted quad is accepted.
bool LooksNumeric(std::string_view host) {
  const auto last_dot = host.rfind('.');
  const std::string_view last =
      last_dot == std::string_view::npos ? host : host.substr(last_dot + 1);
  return AllDigits(last) || (last.starts_with("0x") && last.size() > 2);
}

Parsed<ProbeUrl> ParseProbeUrl(std::string_view text) {
  auto fail = [&](std::string_view why) {
    return Parsed<ProbeUrl>::Fail("invalid URL " + Quote(text) + ": " + std::string(why));
  };
  if (text.size() > 2048) return Parsed<ProbeUrl>::Fail("invalid URL: longer than 2048 bytes");
  if (std::any_of(text.begin(), text.end(),
                  [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) {
    return fail(
        "non-ASCII characters are not allowed; write international host names in "
        "their xn-- form");
  }
  if (text.find('\\') != std::string_view::npos) return fail("backslashes are not allowed");
  const auto normalized = NormalizeBaseUrl(text);
  if (!normalized.value) return Parsed<ProbeUrl>::Fail(normalized.error);
  const std::string& url = *normalized.value;

  ProbeUrl out;
  const auto scheme_end = url.find("://");
  out.scheme = url.substr(0, scheme_end);
  const std::string rest = url.substr(scheme_end + 3);
  const auto authority_end = rest.find('/');
  const std::string authority = rest.substr(0, authority_end);
  out.path = authority_end == std::string::npos ? "" : rest.substr(authority_end);
  if (authority.find('%') != std::string::npos) {
    return fail("percent-encoding is not allowed in the host");
  }
  for (std::string_view encoded : {"%2e", "%2f", "%5c"}) {
    if (ContainsCaseInsensitive(out.path, encoded)) {
      return fail("percent-encoded \".\", \"/\" or \"\\\" is not allowed in the path");
    }
  }
  if ((out.path + "/").find("/./") != std::string::npos ||
      (out.path + "/").find("/../") != std::string::npos) {
    return fail("\".\" and \"..\" path segments are not allowed");
  }

  std::string port_text;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    out.host = ToLower(authority.substr(1, close - 1));
    out.ipv6_literal = true;
    const auto ip = ParseIp(out.host);
    if (!ip) return fail("invalid IPv6 address");
    if (close + 1 < authority.size()) port_text = authority.substr(close + 2);
  } else {
    const auto colon = authority.find(':');
    out.host = ToLower(authority.substr(0, colon));
    if (colon != std::string::npos) port_text = authority.substr(colon + 1);
    if (out.host.ends_with('.')) out.host.pop_back();
    if (out.host.empty() || out.host.front() == '.' || out.host.find("..") != std::string::npos) {
      return fail("empty label in host name");
    }
    // inet_pton takes only the plain dotted quad, without leading zeros ("010.0.0.1" is octal
    // to some resolvers and decimal to others).
    if (LooksNumeric(out.host) && !ParseIp(out.host)) {
      return fail("numeric host " + Quote(out.host) +
                  " is not a plain IPv4 address; write it as four decimal numbers");
    }
  }
  out.port = port_text.empty() ? (out.scheme == "https" ? 443 : 80) : std::stoi(port_text);
  return Parsed<ProbeUrl>::Ok(std::move(out));
}

constexpr std::array<EnumName<AllowRule::Kind>, 3> kKindNames = {{
    {AllowRule::Kind::kUrlPrefix, "url_prefix"},
    {AllowRule::Kind::kHost, "host"},
    {AllowRule::Kind::kCidr, "cidr"},
}};
static_assert(ListsValuesInOrder(kKindNames));

std::string KindName(AllowRule::Kind kind) { return std::string(NameOf(kKindNames, kind)); }

std::string Describe(const AllowRule& rule) { return KindName(rule.kind) + " " + rule.pattern; }

}  // namespace

std::vector<std::string> SystemResolver::Resolve(const std::string& host,
                                                 std::string* error) const {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* results = nullptr;
  const int status = getaddrinfo(host.c_str(), nullptr, &hints, &results);
  if (status != 0) {
    *error = gai_strerror(status);
    return {};
  }
  std::vector<std::string> addresses;
  for (const addrinfo* ai = results; ai != nullptr; ai = ai->ai_next) {
    char text[INET6_ADDRSTRLEN] = {};
    const void* raw =
        ai->ai_family == AF_INET
            ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(ai->ai_addr)->sin_addr)
            : static_cast<const void*>(
                  &reinterpret_cast<const sockaddr_in6*>(ai->ai_addr)->sin6_addr);
    if (inet_ntop(ai->ai_family, raw, text, sizeof text) == nullptr) continue;
    if (std::find(addresses.begin(), addresses.end(), text) == addresses.end()) {
      addresses.emplace_back(text);
    }
  }
  freeaddrinfo(results);
  if (addresses.empty()) *error = "no addresses";
  return addresses;
}

Parsed<AllowRule> ParseAllowRule(AllowRule::Kind kind, std::string_view text) {
  AllowRule rule{kind, ToLower(text)};
  switch (kind) {
    case AllowRule::Kind::kUrlPrefix: {
      auto url = ParseProbeUrl(text);
      if (!url.value) return Parsed<AllowRule>::Fail(url.error);
      rule.pattern = url.value->Text();
      break;
    }
    case AllowRule::Kind::kHost: {
      const bool valid_chars = !rule.pattern.empty() &&
                               std::all_of(rule.pattern.begin(), rule.pattern.end(), [](char c) {
                                 return std::isalnum(static_cast<unsigned char>(c)) || c == '-' ||
                                        c == '.' || c == '_' || c == '*' || c == ':';
                               });
      if (!valid_chars) {
        return Parsed<AllowRule>::Fail("invalid host pattern " + Quote(text) +
                                       ": expected a host name, IP address or a glob such as "
                                       "*.svc.cluster.local");
      }
      if (std::all_of(rule.pattern.begin(), rule.pattern.end(),
                      [](char c) { return c == '*' || c == '.'; })) {
        return Parsed<AllowRule>::Fail("host pattern " + Quote(text) +
                                       " matches every host; list the domains /probe may reach");
      }
      break;
    }
    case AllowRule::Kind::kCidr: {
      auto cidr = ParseCidr(text);
      if (!cidr.value) return Parsed<AllowRule>::Fail(cidr.error);
      break;
    }
  }
  return Parsed<AllowRule>::Ok(std::move(rule));
}

ProbeAllowDecision CheckProbeTarget(const std::vector<AllowRule>& rules, std::string_view url,
                                    const Resolver& resolver) {
  ProbeAllowDecision decision;
  const auto parsed = ParseProbeUrl(url);
  if (!parsed.value) {
    decision.reason = parsed.error;
    return decision;
  }
  const ProbeUrl& target = *parsed.value;
  decision.url = target.Text();
  if (rules.empty()) {
    decision.reason = "no probe.allow rules are configured, so /probe refuses every target";
    return decision;
  }
  auto allow = [&](const AllowRule& rule) {
    decision.allowed = true;
    decision.reason = "allowed by " + Describe(rule);
    return decision;
  };

  std::vector<Cidr> cidrs;
  for (const AllowRule& rule : rules) {
    switch (rule.kind) {
      case AllowRule::Kind::kUrlPrefix:
        if (auto prefix = ParseProbeUrl(rule.pattern);
            prefix.value && target.Under(*prefix.value)) {
          return allow(rule);
        }
        break;
      case AllowRule::Kind::kHost:
        if (GlobMatches(rule.pattern, target.host)) return allow(rule);
        break;
      case AllowRule::Kind::kCidr:
        if (auto cidr = ParseCidr(rule.pattern); cidr.value) cidrs.push_back(*cidr.value);
        break;
    }
  }
  auto cidr_rule_for = [&](const IpAddress& ip) -> const AllowRule* {
    std::size_t index = 0;
    for (const AllowRule& rule : rules) {
      if (rule.kind != AllowRule::Kind::kCidr) continue;
      if (cidrs[index++].Contains(ip)) return &rule;
    }
    return nullptr;
  };

  if (const auto literal = ParseIp(target.host)) {
    if (const AllowRule* rule = cidr_rule_for(*literal)) return allow(*rule);
    decision.reason = "no probe.allow rule matches " + Quote(target.host);
    return decision;
  }
  if (cidrs.empty()) {
    decision.reason = "no probe.allow rule matches " + Quote(target.host);
    return decision;
  }
  std::string error;
  const std::vector<std::string> addresses = resolver.Resolve(target.host, &error);
  if (addresses.empty()) {
    decision.reason = "no url_prefix or host rule matches " + Quote(target.host) +
                      " and it does not resolve for the cidr rules: " + error;
    return decision;
  }
  // Every address must be allowed: curl may connect to any of them.
  const AllowRule* first_rule = nullptr;
  std::string pinned;
  for (const std::string& address : addresses) {
    const auto ip = ParseIp(address);
    const AllowRule* rule = ip ? cidr_rule_for(*ip) : nullptr;
    if (!rule) {
      decision.reason =
          Quote(target.host) + " resolves to " + address + ", which no probe.allow rule allows";
      return decision;
    }
    if (!first_rule) first_rule = rule;
    if (!pinned.empty()) pinned += ",";
    pinned += address.find(':') != std::string::npos ? "[" + address + "]" : address;
  }
  allow(*first_rule);
  decision.reason += " (" + Quote(target.host) + " resolves to " + pinned + ")";
  decision.resolve.push_back(target.host + ":" + std::to_string(target.port) + ":" + pinned);
  return decision;
}

}  // namespace healthgap::config
