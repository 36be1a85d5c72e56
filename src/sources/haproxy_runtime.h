#pragma once

// HAProxy's runtime API (the `stats socket`): one command per connection, its whole answer
// read until HAProxy closes, within a deadline and a size cap, so a socket that hangs, trickles
// or never ends costs at most its timeout. Over a Unix socket or TCP to a numeric address (no
// DNS: the stats socket is local).

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace healthgap::sources {

struct RuntimeAddress {
  std::string unix_path;  // "unix:/run/haproxy/admin.sock" (or a bare absolute path)
  std::string host;       // "127.0.0.1", "::1" for "ipv4@127.0.0.1:9999", "[::1]:9999"
  int port = 0;

  static RuntimeAddress Unix(std::string path) {
    RuntimeAddress address;
    address.unix_path = std::move(path);
    return address;
  }
};

// The address as HAProxy's own `stats socket` spells it; nullopt with `error` set otherwise.
std::optional<RuntimeAddress> ParseRuntimeAddress(std::string_view text, std::string* error);

struct RuntimeAnswer {
  std::string text;   // the whole answer, on success
  std::string error;  // non-empty: why there is none ("timeout", "connect: ...", "too large")
};

// Sends `command` and reads the answer until HAProxy closes the connection.
RuntimeAnswer RunRuntimeCommand(const RuntimeAddress& address, std::string_view command,
                                std::chrono::milliseconds timeout,
                                std::size_t max_bytes = 16 << 20);

}  // namespace healthgap::sources
