#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace healthgap::server {

struct ListenAddress {
  std::string host;  // "0.0.0.0" when the flag gave none, as Prometheus exporters do
  int port = 0;      // 0 binds an ephemeral port
};

// Parses "HOST:PORT", ":PORT" and "[IPV6]:PORT" (the --web.listen-address syntax).
std::optional<ListenAddress> ParseListenAddress(std::string_view text);

}  // namespace healthgap::server
