#pragma once

// Which targets /probe may reach (config key probe.allow). blackbox_exporter's /probe requests
// whatever URL the caller names, so anyone who can reach the exporter can make it fetch
// internal URLs (cloud metadata at 169.254.169.254, admin panels): an open proxy. healthgap
// refuses every /probe target unless a rule allows it, and normalises the URL first so the
// host that is checked is the host that is fetched.

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/values.h"

namespace healthgap::config {

// Host name to addresses. An interface so tests need no DNS.
class Resolver {
 public:
  virtual ~Resolver() = default;
  // Every address `host` resolves to, as text ("10.0.0.1", "2001:db8::1"). On failure an empty
  // list and *error says why.
  virtual std::vector<std::string> Resolve(const std::string& host, std::string* error) const = 0;
};

// Resolver on getaddrinfo(3). Thread-safe.
class SystemResolver final : public Resolver {
 public:
  // Resolver
  std::vector<std::string> Resolve(const std::string& host, std::string* error) const override;
};

struct ProbeAllowDecision {
  bool allowed = false;
  // Which rule allowed the target, or why it was refused (safe to show the caller).
  std::string reason;
  // The normalised URL (lower-case scheme and host, no default port, no trailing slash). Probe
  // this, not the text the caller sent: it is what the rules were checked against.
  std::string url;
  // Set when a cidr rule allowed a host name: CURLOPT_RESOLVE entries ("host:port:addr,addr")
  // pinning the addresses that were checked, so a DNS answer that changes between the check
  // and the request (DNS rebinding) cannot send the probe elsewhere.
  std::vector<std::string> resolve;
};

// One probe.allow rule as written (`url_prefix`, `host` or `cidr`), checked and normalised.
// Errors are messages without a field, for the loader to locate.
Parsed<AllowRule> ParseAllowRule(AllowRule::Kind kind, std::string_view text);

// Whether /probe may reach `url`. The first rule that allows it wins; no rules means refused.
// url_prefix and host rules need no DNS. A cidr rule allows an IP literal inside it, or a host
// name whose every resolved address lies inside some cidr rule. Pure apart from `resolver`;
// safe from any thread if the resolver is.
ProbeAllowDecision CheckProbeTarget(const std::vector<AllowRule>& rules, std::string_view url,
                                    const Resolver& resolver);

}  // namespace healthgap::config
