#include "common/listen_address.h"

#include <charconv>

namespace healthgap {

std::optional<ListenAddress> ParseListenAddress(std::string_view text, std::string* error) {
  auto fail = [&](std::string message) -> std::optional<ListenAddress> {
    if (error != nullptr) *error = std::move(message);
    return std::nullopt;
  };
  const std::string quoted = "\"" + std::string(text) + "\"";
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return fail("listen address " + quoted + " must be host:port");
  }
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  if (host.starts_with('[')) {
    if (!host.ends_with(']') || host.size() < 3) {
      return fail("listen address " + quoted + ": malformed [ipv6] host");
    }
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return fail("listen address " + quoted + ": put IPv6 hosts in brackets, e.g. [::1]:8080");
  }
  int port = -1;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port < 0 || port > 65535) {
    return fail("listen address " + quoted + ": port must be a number from 0 to 65535");
  }
  return ListenAddress{host.empty() ? "0.0.0.0" : std::string(host), port};
}

}  // namespace healthgap
