#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace healthgap {

// Where a local control socket is (a balancer's runtime API): a Unix socket path, or a TCP
// address with a numeric host (a control socket is local: no DNS).
struct SocketAddress {
  std::string unix_path;
  std::string host;  // "127.0.0.1", "::1"
  int port = 0;

  static SocketAddress Unix(std::string path) {
    SocketAddress address;
    address.unix_path = std::move(path);
    return address;
  }
};

// HAProxy's `stats socket` spellings: "unix:/run/haproxy/admin.sock" or "/run/...",
// "ipv4@127.0.0.1:9999", "ipv6@[::1]:9999", "127.0.0.1:9999", "[::1]:9999". nullopt with
// *error set otherwise.
std::optional<SocketAddress> ParseSocketAddress(std::string_view text, std::string* error);

}  // namespace healthgap
