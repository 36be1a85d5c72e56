#include "chaos/fault.h"

#include <array>
#include <cctype>
#include <utility>

#include "common/enum_names.h"
#include "common/socket_address.h"
#include "config/values.h"

namespace healthgap::chaos {
namespace {

constexpr std::array<EnumName<FaultKind>, 7> kFaultNames{{
    {FaultKind::kNone, "none"},
    {FaultKind::kLatency, "latency"},
    {FaultKind::kTimeout, "timeout"},
    {FaultKind::kReset, "reset"},
    {FaultKind::kRefuse, "refuse"},
    {FaultKind::kBandwidth, "bandwidth"},
    {FaultKind::kSlowClose, "slow_close"},
}};
static_assert(ListsValuesInOrder(kFaultNames));

std::optional<Fault> Fail(std::string* error, std::string message) {
  if (error) *error = std::move(message);
  return std::nullopt;
}

}  // namespace

std::string FaultNames() {
  std::string names;
  for (const auto& [kind, name] : kFaultNames) {
    if (kind != FaultKind::kNone) names += (names.empty() ? "" : ", ") + std::string(name);
  }
  return names;
}

std::optional<Fault> ParseFault(std::string_view text, std::string* error) {
  const auto equals = text.find('=');
  const std::string_view name = text.substr(0, equals);
  const std::optional<std::string_view> argument =
      equals == std::string_view::npos ? std::nullopt
                                       : std::optional<std::string_view>(text.substr(equals + 1));
  const std::optional<FaultKind> kind = ValueNamed(kFaultNames, name);
  if (!kind) {
    return Fail(error, "unknown fault \"" + std::string(name) + "\"; want one of " + FaultNames());
  }
  Fault fault{.kind = *kind};
  const std::string spelled(text);
  switch (fault.kind) {
    case FaultKind::kNone:
    case FaultKind::kReset:
    case FaultKind::kRefuse:
      if (argument)
        return Fail(error, "fault " + std::string(name) + " takes no value: " + spelled);
      return fault;
    case FaultKind::kTimeout:
      if (!argument) return fault;  // a blackhole that never closes
      [[fallthrough]];
    case FaultKind::kLatency:
    case FaultKind::kSlowClose: {
      if (!argument) {
        return Fail(error, "fault " + std::string(name) +
                               " needs a duration: " + std::string(name) + "=500ms");
      }
      const config::Parsed<config::Millis> delay = config::ParseDurationText(*argument);
      if (!delay.value) return Fail(error, "fault " + spelled + ": " + delay.error);
      fault.delay = *delay.value;
      return fault;
    }
    case FaultKind::kBandwidth: {
      if (!argument) return Fail(error, "fault bandwidth needs bytes per second: bandwidth=64KiB");
      const config::Parsed<std::size_t> rate = config::ParseByteSizeText(*argument);
      if (!rate.value || *rate.value == 0) {
        return Fail(error, "fault " + spelled + ": " +
                               (rate.value ? "the rate must be positive" : rate.error));
      }
      fault.bytes_per_second = static_cast<std::int64_t>(*rate.value);
      return fault;
    }
  }
  return fault;
}

std::string ToString(const Fault& fault) {
  std::string text(NameOf(kFaultNames, fault.kind));
  switch (fault.kind) {
    case FaultKind::kLatency:
    case FaultKind::kSlowClose:
      return text + "=" + config::FormatDuration(fault.delay);
    case FaultKind::kTimeout:
      return fault.delay.count() > 0 ? text + "=" + config::FormatDuration(fault.delay) : text;
    case FaultKind::kBandwidth:
      return text + "=" + std::to_string(fault.bytes_per_second);
    default:
      return text;
  }
}

bool IsLoopbackHost(std::string_view host) {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

std::optional<DependencyRoute> ParseDependency(std::string_view text, std::string* error) {
  const auto fail = [&](const std::string& why) -> std::optional<DependencyRoute> {
    if (error) {
      *error = "--dependency " + std::string(text) + ": " + why +
               " (want NAME=LISTEN_HOST:PORT->UPSTREAM_HOST:PORT)";
    }
    return std::nullopt;
  };
  const auto equals = text.find('=');
  const auto arrow = text.find("->");
  if (equals == std::string_view::npos || equals == 0) return fail("no NAME=");
  if (arrow == std::string_view::npos || arrow < equals) return fail("no ->");
  DependencyRoute route;
  route.name = std::string(text.substr(0, equals));
  for (char c : route.name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) {
      return fail("the name may hold letters, digits, '_', '-' and '.'");
    }
  }
  std::string listen_error;
  const std::string listen(text.substr(equals + 1, arrow - equals - 1));
  const std::optional<ListenAddress> address = ParseListenAddress(listen, &listen_error);
  if (!address || address->port == 0 || listen.starts_with(":")) {
    return fail("the listen side needs HOST:PORT, got \"" + listen + "\"");
  }
  route.listen = *address;
  const std::string_view upstream_text = text.substr(arrow + 2);
  std::string upstream_error;
  const std::optional<SocketAddress> upstream = ParseSocketAddress(upstream_text, &upstream_error);
  if (!upstream || !upstream->unix_path.empty()) {
    return fail("the upstream needs a numeric HOST:PORT, got \"" + std::string(upstream_text) +
                "\"");
  }
  route.upstream_host = upstream->host;
  route.upstream_port = upstream->port;
  return route;
}

}  // namespace healthgap::chaos
