#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace healthgap {

// Where a server listens: the --web.listen-address / --listen flag syntax.
struct ListenAddress {
  std::string host;  // "0.0.0.0" when the text gave none, as Prometheus exporters do
  int port = 0;      // 0 binds an ephemeral port
};

// Parses "HOST:PORT", ":PORT" and "[IPV6]:PORT"; nullopt with *error set (if given) otherwise.
std::optional<ListenAddress> ParseListenAddress(std::string_view text,
                                                std::string* error = nullptr);

}  // namespace healthgap
